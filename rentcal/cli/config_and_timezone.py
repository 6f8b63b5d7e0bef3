"""``rentcal config show`` and ``rentcal timezone show | set``: settings and the clock."""

from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import State, get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

if TYPE_CHECKING:
    from rentcal.cli.config import Config
    from rentcal.core.values import TimeZone

config_app = group(
    "config",
    "The effective settings (option > environment > config file > default).",
    "rentcal config show",
    "rentcal --config rentcal.toml config show --json",
)
timezone_app = group(
    "timezone",
    "The organisation's time zone: the one 'today' is read in, for every host.",
    "rentcal timezone show",
    "rentcal timezone set Europe/Berlin",
)


def _stored_zone(state: State) -> "TimeZone | None":
    """The zone the database holds, or None (none stored, or no database to ask)."""
    from rentcal.errors import RentcalError

    try:
        with state.connect() as cal:
            found = cal.timezone()
    except RentcalError:
        return None
    return found if found.stored else None


def _effective(state: State) -> "Config":
    config = state.config
    stored = _stored_zone(state)
    if stored is not None:
        config = config.with_value("timezone", stored.name, "database")
    return config


@config_app.command(
    "show",
    epilog=examples("rentcal config show", "rentcal --config rentcal.toml config show --json"),
)
@cli_command
def show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Print every setting's effective value and where it came from (passwords masked).

    Sources: option, env VARIABLE, file PATH, database (the organisation's
    time zone, once stored: it wins over the configured one), default.
    """
    state = get_state(ctx)
    config = _effective(state)
    if as_json:
        render.emit_json(
            {
                "file": str(config.path) if config.path else None,
                "settings": {key: v.as_dict() for key, v in config.values.items()},
            }
        )
        return
    from rentcal.cli.config import default_path

    rows = [(key, v.shown, v.source_text) for key, v in config.values.items()]
    render.emit_table(["setting", "value", "source"], rows, empty="No settings.")
    if config.path is None:
        render.error_line(f"No config file: {default_path()} does not exist (defaults apply).")


def _zone_record(zone: "TimeZone", today: object) -> list[tuple[str, object]]:
    source = {
        "database": "stored in the database (every host agrees)",
        "connect": "configured on this host (not stored yet: rentcal timezone set ZONE)",
        "host": "this host's zone (not stored yet: rentcal timezone set ZONE)",
    }[zone.source]
    pairs: list[tuple[str, object]] = [("timezone", zone.name), ("source", source)]
    if zone.changed_by or zone.changed_at:
        pairs.append(("set by", zone.changed_by or "-"))
        pairs.append(("set at", zone.changed_at.isoformat() if zone.changed_at else "-"))
    pairs.append(("today", str(today)))
    return pairs


@timezone_app.command(
    "show",
    epilog=examples("rentcal timezone show", "rentcal timezone show --json"),
)
@cli_command
def timezone_show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the organisation's time zone, where it comes from, and today's date in it."""
    state = get_state(ctx)
    with state.connect() as cal:
        zone = cal.timezone()
        today = state.today if state.pinned else cal.today()
    if as_json:
        render.emit_json({**zone.as_dict(), "today": today.isoformat()})
        return
    render.emit_record(_zone_record(zone, today))


@timezone_app.command(
    "set",
    epilog=examples(
        "rentcal timezone set Europe/Berlin",
        "rentcal --as ada timezone set America/New_York --json",
    ),
)
@cli_command
def timezone_set(
    ctx: typer.Context,
    zone: Annotated[
        str, typer.Argument(metavar="ZONE", help="An IANA zone name, e.g. Europe/Berlin or UTC.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Store the organisation's time zone for every host (admins only; recorded who/when)."""
    state = get_state(ctx)
    with state.connect(timezone=None) as cal:
        found = cal.set_timezone(zone, acting=state.acting)
        today = state.today if state.pinned else cal.today()
    if as_json:
        render.emit_json({**found.as_dict(), "today": today.isoformat()})
        return
    render.emit_record(_zone_record(found, today))


__all__ = ["config_app", "timezone_app"]
