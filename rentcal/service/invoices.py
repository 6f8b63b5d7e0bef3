"""Issuing invoices and credit notes, reading them back, their PDFs (issue #23).

Issuing: one invoice per member with charges not yet invoiced, charged on or
before the month's last day (so a charge booked late is billed next time,
never lost). Each member's invoice is ONE write transaction that first takes
the number sequence's row lock (PostgreSQL ``FOR UPDATE``; SQLite's BEGIN
IMMEDIATE), then reads the uninvoiced charges, then raises the sequence and
inserts the invoice: two admins issuing at once are serialised, so numbers
never repeat nor skip, and a charge lands on one invoice only (the database's
UNIQUE (charge_id, kind) stands behind it). A member whose uninvoiced charges
add up to zero or less gets no invoice: the credit waits for later charges.

An issued invoice never changes (triggers refuse it); it is stored with the
seller and buyer as they were, and rebuilt from its rows alone, so its PDF
says the same thing every time. A correction is a credit note (its own
number, from the same sequence) referring to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.engine import Connection, RowMapping

from rentcal.core import checks
from rentcal.core.invoice_parts import BankAccount, InvoiceLine
from rentcal.core.invoice_records import (
    InvoiceSummary,
    invoice_number,
    line_for_charge,
    party_from_json,
    party_json,
)
from rentcal.core.invoices import NUMBER_RE, InvoiceDocument, InvoiceKind, credit_note
from rentcal.core.statements import parse_period
from rentcal.core.values import Member
from rentcal.core.wording import quote
from rentcal.db import sql as q
from rentcal.db.sql import invoices as docs
from rentcal.errors import InvalidRequest, NotFound, PermissionDenied, RentcalError
from rentcal.service.account_state import Account, accounts, apply_credit
from rentcal.service.base import Context
from rentcal.service.editing import record_changes
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.invoice_settings import billing_of, read_invoice_settings

ZERO = Decimal("0.00")


def document(conn: Connection, head: RowMapping) -> InvoiceDocument:
    """The document as issued, from its stored rows only (never from today's settings)."""
    lines = tuple(
        InvoiceLine(
            description=r["description"],
            net=r["net"],
            first_day=r["first_day"],
            last_day=r["last_day"],
            days=r["days"],
            day_rate=r["day_rate"],
            units=r["units"],
            unit_name=r["unit_name"],
            unit_rate=r["unit_rate"],
            charge_id=r["charge_id"],
        )
        for r in docs.invoice_lines(conn, head["id"])
    )
    refers = head["refers_to_id"]
    refers_head = (
        None if refers is None else docs.invoice_head(conn, docs.invoice_number(conn, refers))
    )
    return InvoiceDocument(
        number=head["number"],
        kind=InvoiceKind(head["kind"]),
        issue_date=head["issue_date"],
        due_date=head["due_date"],
        currency=head["currency"],
        seller=party_from_json(head["seller"]),
        buyer=party_from_json(head["buyer"]),
        lines=lines,
        vat_rate=head["vat_rate"],
        vat_note=head["vat_note"],
        refers_to=None if refers_head is None else refers_head["number"],
        refers_to_date=None if refers_head is None else refers_head["issue_date"],
        bank=_bank(head),
        payment_reference=head["payment_reference"],
        payment_terms=head["payment_terms"],
        note=head["note"],
    )


def _bank(head: RowMapping) -> BankAccount | None:
    return None if head["iban"] is None else BankAccount(head["iban"], head["bic"])


def store(
    conn: Connection, doc: InvoiceDocument, member: Member, refers_id: int | None, ctx: Context,
    actor: Member,
) -> int:  # fmt: skip
    """Insert the document and its lines as they are; the change log says who issued it."""
    totals = doc.totals
    now = ctx.now()
    invoice_id = docs.insert_invoice(
        conn,
        {
            "number": doc.number, "kind": doc.kind.value, "member_id": member.id,
            "refers_to_id": refers_id, "issue_date": doc.issue_date, "due_date": doc.due_date,
            "currency": doc.currency, "net": totals.net, "vat": totals.vat,
            "gross": totals.gross, "vat_rate": totals.rate, "vat_category": totals.category.value,
            "vat_note": doc.vat_note, "seller": party_json(doc.seller),
            "buyer": party_json(doc.buyer), "iban": None if doc.bank is None else doc.bank.iban,
            "bic": None if doc.bank is None else doc.bank.bic,
            "payment_reference": doc.payment_reference, "payment_terms": doc.payment_terms,
            "note": doc.note, "created_by_id": actor.id, "created_at": now,
        },
    )  # fmt: skip
    docs.insert_lines(
        conn,
        [
            {
                "invoice_id": invoice_id, "kind": doc.kind.value, "position": position,
                "charge_id": line.charge_id, "description": line.description,
                "first_day": line.first_day, "last_day": line.last_day, "days": line.days,
                "day_rate": line.day_rate, "units": line.units, "unit_name": line.unit_name,
                "unit_rate": line.unit_rate, "net": line.net,
            }
            for position, line in enumerate(doc.lines, start=1)
        ],
    )  # fmt: skip
    issued = {"issued": f"{doc.kind.value} {doc.number} {totals.gross} {doc.currency}"}
    record_changes(conn, "member", member.id, {"issued": None}, issued, actor, now)
    return invoice_id


def summaries(found: Mapping[str, Account], rows: list[RowMapping]) -> list[InvoiceSummary]:
    """The list's rows: each document with what is open on it."""
    open_ = {item.number: item.open for state in found.values() for item in state.items()}
    return [
        InvoiceSummary(
            r["number"], InvoiceKind(r["kind"]), r["member"], r["issue_date"], r["due_date"],
            r["currency"], r["net"], r["vat"], r["gross"], r["refers_to"],
            open_.get(r["number"], ZERO),
        )
        for r in rows
    ]  # fmt: skip


class Invoices:
    """Issue invoices and credit notes (admins); read them and their PDFs (own, or admins)."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

    def issue(
        self,
        month: str,
        member: str | None = None,
        *,
        acting: str | None = None,
        today: date | None = None,
    ) -> list[InvoiceSummary]:
        """Issue one invoice per member (or for ``member``) with uninvoiced charges
        charged on or before the end of ``month`` (``"2030-01"``, a month that
        ended; never a year), dated ``today``.

        Each member's invoice is its own transaction holding the number sequence's
        lock; what was issued is returned, by member. A member whose uninvoiced
        charges add up to 0 or less gets none (the credit carries over).

        Raises:
            InvalidRequest: the invoice settings are incomplete (naming what is
                missing), not a month (a year too), or a month not over yet.
            PermissionDenied: not an admin.
        """
        span = parse_period(month, "month", years=False)
        checks.optional_handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(checks.optional_day(today, "today"))
        if span.last >= day:
            raise InvalidRequest(
                f"month {span.label} is not over on {day}: issue its invoices from "
                f"{span.last + timedelta(days=1)} on",
                field="month",
                value=span.label,
                reason="not-over",
            )
        with contextlib.suppress(RentcalError):
            self.housekeeping.housekeeping(day)

        def who(conn: Connection) -> list[tuple[int, str]]:
            self.ctx.admin(conn, acting, "issue invoices")
            read_invoice_settings(conn).require(self.ctx.currency_in(conn))
            if member is not None:
                row = q.member(self.ctx.member_row(conn, member))
                return [(row.id, row.handle)]
            return docs.members_with_uninvoiced(conn, span.last)

        numbers = [
            number
            for member_id, handle in self.ctx.read(who)
            if (number := self._issue_one(member_id, handle, span.last, day, acting))
        ]

        def listed(conn: Connection) -> list[InvoiceSummary]:
            rows = [r for r in docs.summaries(conn) if r["number"] in numbers]
            return summaries(accounts(conn), rows)

        return self.ctx.read(listed)

    def _issue_one(
        self, member_id: int, handle: str, last: date, day: date, acting: str | None
    ) -> str | None:
        def work(conn: Connection) -> str | None:
            actor = self.ctx.admin(conn, acting, "issue invoices")
            counter = docs.lock_sequence(conn) + 1  # held until commit
            charges = docs.uninvoiced_charges(conn, member_id, last)
            if sum((c.amount for c in charges), ZERO) <= 0:
                return None
            settings = read_invoice_settings(conn)
            currency = self.ctx.currency_in(conn)
            seller = settings.require(currency)
            buyer_row = q.member(self.ctx.member_row(conn, handle))
            buyer = billing_of(conn, member_id, handle).buyer(
                buyer_row.name, buyer_row.email, seller.country
            )
            number = invoice_number(day.year, counter)
            doc = InvoiceDocument(
                number=number,
                kind=InvoiceKind.INVOICE,
                issue_date=day,
                due_date=settings.due_date(day),
                currency=currency or "",
                seller=seller,
                buyer=buyer,
                lines=tuple(line_for_charge(c) for c in charges),
                vat_rate=settings.vat_rate,
                vat_note=settings.vat_note,
                bank=settings.bank(),
                payment_terms=settings.payment_terms,
            )
            docs.raise_sequence(conn, counter)
            store(conn, doc, buyer_row, None, self.ctx, actor)
            apply_credit(conn, member_id, handle, self.ctx.now())
            return number

        return self.ctx.write(work, calendar=False)

    def credit(
        self,
        number: str,
        reason: str,
        amount: Decimal | str | int | None = None,
        *,
        acting: str | None = None,
        today: date | None = None,
    ) -> InvoiceSummary:
        """Issue a credit note for invoice ``number`` (admins): every line, or ``amount``
        (net, positive, at most what is left to credit), with its ``reason``.

        Raises:
            NotFound: no such invoice.
            InvalidRequest: a credit note, no reason, too much.
            PermissionDenied: not an admin.
        """
        wanted = checks.text(number, "number")
        why = checks.text(reason, "reason")
        money = None if amount is None else checks.amount(amount, "amount", "credit amount")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(checks.optional_day(today, "today"))

        def work(conn: Connection) -> str:
            actor = self.ctx.admin(conn, acting, "issue credit notes")
            counter = docs.lock_sequence(conn) + 1
            head = self._head(conn, wanted)
            credited = -sum((Decimal(n) for n in docs.credited_net(conn, head["id"])), ZERO)
            note = credit_note(
                document(conn, head),
                invoice_number(day.year, counter),
                day,
                reason=why,
                amount=money,
                credited=credited,
            )
            docs.raise_sequence(conn, counter)
            owner = q.member(self.ctx.member_row(conn, head["member"]))
            store(conn, note, owner, head["id"], self.ctx, actor)
            return note.number

        issued = self.ctx.write(work, calendar=False)
        return self._listed(None, False, acting, (issued,))[0]

    def invoices(
        self, member: str | None = None, *, open_only: bool = False, acting: str | None = None
    ) -> list[InvoiceSummary]:
        """Issued invoices and credit notes, oldest first, each with what is open.

        Members see their own (``member`` defaults to them); admins everyone's
        (``member`` None: all). ``open_only``: invoices with something open.
        """
        checks.optional_handle(member, "member")
        checks.flag(open_only, "open_only")
        checks.optional_handle(acting, "acting", "acting member")
        return self._listed(member, open_only, acting, None)

    def _listed(
        self,
        member: str | None,
        open_only: bool,
        acting: str | None,
        numbers: tuple[str, ...] | None,
    ) -> list[InvoiceSummary]:
        def work(conn: Connection) -> list[InvoiceSummary]:
            actor = self.ctx.actor(conn, acting)
            handle = member if member is not None or actor.is_admin else actor.handle
            member_id = None
            if handle is not None:
                row = q.member(self.ctx.member_row(conn, handle))
                may_see(actor, row.handle, "the invoices")
                member_id = row.id
            found = summaries(accounts(conn, member_id), docs.summaries(conn, member_id))
            if numbers is not None:
                found = [s for s in found if s.number in numbers]
            return [s for s in found if s.open != 0] if open_only else found

        return self.ctx.read(work)

    def invoice(self, number: str, acting: str | None = None) -> InvoiceDocument:
        """One issued invoice or credit note as issued (its member's or an admin's)."""
        wanted = checks.text(number, "number")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> InvoiceDocument:
            actor = self.ctx.actor(conn, acting)
            head = self._head(conn, wanted)
            may_see(actor, head["member"], f"invoice {wanted}")
            return document(conn, head)

        return self.ctx.read(work)

    def invoice_pdf(self, number: str, acting: str | None = None) -> bytes:
        """The invoice's PDF (PDF/A-3 with its Factur-X XML): needs the ``invoices`` extra."""
        from rentcal.invoicing.pdf import invoice_pdf

        return invoice_pdf(self.invoice(number, acting))

    @staticmethod
    def _head(conn: Connection, number: str) -> RowMapping:
        """The invoice's row. A number no invoice can have (:data:`NUMBER_RE`) is not
        looked up: PostgreSQL refuses a NUL in text with an error of its own, and
        a page form passes what was typed."""
        head = docs.invoice_head(conn, number) if NUMBER_RE.match(number) else None
        if head is None:
            raise NotFound(
                f"no invoice numbered {quote(number)}", field="invoice", value=number[:40]
            )
        return head


def may_see(actor: Member, owner: str, what: str) -> None:
    """Members see their own invoices, payments and balance; admins everyone's."""
    if actor.handle != owner and not actor.is_admin:
        raise PermissionDenied(
            f"member {actor.handle!r} cannot see {what} of {owner!r}: members see their own",
            field="acting",
            value=actor.handle,
            reason="not-owner",
        )


__all__ = ["Invoices", "document", "may_see", "store", "summaries"]
