"""``rentcal invoice issue | list | show | pdf | credit``: issued invoices and credit notes
(issue #23). See docs/billing.md for the month-end routine."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rentcal.cli import output_files, render
from rentcal.cli.context import get_state
from rentcal.cli.exit_codes import cli_command
from rentcal.cli.invoices import invoice_app
from rentcal.cli.options import JsonOpt, MemberOpt, examples

if TYPE_CHECKING:
    from rentcal.core.invoice_records import InvoiceSummary
    from rentcal.core.invoices import InvoiceDocument

NumberArg = Annotated[
    str, typer.Argument(metavar="NUMBER", help="The invoice's number, e.g. 2030-000001.")
]
#: The columns of ``rentcal invoice list --csv`` (new ones only ever go at the end).
CSV_COLUMNS = (
    "number", "kind", "member", "issue_date", "due_date", "currency", "net", "vat", "gross",
    "refers_to", "open",
)  # fmt: skip


#: The columns of an invoice listing for people.
HEADERS = ("number", "kind", "member", "issued", "due", "gross", "open", "corrects")


def _row(s: "InvoiceSummary") -> list[object]:
    """One invoice or credit note of a listing, its amounts with their currency."""
    return [
        s.number,
        "credit note" if s.refers_to else "invoice",
        s.member,
        s.issue_date.isoformat(),
        s.due_date.isoformat(),
        f"{s.gross} {s.currency}",
        f"{s.open} {s.currency}",
        s.refers_to or "",
    ]


@invoice_app.command(
    "issue",
    epilog=examples(
        "rentcal invoice issue --month 2030-01",
        "rentcal invoice issue --month 2029-12 --member bob --json",
    ),
)
@cli_command
def issue(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="The month that ended.")],
    member: MemberOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue one invoice per member with uninvoiced charges up to the month's end (admins).

    Numbers come from one gap-free sequence; a member whose uninvoiced charges
    add up to 0 or less gets no invoice (the credit carries over).
    """
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.issue_invoices(month, member, acting=state.acting, today=state.today)
    render.emit_items(
        found, as_json, HEADERS, _row, empty="No invoices issued: nothing left to invoice."
    )


@invoice_app.command(
    "list",
    epilog=examples(
        "rentcal invoice list --open",
        "rentcal invoice list --member bob --json",
        "rentcal invoice list --csv",
    ),
)
@cli_command
def list_(
    ctx: typer.Context,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only invoices with something still open.")
    ] = False,
    member: MemberOpt = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead.")] = False,
) -> None:
    """Issued invoices and credit notes, oldest first, with what is open on each.

    Members see their own; admins everyone's (or --member's).
    """
    from rentcal.errors import InvalidRequest

    if as_json and as_csv:
        raise InvalidRequest("give --json or --csv, not both")
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.invoices(member, open_only=open_only, acting=state.acting)
    if as_csv:
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for s in found:
            data = s.as_dict()
            writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
        output_files.write_output(out.getvalue().rstrip("\n"), None)
        return
    render.emit_items(found, as_json, HEADERS, _row, empty="No invoices.")


def _record(doc: "InvoiceDocument") -> list[tuple[str, object]]:
    t = doc.totals
    pairs: list[tuple[str, object]] = [
        ("number", doc.number),
        ("kind", "credit note" if doc.is_credit_note else "invoice"),
        ("issued", doc.issue_date.isoformat()),
        ("due", doc.due_date.isoformat()),
        ("seller", doc.seller.name),
        ("buyer", doc.buyer.name),
    ]
    if doc.refers_to:
        pairs.append(("corrects", doc.refers_to))
    pairs += [
        (f"line {i}", f"{line.description}: {line.net}") for i, line in enumerate(doc.lines, 1)
    ]
    rate = "none" if t.rate is None else f"{t.rate} %"
    pairs += [
        ("net", f"{t.net} {doc.currency}"),
        (f"VAT ({rate})", f"{t.vat} {doc.currency}"),
        ("total", f"{t.gross} {doc.currency}"),
        ("pay to", "-" if doc.bank is None else doc.bank.iban),
        ("reference", doc.reference),
    ]
    return pairs


def _as_dict(doc: "InvoiceDocument") -> dict[str, object]:
    t = doc.totals
    return {
        "number": doc.number,
        "kind": doc.kind.value,
        "issue_date": doc.issue_date.isoformat(),
        "due_date": doc.due_date.isoformat(),
        "currency": doc.currency,
        "seller": doc.seller.name,
        "buyer": doc.buyer.name,
        "refers_to": doc.refers_to,
        "lines": [
            {"description": line.description, "net": str(line.net), "charge": line.charge_id}
            for line in doc.lines
        ],
        "net": str(t.net),
        "vat": str(t.vat),
        "vat_rate": None if t.rate is None else str(t.rate),
        "gross": str(t.gross),
        "note": doc.note,
    }


@invoice_app.command(
    "show",
    epilog=examples("rentcal invoice show 2030-000001", "rentcal invoice show 2030-000001 --json"),
)
@cli_command
def show(ctx: typer.Context, number: NumberArg, as_json: JsonOpt = False) -> None:
    """One invoice or credit note as issued (its member's, or any for admins)."""
    state = get_state(ctx)
    with state.connect() as cal:
        doc = cal.invoice(number, acting=state.acting)
    if as_json:
        render.emit_json(_as_dict(doc))
        return
    render.emit_record(_record(doc))


@invoice_app.command(
    "pdf",
    epilog=examples("rentcal invoice pdf 2030-000001 --output 2030-000001.pdf"),
)
@cli_command
def pdf(
    ctx: typer.Context,
    number: NumberArg,
    output: Annotated[
        str,
        typer.Option("--output", "-o", metavar="FILE", help="Write the PDF to FILE."),
    ],
) -> None:
    """Write the invoice's PDF (PDF/A-3 carrying its Factur-X XML) to FILE."""
    state = get_state(ctx)
    with state.connect() as cal:
        data = cal.invoice_pdf(number, acting=state.acting)
    output_files.write_output(data, Path(output))


@invoice_app.command(
    "credit",
    epilog=examples(
        "rentcal invoice credit 2030-000001 --reason 'Tractor broke down on day 2'",
        "rentcal invoice credit 2030-000001 --reason 'Goodwill' --amount 20.00 --json",
    ),
)
@cli_command
def credit(
    ctx: typer.Context,
    number: NumberArg,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why (printed on the credit note).")
    ],
    amount: Annotated[
        str | None,
        typer.Option(
            "--amount", metavar="AMOUNT", help="Net amount to credit [default: every line]."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a credit note correcting an invoice (admins): every line, or an amount."""
    state = get_state(ctx)
    with state.connect() as cal:
        found = cal.credit_invoice(number, reason, amount, acting=state.acting, today=state.today)
    render.emit_items([found], as_json, HEADERS, _row, empty="")


__all__ = ["CSV_COLUMNS"]
