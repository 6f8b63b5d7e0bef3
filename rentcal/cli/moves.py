"""``move``: other days or another machine for a rental; ``housekeeping`` for cron."""

from typing import Annotated

import typer

from rentcal.cli import rental_views
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import (
    JsonOpt,
    NewEndOpt,
    NewStartOpt,
    RentalIdArg,
    commands,
    examples,
)
from rentcal.core.dates_words import span_words
from rentcal.core.money import format_money

move_commands = commands()


@move_commands.command(
    "move",
    epilog=examples(
        "rentcal --as carol move 3 --start 2030-01-20",
        "rentcal --as ada move 2 --days 4 --machine excavator --json",
    ),
)
@cli_command
def move(
    ctx: typer.Context,
    rental_id: RentalIdArg,
    start: NewStartOpt = None,
    end: NewEndOpt = None,
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="New length in days from the (new) first day."),
    ] = None,
    machine: Annotated[
        str | None, typer.Option("--machine", metavar="NAME", help="Move it to this machine.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a rental to other days and/or another machine. Exit 1 when they are taken.

    A member moves their own pending request, an admin any open rental. Without
    --end or --days the rental keeps its length; the price is recomputed.
    """
    state = get_state(ctx)
    first, last = state.optional_day(start), state.optional_day(end)
    with state.connect() as cal:
        before = cal.rental(rental_id)
        rental = cal.move(
            rental_id,
            start=first,
            end=last,
            days=days,
            machine=machine,
            acting=state.acting,
            today=state.today,
        )
        money = None if as_json else cal.currency()
    old = f"{before.machine} {span_words(before.start, before.end)}"
    new = f"{rental.machine} {span_words(rental.start, rental.end)}"
    price = format_money(rental.price, money)
    if before.price != rental.price:
        price = f"{format_money(before.price, money)} to {price}"
    headline = f"Moved rental {rental.id} from {old} to {new}; price {price}."
    rental_views.show_rental(rental, as_json, headline=headline, currency=money)


@move_commands.command(
    "housekeeping",
    epilog=examples(
        "rentcal housekeeping",
        "rentcal housekeeping --json  # e.g. hourly from cron",
    ),
)
@cli_command
def housekeeping(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Expire undecided requests, complete ended rentals, flag no-shows, queue reminders (cron).

    rentcal does this by itself whenever it touches a machine or shows a stale
    rental; run this so nothing waits for the next visitor. From the reminder
    hour (rentcal reminders show) it also queues the day's pick-up and return
    reminders, each once, and reminders of overdue invoices (rentcal invoice
    settings set --reminder-days); `rentcal mail send` sends them. Safe to run
    from several hosts at once.
    """
    from rentcal.cli import render
    from rentcal.core.wording import plural

    state = get_state(ctx)
    with state.connect() as cal:
        done = cal.housekeeping(today=state.today)
        reminded = cal.queue_reminders()
        overdue = cal.remind_overdue(today=state.today)
    if as_json:
        render.emit_json({**done.as_dict(), "reminders": reminded, "invoice_reminders": overdue})
        return
    flagged = f"{plural(done.no_shows, 'no-show')} flagged, " if done.no_shows else ""
    invoices = f", {plural(overdue, 'invoice reminder')}" if overdue else ""
    render.echo(
        f"Housekeeping: {plural(done.expired, 'request')} expired, "
        f"{plural(done.completed, 'rental')} completed, {flagged}"
        f"{plural(reminded, 'reminder')}{invoices} queued."
    )


__all__ = ["move_commands"]
