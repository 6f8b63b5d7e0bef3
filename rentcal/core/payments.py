"""Payments, what they settle, and a member's balance: pure and exact (issue #23).

A member's account holds documents (invoices, and credit notes that correct
one) and payments (refunds are negative payments, with a reason). Each
payment is allocated to invoices: oldest first by default
(:func:`allocate`), or as the admin says (:func:`allocate_explicit`); what
no invoice needs stays unallocated, a credit on the account that a later
allocation may use.

The one rule every figure follows, so they always agree:

* an invoice's **open amount** = its total + the totals of the credit notes
  referring to it (negative) - what payments allocated to it;
* the **balance** = invoices + credit notes - payments (positive: the member
  owes; negative: the organisation owes the member), which always equals the
  open amounts less the unallocated payments (:class:`Balance`).

An invoice credited after it was paid has a negative open amount: the member
is owed that, and a refund allocated to it settles it. Allocations never take
more than an invoice's open amount nor more than the payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rentcal.core.invoice_parts import is_decimal, refuse
from rentcal.core.invoices import InvoiceKind
from rentcal.core.pricing import CENT, MAX_AMOUNT
from rentcal.core.validate import clean_text
from rentcal.core.wording import quote

ZERO = Decimal("0.00")


class PaymentMethod(StrEnum):
    """How the money came (or went back)."""

    TRANSFER = "transfer"
    CASH = "cash"
    CARD = "card"


@dataclass(frozen=True, slots=True)
class Receivable:
    """An issued invoice or credit note as the account sees it (gross, signed)."""

    number: str
    kind: InvoiceKind
    issue_date: date
    due_date: date
    gross: Decimal
    #: The invoice a credit note corrects.
    refers_to: str | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a payment settling one invoice (same sign as the payment)."""

    invoice: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentEntry:
    """A recorded payment (negative: a refund) and what it was allocated to."""

    amount: Decimal
    received_on: date
    allocations: tuple[Allocation, ...] = ()

    @property
    def unallocated(self) -> Decimal:
        """What no invoice took yet (same sign as the payment, or zero)."""
        return self.amount - sum((a.amount for a in self.allocations), ZERO)


@dataclass(frozen=True, slots=True)
class OpenItem:
    """One invoice's state: its total, credits, payments and what is still open."""

    number: str
    issue_date: date
    due_date: date
    gross: Decimal
    #: The credit notes' totals (zero or negative).
    credited: Decimal
    #: What payments allocated to it (refunds allocated count negative).
    paid: Decimal

    @property
    def open(self) -> Decimal:
        """Still to pay (positive) or owed back to the member (negative)."""
        return self.gross + self.credited - self.paid

    def overdue(self, today: date) -> bool:
        """Whether something is still to pay after its due date."""
        return self.open > 0 and self.due_date < today


@dataclass(frozen=True, slots=True)
class Balance:
    """A member's account in sums; :attr:`balance` positive: the member owes."""

    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    refunded: Decimal
    unallocated: Decimal

    @property
    def balance(self) -> Decimal:
        """Invoices + credit notes - payments (refunds are negative payments)."""
        return self.invoiced + self.credited - self.paid - self.refunded


def check_payment(amount: object, reason: object = None) -> tuple[Decimal, str | None]:
    """A payment's amount (not zero, at most 2 places) and its reason (a refund needs one).

    Raises:
        InvalidRequest: naming the value and why.
    """
    if not is_decimal(amount, CENT) or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise refuse(
            "amount",
            amount,
            f"payment amount {quote(amount)} must be a Decimal of at most 2 places, not zero, "
            f"up to {MAX_AMOUNT} (negative: a refund)",
            "bad-amount",
        )
    why = clean_text(reason, "reason", max_len=500)
    if amount < 0 and why is None:
        raise refuse("reason", reason, f"a refund ({amount}) needs a reason", "refund-reason")
    return amount.quantize(CENT), why


