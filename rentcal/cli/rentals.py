"""Booking: ``check``, ``free``, ``book``, ``rentals``, ``show`` and the status changes."""

from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import rental_views
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import EXIT_UNAVAILABLE, cli_command
from rentcal.cli.options import (
    DaysOpt,
    EndArg,
    FromOpt,
    JsonOpt,
    MachineArg,
    MachineOpt,
    MemberOpt,
    RentalIdArg,
    StartArg,
    ToOpt,
    commands,
    examples,
)
from rentcal.core.dates_words import span_words
from rentcal.core.news import waiting_words
from rentcal.core.types import RentalStatus
from rentcal.errors import InvalidRequest

if TYPE_CHECKING:
    from rentcal.core.values import Rental

rental_commands = commands()

#: How far ``free`` looks ahead by default.
FREE_DEFAULT_DAYS = 90

ReasonOpt = Annotated[str | None, typer.Option(help="Why; the member is told.")]


@rental_commands.command(
    "check",
    epilog=examples(
        "rentcal check tractor-6120 2030-01-15 2030-01-20",
        "rentcal check tractor-6120 fri --days 3 --json && echo free",
        "rentcal check --batch < requests.ndjson > answers.ndjson",
    ),
)
@cli_command
def check(
    ctx: typer.Context,
    machine: Annotated[
        str | None, typer.Argument(metavar="MACHINE", help="Machine name, e.g. tractor.")
    ] = None,
    start: Annotated[str | None, typer.Argument(metavar="START", help="First day.")] = None,
    end: EndArg = None,
    days: DaysOpt = None,
    as_json: JsonOpt = False,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Read NDJSON requests {machine, start, end} from stdin; write one NDJSON "
            "result per line, in order. Exit 1 if any was unavailable, 2 if any was invalid.",
        ),
    ] = False,
) -> None:
    """Is MACHINE free on every day from START to END? Exit 0 yes, 1 no (conflicts listed)."""
    state = get_state(ctx)
    if batch:
        from rentcal.cli.bulk import check_batch

        given = [
            name
            for name, value in (
                ("MACHINE", machine),
                ("START", start),
                ("END", end),
                ("--days", days),
                ("--json", as_json or None),
            )
            if value is not None
        ]
        if given:
            raise InvalidRequest(
                f"--batch cannot be combined with {', '.join(given)}: it reads every request "
                "from stdin and always answers in NDJSON"
            )
        raise typer.Exit(check_batch(state))
    if machine is None:
        raise InvalidRequest("missing MACHINE and START (and END or --days N), or use --batch")
    if start is None:
        raise InvalidRequest("missing START (and END or --days N)")
    first, last = state.span(start, end, days)
    with state.connect() as cal:
        answer = cal.check(machine, first, last, today=state.today)
    rental_views.show_availability(answer, as_json)
    if not answer.available:
        raise typer.Exit(EXIT_UNAVAILABLE)


@rental_commands.command(
    "free",
    epilog=examples(
        "rentcal free tractor-6120",
        "rentcal free tractor-6120 --from 2030-02-01 --to 2030-03-31 --days 5 --json",
    ),
)
@cli_command
def free(
    ctx: typer.Context,
    machine: MachineArg,
    from_: FromOpt = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="Up to this day (default: 90 days on)."),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, help="Only windows at least N days long.")
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """List the free windows of MACHINE (default: the next 90 days from today)."""
    state = get_state(ctx)
    first, last = state.window(from_, to, FREE_DEFAULT_DAYS)
    with state.connect() as cal:
        windows = cal.free_windows(machine, first, last, min_days=days)
    rental_views.show_free(windows, as_json)


