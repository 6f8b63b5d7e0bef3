"""``rentcal maintenance add | list | edit | cancel | done``."""

from typing import Annotated

import typer

from rentcal.cli import catalogue_views
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import (
    DaysOpt,
    EndArg,
    FromOpt,
    JsonOpt,
    MachineArg,
    MachineOpt,
    MaintenanceIdArg,
    NewEndOpt,
    NewStartOpt,
    StartArg,
    ToOpt,
    edit_values,
    examples,
    group,
)
from rentcal.core.types import ConflictKind, MaintenanceKind, MaintenanceStatus
from rentcal.errors import InvalidRequest, RentcalError, Unavailable

maintenance_app = group(
    "maintenance",
    "Take machines out of service; list, edit, cancel or mark that done.",
    "rentcal --as ada maintenance add tractor-6120 +7d --days 2 --kind inspection",
    "rentcal maintenance list --machine tractor-6120",
)


def force_hint(err: RentcalError) -> str:
    """Point at ``--force`` when only rentals are in the way (the error says it may be forced)."""
    if not isinstance(err, Unavailable) or not err.conflicts:
        return ""
    if err.overridable or all(c.kind is ConflictKind.RENTAL for c in err.conflicts):
        return " (add --force to schedule it anyway; their members are notified)"
    return ""


@maintenance_app.command(
    "add",
    epilog=examples(
        "rentcal --as ada maintenance add tractor-6120 2030-02-03 2030-02-04 --kind repair",
        "rentcal --as ada maintenance add saw mon --days 2 --notes 'new blade' --force",
    ),
)
@cli_command(hint=force_hint)
def add(
    ctx: typer.Context,
    machine: MachineArg,
    start: StartArg,
    end: EndArg = None,
    days: DaysOpt = None,
    kind: Annotated[
        MaintenanceKind, typer.Option("--kind", case_sensitive=False, help="Why.")
    ] = MaintenanceKind.PREVENTIVE,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Schedule it over rentals too (their members are notified)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Take MACHINE out of service from START to END (admins). Exit 1 over rentals."""
    state = get_state(ctx)
    first, last = state.span(start, end, days)
    with state.connect() as cal:
        item = cal.add_maintenance(
            machine,
            first,
            last,
            kind=kind,
            notes=notes,
            acting=state.acting,
            force=force,
            today=state.today,
        )
    catalogue_views.show_maintenance(item, as_json, headline=f"Scheduled maintenance {item.id}.")


@maintenance_app.command(
    "list",
    epilog=examples(
        "rentcal maintenance list --machine tractor-6120", "rentcal maintenance list --json"
    ),
)
@cli_command
def list_maintenance(
    ctx: typer.Context,
    machine: MachineOpt = None,
    status: Annotated[
        list[MaintenanceStatus] | None,
        typer.Option("--status", case_sensitive=False, help="Only this status (repeatable)."),
    ] = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List maintenance blocks, optionally of one machine, status or window."""
    state = get_state(ctx)
    first, last = state.optional_day(from_), state.optional_day(to)
    with state.connect() as cal:
        items = cal.maintenance(machine=machine, status=status or None, start=first, end=last)
    catalogue_views.show_maintenance_list(items, as_json)


@maintenance_app.command(
    "edit",
    epilog=examples(
        "rentcal --as ada maintenance edit 3 --start 2030-02-05 --days 2",
        "rentcal --as ada maintenance edit 3 --kind inspection --clear-notes --json",
    ),
)
@cli_command(hint=force_hint)
def edit(
    ctx: typer.Context,
    maintenance_id: MaintenanceIdArg,
    start: NewStartOpt = None,
    end: NewEndOpt = None,
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="N days from the (new) first day.")
    ] = None,
    kind: Annotated[
        MaintenanceKind | None, typer.Option("--kind", case_sensitive=False, help="Why.")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="New free text.")] = None,
    clear_notes: Annotated[bool, typer.Option("--clear-notes", help="Remove the notes.")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Move it over rentals too (their members are notified)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change a scheduled block's days, kind or notes (admins). Exit 1 over rentals.

    The same rules as maintenance add: never over other maintenance, over
    rentals only with --force. Exit 2 when no option is given.
    """
    if days is not None and (end is not None or start is None):
        raise InvalidRequest("--days needs --start, and replaces --end")
    state = get_state(ctx)
    first = None if start is None else state.day(start)
    last = None if end is None else state.day(end)
    if days is not None and start is not None:
        first, last = state.span(start, None, days)
    values = edit_values(
        {
            "start": ("--start", first),
            "end": ("--end", last),
            "kind": ("--kind", kind),
            "notes": ("--notes", notes),
        },
        {"notes": ("--clear-notes", clear_notes)},
    )
    with state.connect() as cal:
        edited = cal.edit_maintenance(
            maintenance_id, acting=state.acting, force=force, today=state.today, **values
        )
    catalogue_views.show_edited(
        edited, f"maintenance {edited.value.id}", as_json, catalogue_views.show_maintenance
    )


@maintenance_app.command("cancel", epilog=examples("rentcal --as ada maintenance cancel 3"))
@cli_command
def cancel(ctx: typer.Context, maintenance_id: MaintenanceIdArg, as_json: JsonOpt = False) -> None:
    """Cancel a scheduled block (admins) until its last day has passed; it stays listed."""
    state = get_state(ctx)
    with state.connect() as cal:
        item = cal.cancel_maintenance(maintenance_id, acting=state.acting, today=state.today)
    catalogue_views.show_maintenance(item, as_json, headline=f"Cancelled maintenance {item.id}.")


@maintenance_app.command(
    "done",
    epilog=examples(
        "rentcal --as ada maintenance done 4", "rentcal --as ada maintenance done 4 --json"
    ),
)
@cli_command
def done(ctx: typer.Context, maintenance_id: MaintenanceIdArg, as_json: JsonOpt = False) -> None:
    """Mark a scheduled block done (admins), once its first day has come.

    A done block no longer blocks the machine: its remaining days, today
    included, can be booked again.
    """
    state = get_state(ctx)
    with state.connect() as cal:
        item = cal.complete_maintenance(maintenance_id, acting=state.acting, today=state.today)
    catalogue_views.show_maintenance(item, as_json, headline=f"Maintenance {item.id} done.")


__all__ = ["force_hint", "maintenance_app"]
