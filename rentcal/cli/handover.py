"""Hand-over: ``checkout``, ``checkin``, ``machine keeper add | remove | list``,
``machine readings``, ``no-show show | set``."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.handover_views import show_handover, show_readings
from rentcal.cli.machines import machine_app
from rentcal.cli.options import (
    JsonOpt,
    MachineArg,
    RentalIdArg,
    commands,
    examples,
    group,
)
from rentcal.core.types import Condition
from rentcal.errors import InvalidRequest

if TYPE_CHECKING:
    from rentcal.service import Rentcal

handover_commands = commands()

MeterOpt = Annotated[
    str | None,
    typer.Option(
        "--meter",
        metavar="READING",
        help="The machine's meter reading, e.g. 1234.5 (machines with a meter only).",
    ),
]
NotesOpt = Annotated[str | None, typer.Option(help="What was noticed; kept with the hand-over.")]
HandleArg = Annotated[str, typer.Argument(metavar="HANDLE", help="The member's handle.")]


def _proposed(cal: "Rentcal", rental_id: int, err: InvalidRequest) -> InvalidRequest:
    """A missing reading: the same error, proposing the machine's last reading."""
    if err.field != "meter" or err.reason != "missing":
        return err
    from rentcal.core.handover import reading_words

    machine = cal.machine(cal.rental(rental_id).machine)
    last = cal.last_reading(machine.name)
    hint = "" if last is None else f" (the last reading was {reading_words(last, machine.meter)})"
    return InvalidRequest(
        f"{err.message}: give --meter READING{hint}", field="meter", reason="missing"
    )


