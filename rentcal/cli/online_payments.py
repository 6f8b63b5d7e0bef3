"""``rentcal online-payments show | set``: card payments through Stripe (issue #23)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, examples, group

if TYPE_CHECKING:
    from rentcal.core.online_payments import OnlinePaymentRules

online_payments_app = group(
    "online-payments",
    "Card payments through Stripe: at booking (with a hold), and of open invoices.",
    "rentcal online-payments show",
    "rentcal online-payments set --at-booking --hold-minutes 30 --invoices",
)

HistoryOpt = Annotated[
    bool, typer.Option("--history", help="Also list every stored change, newest first.")
]


def _emit(rules: "OnlinePaymentRules", as_json: bool) -> None:
    if as_json:
        render.emit_json(rules.as_dict())
        return
    render.emit_record(
        [
            ("at booking", "yes" if rules.at_booking else "no"),
            ("hold minutes", "-" if rules.hold_minutes is None else rules.hold_minutes),
            ("open invoices", "yes" if rules.invoices else "no"),
            ("online payments", rules.words()),
        ]
    )


@online_payments_app.command(
    "show",
    epilog=examples(
        "rentcal online-payments show", "rentcal online-payments show --history --json"
    ),
)
@cli_command
def online_payments_show(
    ctx: typer.Context, history: HistoryOpt = False, as_json: JsonOpt = False
) -> None:
    """Show whether members pay by card at booking, and may pay open invoices online.

    The server takes card payments only with a Stripe secret key and webhook
    secret configured (RENTCAL_STRIPE_SECRET_KEY, RENTCAL_STRIPE_WEBHOOK_SECRET;
    docs/billing.md).
    """
    state = get_state(ctx)
    with state.connect() as cal:
        rules = cal.online_payments()
        past: list[tuple[str, str, str | None, datetime]] = (
            cal.online_payments_history() if history else []
        )
    if as_json and history:
        changes = [
            {"setting": key, "value": value, "changed_by": by, "changed_at": at.isoformat()}
            for key, value, by, at in past
        ]
        render.emit_json({**rules.as_dict(), "history": changes})
        return
    _emit(rules, as_json)
    if history:
        rows = [(at, key, value, by or "-") for key, value, by, at in past]
        render.emit_table(
            ["set at", "setting", "value", "set by"], rows, empty="Nothing stored yet."
        )


@online_payments_app.command(
    "set",
    epilog=examples(
        "rentcal online-payments set --at-booking --hold-minutes 30",
        "rentcal --as ada online-payments set --invoices --json",
        "rentcal online-payments set --no-at-booking",
        "rentcal online-payments set --off",
    ),
)
@cli_command
def online_payments_set(
    ctx: typer.Context,
    at_booking: Annotated[
        bool | None,
        typer.Option(
            "--at-booking/--no-at-booking",
            help="Members pay by card when they book a machine that approves automatically "
            "(a price above zero); the booking holds its days until paid.",
            show_default=False,
        ),
    ] = None,
    hold_minutes: Annotated[
        int | None,
        typer.Option(
            "--hold-minutes",
            metavar="N",
            min=30,
            max=1440,
            help="How long a booking awaiting payment holds its days (30-1440; "
            "default 30), then it is released as unpaid.",
        ),
    ] = None,
    invoices: Annotated[
        bool | None,
        typer.Option(
            "--invoices/--no-invoices",
            help="Members may pay their open invoices online (from their page).",
            show_default=False,
        ),
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="No card payments at all.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store the organisation's card payments (admins only; recorded who/when).

    Needs the currency set (rentcal currency set EUR): Stripe charges in one.
    Bookings already made keep their state; the rules apply to the next ones.
    """
    from rentcal.errors import InvalidRequest

    if off and (at_booking is not None or hold_minutes is not None or invoices is not None):
        raise InvalidRequest("give --off alone, or --at-booking / --invoices and their options")
    state = get_state(ctx)
    with state.connect() as cal:
        if off:
            found = cal.set_online_payments(at_booking=False, invoices=False, acting=state.acting)
        else:
            found = cal.set_online_payments(
                at_booking=at_booking,
                hold_minutes=hold_minutes,
                invoices=invoices,
                acting=state.acting,
            )
    _emit(found, as_json)


__all__ = ["online_payments_app"]
