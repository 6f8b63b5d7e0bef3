"""Payments, refunds and members' balances (issue #23).

An admin records money received (``amount`` positive) or paid back (a refund:
negative, with its reason); it is allocated to the member's open invoices in
the same transaction, oldest first, or to the invoices the admin names. What
no invoice takes stays on the account as a credit, spent on the next invoice
when it is issued (:func:`rentcal.service.account_state.apply_credit`).
Nothing is updated or deleted: a mistaken payment is answered by a refund.

Members see their own payments, balance and open items; admins everyone's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.payments import (
    Allocation,
    Balance,
    OpenItem,
    PaymentMethod,
    allocate,
    allocate_explicit,
    balance,
    check_payment,
)
from rentcal.db import sql as q
from rentcal.db.sql import invoices as docs
from rentcal.errors import InvalidRequest
from rentcal.service.account_state import account, save_allocations
from rentcal.service.base import Context
from rentcal.service.editing import record_changes
from rentcal.service.invoices import may_see


@dataclass(frozen=True, slots=True)
class Payment:
    """A recorded payment (negative: a refund) and the invoices it settled."""

    id: int
    member: str
    amount: Decimal
    method: PaymentMethod
    received_on: date
    reference: str | None
    reason: str | None
    allocations: tuple[Allocation, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (``rentcal payment list --json``): amounts as strings."""
        return {
            "id": self.id,
            "member": self.member,
            "amount": str(self.amount),
            "method": self.method.value,
            "received_on": self.received_on.isoformat(),
            "reference": self.reference,
            "reason": self.reason,
            "allocations": [
                {"invoice": a.invoice, "amount": str(a.amount)} for a in self.allocations
            ],
        }


@dataclass(frozen=True, slots=True)
class Account:
    """A member's balance (positive: they owe) and their open invoices, oldest first."""

    member: str
    currency: str | None
    balance: Balance
    open_items: tuple[OpenItem, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape (``rentcal balance --json``): amounts as strings."""
        b = self.balance
        return {
            "member": self.member,
            "currency": self.currency,
            "balance": str(b.balance),
            "invoiced": str(b.invoiced),
            "credited": str(b.credited),
            "paid": str(b.paid),
            "refunded": str(b.refunded),
            "unallocated": str(b.unallocated),
            "open_items": [
                {
                    "invoice": i.number,
                    "issue_date": i.issue_date.isoformat(),
                    "due_date": i.due_date.isoformat(),
                    "gross": str(i.gross),
                    "credited": str(i.credited),
                    "paid": str(i.paid),
                    "open": str(i.open),
                }
                for i in self.open_items
            ],
        }


class Payments:
    """Record payments and refunds (admins); balances and payments (own, or admins)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def add_payment(
        self,
        member: str,
        amount: Decimal | str | int,
        method: PaymentMethod | str,
        *,
        reference: str | None = None,
        reason: str | None = None,
        received_on: date | None = None,
        invoice: str | None = None,
        acting: str | None = None,
    ) -> Payment:
        """Record money from ``member`` (negative ``amount``: a refund, which needs a
        ``reason``) and allocate it: to ``invoice`` when named (as much as it has open),
        else to the open invoices oldest first; the rest stays as a credit.

        Raises:
            InvalidRequest: amount 0 or not money, a refund without reason, an unknown
                method, an invoice with nothing open of the payment's sign.
            PermissionDenied: not an admin.
            NotFound: no such member.
        """
        handle = checks.handle(member, "member")
        money, why = check_payment(signed_money(amount), checks.free_text(reason, "reason"))
        how = checks.choice(method, PaymentMethod, "method", "payment method")
        ref = checks.free_text(reference, "reference", max_len=140)
        day = checks.optional_day(received_on, "received_on")
        target = None if invoice is None else checks.text(invoice, "invoice")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> int:
            actor = self.ctx.admin(conn, acting, "record payments")
            who = q.member(self.ctx.member_row(conn, handle))
            open_ = account(conn, who.id, who.handle).open_items()
            if target is None:
                parts = allocate(money, open_)
            else:
                item = next((i for i in open_ if i.number == target), None)
                share = min(abs(money), abs(item.open)) if item is not None else money
                signed = share if money > 0 else -share
                parts = allocate_explicit(money, [(target, signed)], open_)
            now = self.ctx.now()
            payment_id = docs.insert_payment(
                conn,
                {
                    "member_id": who.id, "amount": money, "method": how.value,
                    "reference": ref, "reason": why,
                    "received_on": day or self.ctx.today(), "recorded_by_id": actor.id,
                    "created_at": now,
                },
            )  # fmt: skip
            save_allocations(conn, payment_id, parts, now)
            words = {"payment": f"{money} {how.value} {ref or ''}".strip()}
            record_changes(conn, "member", who.id, {"payment": None}, words, actor, now)
            return payment_id

        new_id = self.ctx.write(work, calendar=False)
        return next(p for p in self.payments(handle, acting=acting) if p.id == new_id)

    def payments(self, member: str | None = None, *, acting: str | None = None) -> list[Payment]:
        """Recorded payments and refunds, oldest first, with their allocations.

        Members see their own (``member`` defaults to them); admins anyone's, or
        everyone's with ``member`` None.
        """
        checks.optional_handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> list[Payment]:
            actor = self.ctx.actor(conn, acting)
            handle = member if member is not None or actor.is_admin else actor.handle
            member_id = None
            if handle is not None:
                row = q.member(self.ctx.member_row(conn, handle))
                may_see(actor, row.handle, "the payments")
                member_id = row.id
            parts: dict[int, list[Allocation]] = {}
            for r in docs.allocations(conn, member_id):
                parts.setdefault(r["payment_id"], []).append(
                    Allocation(r["number"], Decimal(r["amount"]))
                )
            return [
                Payment(
                    r["id"], r["member"], Decimal(r["amount"]), PaymentMethod(r["method"]),
                    r["received_on"], r["reference"], r["reason"], tuple(parts.get(r["id"], ())),
                )
                for r in docs.payments(conn, member_id)
            ]  # fmt: skip

        return self.ctx.read(work)

    def balance(self, member: str | None = None, *, acting: str | None = None) -> Account:
        """A member's balance and open invoices (``member`` defaults to the acting one)."""
        checks.optional_handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> Account:
            actor = self.ctx.actor(conn, acting)
            row = actor if member is None else q.member(self.ctx.member_row(conn, member))
            may_see(actor, row.handle, "the balance")
            state = account(conn, row.id, row.handle)
            return Account(
                row.handle,
                self.ctx.currency_in(conn),
                balance(state.receivables, (p for _, p in state.payments)),
                tuple(state.open_items()),
            )

        return self.ctx.read(work)


def signed_money(value: object) -> Decimal:
    """A payment's amount from a Decimal, an int or a string like ``"-20.00"`` (a refund)."""
    if isinstance(value, str) and value.strip().startswith("-"):
        found = -checks.amount(value.strip()[1:], "amount", "payment amount")
    elif isinstance(value, (Decimal, int)) and not isinstance(value, bool) and value < 0:
        found = -checks.amount(-value, "amount", "payment amount")
    else:
        found = checks.amount(value, "amount", "payment amount")
    if found == 0:
        raise InvalidRequest(
            "payment amount is 0: record money received (120.00) or paid back (-20.00)",
            field="amount",
            value=str(value),
            reason="zero",
        )
    return found


__all__ = ["Account", "Payment", "Payments"]