@handover_commands.command(
    "checkout",
    epilog=examples(
        "rentcal --as ada checkout 4",
        "rentcal --as ada checkout 4 --notes 'blade checked' --json",
        "rentcal --as ada machine edit saw --meter hours "
        "&& rentcal --as ada checkout 4 --meter 1234.5",
    ),
)
@cli_command
def checkout(
    ctx: typer.Context,
    rental_id: RentalIdArg,
    meter: MeterOpt = None,
    notes: NotesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand an approved rental's machine over to its member, from its first day (admins and
    the machine's keepers). A machine with a meter needs --meter."""
    state = get_state(ctx)
    with state.connect() as cal:
        try:
            done = cal.checkout(
                rental_id, meter=meter, notes=notes, acting=state.acting, today=state.today
            )
        except InvalidRequest as err:
            raise _proposed(cal, rental_id, err) from None
    show_handover(done, as_json, headline=f"Checked out rental {rental_id}.")


@handover_commands.command(
    "checkin",
    epilog=examples(
        "rentcal --as ada checkout 4 && rentcal --as ada checkin 4",
        "rentcal --as ada checkout 4 && rentcal --as ada checkin 4 --condition needs-attention "
        "--notes 'loose belt'",
        "rentcal --as ada checkout 4 && rentcal --as ada checkin 4 --condition damaged "
        "--repair-until +3d --json",
    ),
)
@cli_command
def checkin(
    ctx: typer.Context,
    rental_id: RentalIdArg,
    meter: MeterOpt = None,
    condition: Annotated[
        Condition,
        typer.Option("--condition", case_sensitive=False, help="How the machine came back."),
    ] = Condition.OK,
    notes: NotesOpt = None,
    repair_until: Annotated[
        str | None,
        typer.Option(
            "--repair-until",
            metavar="DATE",
            help="With --condition damaged: take the machine out of service for repair from "
            "today to DATE (the members of the bookings in between are told).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the return of a checked-out rental's machine; the rental is completed (admins
    and the machine's keepers). Back early frees the days after today; late is recorded."""
    state = get_state(ctx)
    until = state.optional_day(repair_until)
    with state.connect() as cal:
        try:
            done = cal.checkin(
                rental_id,
                meter=meter,
                condition=condition,
                notes=notes,
                repair_until=until,
                acting=state.acting,
                today=state.today,
            )
        except InvalidRequest as err:
            raise _proposed(cal, rental_id, err) from None
    show_handover(done, as_json, headline=f"Checked in rental {rental_id}.")


# -- machine keeper add | remove | list; machine readings ----------------------------

keeper_app = group(
    "keeper",
    "The members who hand a machine over (check it out and in) besides the admins.",
    "rentcal --as ada machine keeper add tractor-6120 bob",
    "rentcal machine keeper list tractor-6120",
)
machine_app.add_typer(keeper_app)


def _change_keepers(
    ctx: typer.Context, machine: str, handle: str, as_json: bool, *, add: bool
) -> None:
    """``keeper add`` / ``keeper remove``: one change, then the keepers as they now are."""
    state = get_state(ctx)
    with state.connect() as cal:
        change = cal.add_keeper if add else cal.remove_keeper
        found = change(machine, handle, acting=state.acting)
    done = "now keeps" if add else "no longer keeps"
    _show_keepers(machine, found, as_json, f"{handle} {done} {machine}.")


def _show_keepers(machine: str, keepers: list[str], as_json: bool, headline: str = "") -> None:
    """A machine's keepers: ``{"machine", "keepers"}``, or a headline and who keeps it."""
    if as_json:
        render.emit_json({"machine": machine, "keepers": keepers})
        return
    render.headline(headline)
    listed = ", ".join(keepers) if keepers else "none (only admins hand it over)"
    render.emit_record([("machine", machine), ("keepers", listed)])


@keeper_app.command(
    "add", epilog=examples("rentcal --as ada machine keeper add tractor-6120 bob --json")
)
@cli_command
def keeper_add(
    ctx: typer.Context, machine: MachineArg, handle: HandleArg, as_json: JsonOpt = False
) -> None:
    """Let a member check MACHINE out and in (admins; recorded in the machine's changes)."""
    _change_keepers(ctx, machine, handle, as_json, add=True)


@keeper_app.command(
    "remove",
    epilog=examples(
        "rentcal --as ada machine keeper add saw carol "
        "&& rentcal --as ada machine keeper remove saw carol"
    ),
)
@cli_command
def keeper_remove(
    ctx: typer.Context, machine: MachineArg, handle: HandleArg, as_json: JsonOpt = False
) -> None:
    """A member no longer hands MACHINE over (admins; recorded in the machine's changes)."""
    _change_keepers(ctx, machine, handle, as_json, add=False)


@keeper_app.command(
    "list",
    epilog=examples(
        "rentcal machine keeper list tractor-6120", "rentcal machine keeper list saw --json"
    ),
)
@cli_command
def keeper_list(ctx: typer.Context, machine: MachineArg, as_json: JsonOpt = False) -> None:
    """The keepers of MACHINE."""
    with get_state(ctx).connect() as cal:
        found = cal.keepers(machine)
    _show_keepers(machine, found, as_json)


@machine_app.command(
    "readings",
    epilog=examples("rentcal machine readings tractor-6120", "rentcal machine readings saw --json"),
)
@cli_command
def readings(ctx: typer.Context, machine: MachineArg, as_json: JsonOpt = False) -> None:
    """The history of MACHINE's meter: every reading taken at a hand-over, oldest first."""
    with get_state(ctx).connect() as cal:
        found = cal.meter_readings(machine)
    show_readings(found, as_json)


# -- no-show show | set ----------------------------------------------------------------

noshow_app = group(
    "no-show",
    "Flag approved rentals nobody checked out within some hours of their first day.",
    "rentcal no-show show",
    "rentcal --as ada no-show set 24",
    "rentcal --as ada no-show set off",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored value, newest first.")
]


def _shown(hours: int | None) -> str:
    return "off" if hours is None else f"{hours} hours after the start of the first day"


def _emit(hours: int | None, as_json: bool) -> None:
    if as_json:
        render.emit_json({"no_show_after_hours": hours, "enabled": hours is not None})
        return
    render.emit_record([("no-show after", _shown(hours))])


@noshow_app.command(
    "show", epilog=examples("rentcal no-show show", "rentcal no-show show --history --json")
)
@cli_command
def noshow_show(ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False) -> None:
    """Show after how many hours an approved rental nobody checked out is flagged.

    ``rentcal housekeeping`` flags each such rental once: a note in its
    history and a notification to the admins and the machine's keepers. The
    rental is kept as it is. Hours count from midnight of its first day, in
    the organisation's time zone.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        hours = cal.no_show_hours()
        past: list[tuple[int | None, str | None, datetime]] = (
            cal.no_show_hours_history() if history else []
        )
    if as_json and history:
        render.emit_json(
            {
                "no_show_after_hours": hours,
                "enabled": hours is not None,
                "history": [
                    {"no_show_after_hours": h, "changed_by": by, "changed_at": at.isoformat()}
                    for h, by, at in past
                ],
            }
        )
        return
    _emit(hours, as_json)
    if history:
        rows = [(at.isoformat(), "off" if h is None else h, by or "-") for h, by, at in past]
        render.emit_table(["set at", "hours", "set by"], rows, empty="No value stored yet.")


@noshow_app.command(
    "set", epilog=examples("rentcal --as ada no-show set 24", "rentcal --as ada no-show set off")
)
@cli_command
def noshow_set(
    ctx: typer.Context,
    hours: Annotated[
        str,
        typer.Argument(
            metavar="HOURS",
            help="Whole hours after midnight of a rental's first day, or 'off'.",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Store the no-show rule for everyone (admins only; recorded who/when)."""
    word = hours.strip().lower()
    if word != "off" and not word.isdigit():
        raise InvalidRequest(
            f"hours {hours!r} must be a whole number of hours, or 'off'",
            field="hours",
            value=hours,
        )
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.set_no_show_hours(None if word == "off" else int(word), acting=state.acting)
    _emit(found, as_json)


__all__ = ["handover_commands", "keeper_app", "noshow_app"]
