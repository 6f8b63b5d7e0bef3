"""A member's account as a transaction sees it: documents, payments, what is open (issue #23).

Read in the caller's transaction and handed to the pure rules of
:mod:`rentcal.core.payments`, so the invoice list, the balance, the open
items and every allocation follow one rule. :func:`apply_credit` spends what
payments left unallocated on the invoices still open, oldest first: a payment
made before its invoice was issued settles it when it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.engine import Connection, RowMapping

from rentcal.core.invoices import InvoiceKind
from rentcal.core.payments import Allocation, OpenItem, PaymentEntry, Receivable, allocate, items
from rentcal.db.sql import invoices as docs

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Account:
    """One member's documents and payments (with their ids, for new allocations)."""

    receivables: tuple[Receivable, ...]
    payments: tuple[tuple[int, PaymentEntry], ...]

    def items(self) -> list[OpenItem]:
        """Every invoice with its credits, payments and open amount, oldest first."""
        return items(self.receivables, (p for _, p in self.payments))

    def open_items(self) -> list[OpenItem]:
        """The invoices with something open, oldest first."""
        return [item for item in self.items() if item.open != 0]


def receivable(row: RowMapping) -> Receivable:
    """A document row of :func:`rentcal.db.sql.invoices.summaries` as the account sees it."""
    return Receivable(
        row["number"],
        InvoiceKind(row["kind"]),
        row["issue_date"],
        row["due_date"],
        Decimal(row["gross"]),
        row["refers_to"],
    )


def accounts(conn: Connection, member_id: int | None = None) -> dict[str, Account]:
    """Every member's account with a document or payment (or one member's), by handle."""
    found: dict[str, tuple[list[Receivable], list[tuple[int, PaymentEntry]]]] = {}
    for row in docs.summaries(conn, member_id):
        found.setdefault(row["member"], ([], []))[0].append(receivable(row))
    parts: dict[int, list[Allocation]] = {}
    for row in docs.allocations(conn, member_id):
        parts.setdefault(row["payment_id"], []).append(
            Allocation(row["number"], Decimal(row["amount"]))
        )
    for row in docs.payments(conn, member_id):
        entry = PaymentEntry(
            Decimal(row["amount"]), row["received_on"], tuple(parts.get(row["id"], ()))
        )
        found.setdefault(row["member"], ([], []))[1].append((row["id"], entry))
    return {h: Account(tuple(r), tuple(p)) for h, (r, p) in found.items()}


def account(conn: Connection, member_id: int, handle: str) -> Account:
    """One member's account (empty when they have no document and no payment)."""
    return accounts(conn, member_id).get(handle, Account((), ()))


def save_allocations(
    conn: Connection, payment_id: int, parts: tuple[Allocation, ...], now: datetime
) -> None:
    """Store the allocations of one payment."""
    ids = docs.invoice_ids(conn, [a.invoice for a in parts])
    docs.insert_allocations(
        conn,
        [
            {
                "payment_id": payment_id,
                "invoice_id": ids[a.invoice],
                "amount": a.amount,
                "created_at": now,
            }
            for a in parts
        ],
    )


def apply_credit(conn: Connection, member_id: int, handle: str, now: datetime) -> None:
    """Spend the payments' unallocated amounts on the open invoices, oldest first
    (oldest payments first); refunds left unallocated are spent the same way."""
    state = account(conn, member_id, handle)
    open_ = state.open_items()
    for payment_id, entry in state.payments:
        left = entry.unallocated
        if left == 0 or not open_:
            continue
        parts = allocate(left, open_)
        if parts:
            save_allocations(conn, payment_id, parts, now)
            taken = {a.invoice: a.amount for a in parts}
            open_ = [
                OpenItem(
                    i.number, i.issue_date, i.due_date, i.gross, i.credited,
                    i.paid + taken.get(i.number, ZERO),
                )
                for i in open_
            ]  # fmt: skip


__all__ = ["Account", "account", "accounts", "apply_credit", "receivable", "save_allocations"]