def items(receivables: Iterable[Receivable], payments: Iterable[PaymentEntry]) -> list[OpenItem]:
    """Every invoice with its credits and payments, oldest first (issue day, number).

    Raises:
        InvalidRequest: a credit note or an allocation names an invoice not given.
    """
    docs = list(receivables)
    invoices = sorted(
        (r for r in docs if r.kind is InvoiceKind.INVOICE), key=lambda r: (r.issue_date, r.number)
    )
    known = {r.number for r in invoices}
    credited = dict.fromkeys(known, ZERO)
    paid = dict.fromkeys(known, ZERO)
    for doc in docs:
        if doc.kind is InvoiceKind.CREDIT_NOTE:
            _known(doc.refers_to, known, f"credit note {doc.number}")
            credited[doc.refers_to or ""] += doc.gross
    for payment in payments:
        for part in payment.allocations:
            _known(part.invoice, known, "an allocation")
            paid[part.invoice] += part.amount
    return [
        OpenItem(r.number, r.issue_date, r.due_date, r.gross, credited[r.number], paid[r.number])
        for r in invoices
    ]


def _known(number: str | None, known: set[str], who: str) -> None:
    if number not in known:
        raise refuse(
            "invoice",
            number,
            f"{who} names invoice {quote(number)}, which is not one of the member's",
            "unknown-invoice",
        )


def open_items(
    receivables: Iterable[Receivable], payments: Iterable[PaymentEntry]
) -> list[OpenItem]:
    """The invoices with something still to pay or owed back, oldest first."""
    return [item for item in items(receivables, payments) if item.open != 0]


def balance(receivables: Iterable[Receivable], payments: Iterable[PaymentEntry]) -> Balance:
    """The member's account in sums (see :class:`Balance`)."""
    docs = list(receivables)
    paid = list(payments)
    return Balance(
        invoiced=sum((r.gross for r in docs if r.kind is InvoiceKind.INVOICE), ZERO),
        credited=sum((r.gross for r in docs if r.kind is InvoiceKind.CREDIT_NOTE), ZERO),
        paid=sum((p.amount for p in paid if p.amount > 0), ZERO),
        refunded=sum((p.amount for p in paid if p.amount < 0), ZERO),
        unallocated=sum((p.unallocated for p in paid), ZERO),
    )


def allocate(amount: Decimal, open_: Sequence[OpenItem]) -> tuple[Allocation, ...]:
    """Spread ``amount`` over the open items, oldest first (as given).

    A payment (positive) settles invoices with something to pay; a refund
    (negative) those owing the member something. Each takes at most its open
    amount; what is left of ``amount`` stays unallocated.
    """
    sign = 1 if amount > 0 else -1
    left = abs(amount)
    parts: list[Allocation] = []
    for item in open_:
        wanted = item.open * sign
        if left <= 0:
            break
        if wanted <= 0:
            continue
        take = min(wanted, left)
        parts.append(Allocation(item.number, take * sign))
        left -= take
    return tuple(parts)


def allocate_explicit(
    amount: Decimal, wanted: Sequence[tuple[str, Decimal]], open_: Sequence[OpenItem]
) -> tuple[Allocation, ...]:
    """The allocations an admin asked for, checked against ``amount`` and the open items.

    Each is (invoice number, amount of the payment's sign); an invoice at most
    once, at most its open amount, together at most the payment.

    Raises:
        InvalidRequest: naming the invoice or amount and why.
    """
    by_number = {item.number: item for item in open_}
    seen: set[str] = set()
    total = ZERO
    for number, part in wanted:
        item = by_number.get(number)
        if item is None:
            raise refuse(
                "invoice",
                number,
                f"invoice {quote(number)} has nothing open to allocate to",
                "not-open",
            )
        if number in seen:
            raise refuse("invoice", number, f"invoice {number} is named twice", "duplicate")
        seen.add(number)
        if not is_decimal(part, CENT) or part == 0 or (part > 0) != (amount > 0):
            raise refuse(
                "amount",
                part,
                f"allocation {quote(part)} to {number} must be an amount "
                f"of the payment's sign, not zero",
                "bad-allocation",
            )
        if abs(part) > abs(item.open) or (item.open > 0) != (part > 0):
            raise refuse(
                "amount",
                part,
                f"allocation {part} to {number} is more than its open amount {item.open}",
                "over-allocated",
            )
        total += part
    if abs(total) > abs(amount):
        raise refuse(
            "amount",
            total,
            f"the allocations add up to {total}, more than the payment {amount}",
            "over-allocated",
        )
    return tuple(Allocation(number, part) for number, part in wanted)


__all__ = [
    "Allocation",
    "Balance",
    "OpenItem",
    "PaymentEntry",
    "PaymentMethod",
    "Receivable",
    "allocate",
    "allocate_explicit",
    "balance",
    "check_payment",
    "items",
    "open_items",
]
