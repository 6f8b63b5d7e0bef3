"""``rentcal payment add | list`` and ``rentcal balance``: money received and refunded,
and what each member owes (issue #23). See docs/billing.md."""

from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.options import JsonOpt, MemberOpt, commands, examples, group

if TYPE_CHECKING:
    from rentcal.service.payments import Payment

payment_app = group(
    "payment",
    "Payments and refunds (admins record them; members see their own).",
    "rentcal payment add --member bob --amount 120.00 --method transfer --reference 'RE 1'",
    "rentcal payment list --member bob",
)
balance_commands = commands()


#: The columns of a payment listing for people.
HEADERS = ("id", "received", "member", "amount", "method", "reference", "settled", "reason")


def _row(p: "Payment") -> list[object]:
    """One payment or refund of a listing, with the invoices it settled."""
    return [
        p.id,
        p.received_on.isoformat(),
        p.member,
        str(p.amount),
        p.method.value,
        p.reference or "",
        ", ".join(f"{a.invoice}: {a.amount}" for a in p.allocations) or "-",
        p.reason or "",
    ]


@payment_app.command(
    "add",
    epilog=examples(
        "rentcal payment add --member bob --amount 120.00 --method transfer --reference 'RE 1'",
        "rentcal payment add --member bob --amount 50 --method cash --invoice 2030-000002",
        "rentcal payment add --member bob --amount -23.80 --method transfer"
        " --reason 'Credit note 2030-000003 paid back' --json",
    ),
)
@cli_command
def add(
    ctx: typer.Context,
    member: Annotated[str, typer.Option("--member", metavar="HANDLE", help="Who paid.")],
    amount: Annotated[
        str, typer.Option("--amount", metavar="AMOUNT", help="Received; negative: a refund.")
    ],
    method: Annotated[
        str, typer.Option("--method", metavar="METHOD", help="transfer, cash or card.")
    ],
    reference: Annotated[
        str | None, typer.Option("--reference", metavar="TEXT", help="The bank's reference.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why (a refund needs one).")
    ] = None,
    received: Annotated[
        str | None,
        typer.Option("--date", metavar="DATE", help="Day received [default: today]."),
    ] = None,
    invoice: Annotated[
        str | None,
        typer.Option("--invoice", metavar="NUMBER", help="Settle this invoice [default: oldest]."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a payment or a refund (admins) and allocate it, oldest invoice first.

    What no invoice takes stays a credit, spent on the next invoice issued.
    Nothing is ever changed or deleted: a mistake is answered by a refund.
    """
    from rentcal.cli.dates import parse_date

    state = get_state(ctx)
    day = None if received is None else parse_date(received, state.today)
    with state.connect() as cal:
        found = cal.add_payment(
            member, amount, method, reference=reference, reason=reason, received_on=day,
            invoice=invoice, acting=state.acting,
        )  # fmt: skip
    render.emit_items([found], as_json, HEADERS, _row, empty="")


@payment_app.command(
    "list",
    epilog=examples("rentcal payment list", "rentcal payment list --member bob --json"),
)
@cli_command
def list_(ctx: typer.Context, member: MemberOpt = None, as_json: JsonOpt = False) -> None:
    """Payments and refunds, oldest first, with the invoices each settled."""
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.payments(member, acting=state.acting)
    render.emit_items(found, as_json, HEADERS, _row, empty="No payments.")


@balance_commands.command(
    "balance",
    epilog=examples("rentcal --as bob balance", "rentcal balance --member bob --json"),
)
@cli_command
def balance(
    ctx: typer.Context,
    member: Annotated[
        str | None,
        typer.Option("--member", metavar="HANDLE", help="Whose (admins) [default: yours]."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A member's balance (positive: they owe) and their open invoices, oldest first."""
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.balance(member, acting=state.acting)
    if as_json:
        render.emit_json(found.as_dict())
        return
    money = found.currency or ""
    b = found.balance
    render.echo(f"Balance of {found.member}: {b.balance} {money}".rstrip())
    render.echo(f"Invoiced {b.invoiced}, credited {b.credited}, paid {b.paid}, "
                f"refunded {b.refunded}, unallocated {b.unallocated}")  # fmt: skip
    render.emit_table(
        ["invoice", "issued", "due", "gross", "credited", "paid", "open"],
        [
            [
                i.number,
                i.issue_date.isoformat(),
                i.due_date.isoformat(),
                str(i.gross),
                str(i.credited),
                str(i.paid),
                str(i.open),
            ]
            for i in found.open_items
        ],
        empty="No open invoices.",
    )


__all__ = ["balance_commands", "payment_app"]
