"""``rentcal events``: the calendar feeds (FullCalendar JSON, iCalendar, tables)."""

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from rentcal.cli import output_files, render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import (
    FromOpt,
    JsonOpt,
    MachineOpt,
    MemberOpt,
    OutputOpt,
    ToOpt,
    commands,
    examples,
)
from rentcal.errors import InvalidRequest

feed_commands = commands()


def _exclusive(*flags: tuple[str, bool]) -> None:
    given = [name for name, on in flags if on]
    if len(given) > 1:
        raise InvalidRequest(f"{' and '.join(given)} cannot be combined")


def _events_table(events: list[dict[str, Any]]) -> str:
    """Events for people: inclusive last day (feeds carry the exclusive end)."""
    if not events:
        return "No events match."
    rows = []
    for event in events:
        props = event["extendedProps"]
        last = date.fromisoformat(event["end"]) - timedelta(days=1)
        rows.append(
            (
                render.Whole(event["id"]),
                render.Whole(props["machine"]),
                date.fromisoformat(event["start"]),
                last,
                props["status"],
                event["title"],
            )
        )
    return render.table_text(("id", "machine", "start", "end", "status", "title"), rows)


def _legend_table(entries: list[dict[str, str]]) -> str:
    rows = [
        (e["type"], e["status"], e["label"], e["backgroundColor"], e["description"])
        for e in entries
    ]
    return render.table_text(("type", "status", "label", "colour", "meaning"), rows)


@feed_commands.command(
    "events",
    epilog=examples(
        "rentcal events --from today --to +30d",
        "rentcal events --machine tractor-6120 --json",
        "rentcal events --ics -o /var/www/html/rentcal.ics",
        "rentcal events --member bob --all-statuses --ics --private > bob.ics",
        "rentcal events --resources --json",
        "rentcal events --legend",
    ),
)
@cli_command
def events(
    ctx: typer.Context,
    machine: MachineOpt = None,
    member: MemberOpt = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    all_statuses: Annotated[
        bool,
        typer.Option(
            "--all-statuses",
            help="Also rejected / cancelled / completed rentals and past maintenance.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    ics: Annotated[bool, typer.Option("--ics", help="Print an iCalendar (.ics) feed.")] = False,
    private: Annotated[
        bool,
        typer.Option(
            "--private",
            help="With --ics: include purposes, prices, reasons and maintenance notes "
            "(left out by default, so the file can be published).",
        ),
    ] = False,
    output: OutputOpt = None,
    resources: Annotated[
        bool, typer.Option("--resources", help="The machines as FullCalendar resources.")
    ] = False,
    legend: Annotated[
        bool, typer.Option("--legend", help="The colour legend of the feeds.")
    ] = False,
) -> None:
    """Print the events of the calendar feeds: a table, FullCalendar JSON or iCalendar.

    The .ics is fit to publish: without --private it has no purposes, prices,
    reasons or notes (what members' pages do not show of others' bookings).
    """
    from rentcal.feeds import fullcalendar

    _exclusive(("--json", as_json), ("--ics", ics))
    if private and not ics:
        raise InvalidRequest(
            "--private applies to --ics only (the table and the JSON events carry "
            "no purposes, prices or reasons)"
        )
    _exclusive(("--resources", resources), ("--legend", legend), ("--ics", ics))
    state = get_state(ctx)
    data: str | bytes
    if legend:
        entries = fullcalendar.legend()
        data = render.to_json(entries) if as_json else _legend_table(entries)
    elif resources:
        with state.connect() as cal:
            found = fullcalendar.resources(cal.machines())
        data = (
            render.to_json(found)
            if as_json
            else render.table_text(
                ("id", "title"), [(render.Whole(r["id"]), r["title"]) for r in found]
            )
        )
    else:
        first, last = state.optional_day(from_), state.optional_day(to)
        with state.connect() as cal:
            if ics:
                data = render.safe_ics(
                    cal.ical(machine, member, first, last, all_statuses, private=private)
                )
            else:
                found_events = cal.events(machine, member, first, last, all_statuses)
                data = render.to_json(found_events) if as_json else _events_table(found_events)
    output_files.write_output(data, None if output is None else Path(output))


__all__ = ["feed_commands"]
