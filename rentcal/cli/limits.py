"""``rentcal limits show | set``: the longest rental and the booking horizon."""

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

if TYPE_CHECKING:
    from rentcal.core.limits import RentalLimits

limits_app = group(
    "limits",
    "The rental limits: the longest rental and how far ahead a rental may end.",
    "rentcal limits show",
    "rentcal limits set --max-days 60 --horizon-days 365",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored value, newest first.")
]


def _record(limits: "RentalLimits", today: date) -> list[tuple[str, object]]:
    """The limits as ``key  value`` lines, with the last day bookable from today."""
    source = {
        "database": "stored in the database",
        "default": "the defaults (not stored yet: rentcal limits set)",
    }[limits.source]
    pairs: list[tuple[str, object]] = [
        ("max days", limits.max_days),
        ("horizon days", limits.horizon_days),
        ("last day", (today + timedelta(days=limits.horizon_days)).isoformat()),
        ("source", source),
    ]
    if limits.changed_by or limits.changed_at:
        pairs.append(("set by", limits.changed_by or "-"))
        pairs.append(("set at", limits.changed_at.isoformat() if limits.changed_at else "-"))
    return pairs


@limits_app.command(
    "show",
    epilog=examples("rentcal limits show", "rentcal limits show --history --json"),
)
@cli_command
def limits_show(ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False) -> None:
    """Show the longest rental (days, both ends counted) and the booking horizon.

    A rental may last at most MAX DAYS and end at most HORIZON DAYS after
    today (LAST DAY). Booking, moving, importing and checking apply them.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        limits = cal.limits()
        past = cal.limits_history() if history else []
        today = state.today if state.pinned else cal.today()
    if as_json:
        shape: dict[str, object] = {**limits.as_dict(), "today": today.isoformat()}
        if history:
            shape["history"] = [
                {"limit": k, "days": d, "changed_by": by, "changed_at": at.isoformat()}
                for k, d, by, at in past
            ]
        render.emit_json(shape)
        return
    render.emit_record(_record(limits, today))
    if history:
        rows = [(at.isoformat(), k, d, by or "-") for k, d, by, at in past]
        render.emit_table(
            ["set at", "limit", "days", "set by"], rows, empty="No limits stored yet."
        )


@limits_app.command(
    "set",
    epilog=examples(
        "rentcal limits set --max-days 60 --horizon-days 365",
        "rentcal --as ada limits set --horizon-days 1095 --json",
    ),
)
@cli_command
def limits_set(
    ctx: typer.Context,
    max_days: Annotated[
        int | None,
        typer.Option(
            "--max-days",
            metavar="N",
            min=1,
            max=36_500,
            help="The longest rental in days, both ends counted (1-36500).",
        ),
    ] = None,
    horizon_days: Annotated[
        int | None,
        typer.Option(
            "--horizon-days",
            metavar="N",
            min=1,
            max=36_500,
            help="How many days after today a rental may end (1-36500).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store the rental limits for everyone (admins only; recorded who/when).

    Rentals already booked stay as they are; the limits apply to what is
    booked, moved or imported from now on.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_limits(max_days, horizon_days, acting=state.acting)
        today = state.today if state.pinned else cal.today()
    if as_json:
        render.emit_json({**found.as_dict(), "today": today.isoformat()})
        return
    render.emit_record(_record(found, today))


__all__ = ["limits_app"]