@rental_commands.command(
    "book",
    epilog=examples(
        "rentcal book tractor-6120 2030-01-15 2030-01-20 --purpose 'hay harvest'",
        "rentcal book saw tomorrow --days 3 --json",
        "rentcal --as ada book tractor-6120 fri +10d --for bob",
    ),
)
@cli_command
def book(
    ctx: typer.Context,
    machine: MachineArg,
    start: StartArg,
    end: EndArg = None,
    days: DaysOpt = None,
    purpose: Annotated[str | None, typer.Option(help="What the machine is for.")] = None,
    for_: Annotated[
        str | None,
        typer.Option("--for", metavar="HANDLE", help="Book for this member (admins only)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Book MACHINE from START to END (inclusive). Exit 1 when it is not available."""
    state = get_state(ctx)
    first, last = state.span(start, end, days)
    from rentcal.frontend import booking  # lazily: keeps `rentcal --help` fast

    wanted = booking.BookingInput(
        machine, first, last, member=for_ or state.who(), acting=state.acting, purpose=purpose
    )
    with state.connect() as cal:
        rental = booking.book(cal, wanted, today=state.today)
        money = None if as_json else cal.currency()
    rental_views.show_rental(rental, as_json, headline=booked_words(rental), currency=money)


def booked_words(rental: "Rental") -> str:
    """``rentcal book``'s first line: the rental, and what it waits for, if anything
    (an admin, or its card payment: paid on the web page /me, or through the API)."""
    span = span_words(rental.start, rental.end)
    waiting = waiting_words(rental)
    said = f"Booked rental {rental.id}: {rental.machine} {span} - {waiting or rental.status.value}"
    if rental.awaiting_payment:
        said += "; pay for it on your page (/me) by then, or it is released unpaid"
    return said + "."


@rental_commands.command(
    "rentals",
    epilog=examples(
        "rentcal rentals --machine tractor-6120 --from today",
        "rentcal rentals --status pending --status approved --json",
    ),
)
@cli_command
def rentals(
    ctx: typer.Context,
    machine: MachineOpt = None,
    member: MemberOpt = None,
    status: Annotated[
        list[RentalStatus] | None,
        typer.Option("--status", case_sensitive=False, help="Only this status (repeatable)."),
    ] = None,
    from_: FromOpt = None,
    to: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List rentals matching every filter given (dates: touching that window)."""
    state = get_state(ctx)
    first, last = state.optional_day(from_), state.optional_day(to)
    with state.connect() as cal:
        found = cal.rentals(
            machine=machine, member=member, status=status or None, start=first, end=last
        )
        money = None if as_json else cal.currency()
    rental_views.show_rentals(found, as_json, money)


@rental_commands.command("show", epilog=examples("rentcal show 7", "rentcal show 7 --json"))
@cli_command
def show(ctx: typer.Context, rental_id: RentalIdArg, as_json: JsonOpt = False) -> None:
    """Show one rental, its history of status changes and its hand-overs."""
    with get_state(ctx).connect() as cal:
        rental = cal.rental(rental_id)
        history = cal.history(rental_id)
        handovers = cal.handovers(rental_id)
        money = None if as_json else cal.currency()
    rental_views.show_rental_details(rental, history, as_json, money, handovers)


@rental_commands.command("approve", epilog=examples("rentcal --as ada approve 7"))
@cli_command
def approve(ctx: typer.Context, rental_id: RentalIdArg, as_json: JsonOpt = False) -> None:
    """Approve a pending rental (admins). Exit 1 if its days are taken meanwhile."""
    state = get_state(ctx)
    with state.connect() as cal:
        rental = cal.approve(rental_id, acting=state.acting, today=state.today)
        money = None if as_json else cal.currency()
    rental_views.show_rental(
        rental, as_json, headline=f"Approved rental {rental.id}.", currency=money
    )


@rental_commands.command(
    "reject", epilog=examples("rentcal --as ada reject 7 --reason 'machine in repair'")
)
@cli_command
def reject(
    ctx: typer.Context, rental_id: RentalIdArg, reason: ReasonOpt = None, as_json: JsonOpt = False
) -> None:
    """Reject a pending or approved rental (admins); it is kept with the reason."""
    state = get_state(ctx)
    with state.connect() as cal:
        rental = cal.reject(rental_id, acting=state.acting, reason=reason, today=state.today)
        money = None if as_json else cal.currency()
    rental_views.show_rental(
        rental, as_json, headline=f"Rejected rental {rental.id}.", currency=money
    )


@rental_commands.command(
    "cancel", epilog=examples("rentcal cancel 7", "rentcal --as ada cancel 7 --reason 'rain'")
)
@cli_command
def cancel(
    ctx: typer.Context, rental_id: RentalIdArg, reason: ReasonOpt = None, as_json: JsonOpt = False
) -> None:
    """Cancel a rental before it ends (its member, or an admin)."""
    state = get_state(ctx)
    with state.connect() as cal:
        rental = cal.cancel(rental_id, acting=state.acting, reason=reason, today=state.today)
        money = None if as_json else cal.currency()
    rental_views.show_rental(
        rental, as_json, headline=f"Cancelled rental {rental.id}.", currency=money
    )


@rental_commands.command("complete", epilog=examples("rentcal --as ada complete 4"))
@cli_command
def complete(ctx: typer.Context, rental_id: RentalIdArg, as_json: JsonOpt = False) -> None:
    """Mark an approved rental that has started as completed (admins); one that is checked
    out is completed by its check-in (rentcal checkin)."""
    state = get_state(ctx)
    with state.connect() as cal:
        rental = cal.complete(rental_id, acting=state.acting, today=state.today)
        money = None if as_json else cal.currency()
    rental_views.show_rental(
        rental, as_json, headline=f"Completed rental {rental.id}.", currency=money
    )


__all__ = ["FREE_DEFAULT_DAYS", "rental_commands"]
