"""``rentcal calendar [MACHINE] [--month YYYY-MM]``: the month in the terminal."""

from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, commands, examples

if TYPE_CHECKING:
    from datetime import date

    from rentcal.cli import grid

calendar_commands = commands()


def painter(enabled: bool) -> "grid.Painter":
    """Colour by day state (today in reverse video), or no colour at all."""
    from rentcal.cli import grid  # lazily: keeps `rentcal --help` fast

    if not enabled:
        return grid.plain

    def paint(text: str, state: "grid.DayState", is_today: bool) -> str:
        colour = grid.COLOURS[state]
        styled = typer.style(
            text, fg=colour, dim=(colour is None) or None, reverse=is_today or None
        )
        return styled

    return paint


@calendar_commands.command(
    "calendar",
    epilog=examples(
        "rentcal calendar",
        "rentcal calendar tractor-6120 --month 2030-02",
        "rentcal calendar --month next --json",
    ),
)
@cli_command
def calendar(
    ctx: typer.Context,
    machine: Annotated[
        str | None,
        typer.Argument(metavar="MACHINE", help="One machine (default: all, one row each)."),
    ] = None,
    month: Annotated[
        str, typer.Option("--month", metavar="YYYY-MM", help="YYYY-MM, this or next.")
    ] = "this",
    as_json: JsonOpt = False,
) -> None:
    """Show a month: each day approved (#), pending (?), maintenance (M) or free (.)."""
    from rentcal.cli import grid  # lazily: keeps `rentcal --help` fast
    from rentcal.cli.dates import parse_month
    from rentcal.frontend import schedule

    state = get_state(ctx)
    first, last = parse_month(month, state.today)
    with state.connect() as cal:
        month_model = schedule.load(cal, first, last, today=state.today, machine=machine)
    rows = [(row.machine.name, row.days) for row in month_model.rows]
    if as_json:
        render.emit_json(
            {
                "month": grid.month_key(first),
                "start": first.isoformat(),
                "end": last.isoformat(),
                "machines": [
                    {"machine": name, "days": {d.isoformat(): s.value for d, s in days.items()}}
                    for name, days in rows
                ],
            }
        )
        return
    _draw(first, last, rows, state.today, machine is not None)


def _draw(
    first: "date",
    last: "date",
    rows: "list[tuple[str, dict[date, grid.DayState]]]",
    today: "date",
    one_machine: bool,
) -> None:
    from rentcal.cli import grid  # lazily: keeps `rentcal --help` fast

    paint = painter(render.colour_enabled())
    title = grid.month_title(first)
    if not rows:
        render.echo("No machines yet. Add one: rentcal machine add NAME --price AMOUNT")
        return
    if one_machine:
        name, states = rows[0]
        lines = grid.month_grid(first, states, title=f"{title} - {name}", paint=paint, today=today)
    else:
        lines = grid.month_rows(first, last, rows, title=title, paint=paint, today=today)
    for line in lines:
        render.echo(line)
    render.echo()
    render.echo(grid.legend(paint))


__all__ = ["calendar_commands", "painter"]
