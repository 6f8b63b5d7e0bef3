"""``rentcal reminders show | set``: the hour of the pick-up and return reminders."""

from datetime import datetime
from typing import Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group
from rentcal.errors import InvalidRequest

reminders_app = group(
    "reminders",
    "E-mail reminders: a pick-up the day before a rental starts, a return on its last day.",
    "rentcal reminders show",
    "rentcal reminders set 8",
    "rentcal reminders set off",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored value, newest first.")
]


def _shown(hour: int | None) -> str:
    """``17:00`` or ``off``."""
    return "off" if hour is None else f"{hour:02d}:00"


def _parse_hour(text: str) -> int | None:
    """``HOUR`` as typed: a whole number from 0 to 23, or ``off`` (None)."""
    word = text.strip().lower()
    if word == "off":
        return None
    if not word.isdigit() or not 0 <= int(word) <= 23:
        raise InvalidRequest(
            f"hour {text!r} must be a whole number from 0 to 23, or 'off'",
            field="hour",
            value=text,
            reason="range",
        )
    return int(word)


def _emit(hour: int | None, as_json: bool) -> None:
    """The hour in force, as a record or JSON."""
    if as_json:
        render.emit_json({"reminder_hour": hour, "enabled": hour is not None})
        return
    render.emit_record(
        [
            ("reminder hour", _shown(hour)),
            ("zone", "the organisation's time zone (rentcal timezone show)"),
        ]
    )


@reminders_app.command(
    "show",
    epilog=examples("rentcal reminders show", "rentcal reminders show --history --json"),
)
@cli_command
def reminders_show(
    ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False
) -> None:
    """Show from which hour the day's reminders are queued (or that they are off).

    From that hour, in the organisation's time zone, ``rentcal housekeeping``
    and ``rentcal serve`` queue one e-mail per approved rental starting
    tomorrow (pick it up) and per approved rental ending today (return it),
    each exactly once.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        hour = cal.reminder_hour()
        past: list[tuple[int | None, str | None, datetime]] = (
            cal.reminder_hour_history() if history else []
        )
    if as_json and history:
        render.emit_json(
            {
                "reminder_hour": hour,
                "enabled": hour is not None,
                "history": [
                    {"reminder_hour": h, "changed_by": by, "changed_at": at.isoformat()}
                    for h, by, at in past
                ],
            }
        )
        return
    _emit(hour, as_json)
    if history:
        rows = [(at.isoformat(), _shown(h), by or "-") for h, by, at in past]
        render.emit_table(["set at", "hour", "set by"], rows, empty="No hour stored yet.")


@reminders_app.command(
    "set",
    epilog=examples(
        "rentcal reminders set 8",
        "rentcal --as ada reminders set off --json",
    ),
)
@cli_command
def reminders_set(
    ctx: typer.Context,
    hour: Annotated[
        str,
        typer.Argument(
            metavar="HOUR",
            help="An hour from 0 to 23 in the organisation's time zone, or 'off'.",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Store the hour of the reminders for everyone (admins only; recorded who/when)."""
    wanted = _parse_hour(hour)
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_reminder_hour(wanted, acting=state.acting)
    _emit(found, as_json)


__all__ = ["reminders_app"]
