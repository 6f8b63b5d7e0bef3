"""``rentcal report utilisation``: how busy each machine was, month by month (admins)."""

from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

if TYPE_CHECKING:
    from rentcal.core.utilisation import UtilisationReport

report_app = group(
    "report",
    "Reports for admins: how busy each machine is.",
    "rentcal report utilisation --month 2030-01",
)

MonthOpt = Annotated[
    str,
    typer.Option(
        "--month",
        metavar="YYYY-MM",
        help="The month, in the organisation's time zone: YYYY-MM, this, last or next.",
    ),
]
MonthsOpt = Annotated[
    int,
    typer.Option(
        "--months",
        metavar="N",
        min=1,
        max=36,
        help="Months of the month-by-month table, ending with --month (1-36).",
    ),
]


@report_app.command(
    "utilisation",
    epilog=examples(
        "rentcal report utilisation --month 2030-01",
        "rentcal report utilisation --month last --months 3 --json",
    ),
)
@cli_command
def utilisation(
    ctx: typer.Context, month: MonthOpt = "this", months: MonthsOpt = 12, as_json: JsonOpt = False
) -> None:
    """How busy each machine was in a month (admins): booked days / bookable days.

    Bookable: the month's days less maintenance (scheduled or done) and the
    days before the machine was added or after it was retired. Booked: days
    with an approved or completed rental, each day once. Then every machine's
    share, month by month, over the last --months months.
    """
    from rentcal.frontend.utilisation import parse_month  # lazily: keeps --help fast

    state = get_state(ctx)
    first = parse_month(month, state.today, "--month")
    with state.connect() as cal:
        found = cal.utilisation(month=first, months=months, acting=state.acting)
    if as_json:
        render.emit_json(found.as_dict())
        return
    _show(found)


def _show(found: "UtilisationReport") -> None:
    """The month's table per machine, a total line, then the months' table."""
    from rentcal.frontend.month import month_title
    from rentcal.frontend.utilisation import charges_text, share_text, units_text

    render.echo(f"How busy each machine was in {month_title(found.month)} ({found.timezone})")
    render.echo()
    rows = [
        (
            m.machine,
            use.booked_days,
            use.bookable_days,
            share_text(use.share),
            use.maintenance_days,
            units_text(use),
            charges_text(use, found.currency),
        )
        for m in found.machines
        for use in [m.current]
    ]
    if not rows:
        render.echo("No machine could be booked that month.")
        return
    total = found.total
    rows.append(
        (
            "all machines",
            total.booked_days,
            total.bookable_days,
            share_text(total.share),
            total.maintenance_days,
            "",
            charges_text(total, found.currency),
        )
    )
    headers = ["machine", "booked", "bookable", "share", "maintenance", "units", "charges"]
    render.emit_table(headers, rows, empty="")
    render.echo()
    render.echo("Every machine, month by month")
    render.echo()
    trend = [
        (
            f"{t.month.year:04d}-{t.month.month:02d}",
            t.booked_days,
            t.bookable_days,
            share_text(t.share),
            charges_text(t, found.currency),
        )
        for t in found.totals
    ]
    render.emit_table(["month", "booked", "bookable", "share", "charges"], trend, empty="")


__all__ = ["report_app"]
