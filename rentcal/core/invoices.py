"""Invoices and credit notes as values: VAT and totals, exact (issue #23).

An :class:`InvoiceDocument` is everything an issued invoice says — and an issued
invoice never changes, so the document is frozen, checked whole when it is made
(an invalid one cannot exist) and its totals are computed once, here, in
Decimal: the PDF, the Factur-X XML and the database all take them from
:attr:`InvoiceDocument.totals` and never add up anything themselves.

Signs: amounts are signed as the member's account sees them. An invoice's
lines add up to a total of zero or more; a credit note's lines are the
negated lines of the invoice it corrects (or one line of a chosen amount), so
its total is negative and a balance is a plain sum. The XML writes a credit
note the way EN 16931 wants it (type 381, amounts positive).

VAT: one rate per organisation, applied to the total net amount and rounded
half-up to the cent (EN 16931 rule BR-CO-17), so a credit note of every line
has exactly the negated VAT of its invoice. Without VAT the category is
"exempt" (E) when the seller has a VAT id or a tax number, else "not subject
to VAT" (O), each with the reason the invoice states (``vat_note``).

Currency: required, an ISO 4217 code. The service passes the organisation's
currency (``rentcal currency set``) and refuses to issue while it has none:
an invoice in a currency nobody chose would be wrong, never a default EUR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rentcal.core.invoice_parts import (
    BankAccount,
    InvoiceLine,
    InvoiceParty,
    check_line,
    check_party,
    is_decimal,
    make_party,
    refuse,
)
from rentcal.core.money import ISO_4217
from rentcal.core.pricing import CENT, MAX_AMOUNT
from rentcal.core.validate import clean_text
from rentcal.core.wording import quote

HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
#: An invoice number: what a tax office and a bank transfer's reference can carry.
NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,39}\Z")
MAX_LINES = 500
#: What an invoice without VAT says when the organisation gave no reason of its own.
DEFAULT_EXEMPTION = {"E": "Exempt from VAT", "O": "Not subject to VAT"}


class InvoiceKind(StrEnum):
    """An invoice, or a credit note correcting one."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class VatCategory(StrEnum):
    """The EN 16931 VAT category codes (UNTDID 5305) rentcal issues."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    OUTSIDE = "O"


def vat_category(rate: Decimal | None, seller: InvoiceParty) -> VatCategory:
    """S for a positive rate, Z for 0 %; no VAT: E (seller with a tax id) or O (without).

    EN 16931 wants the seller's VAT id or tax number on S, Z and E invoices
    (BR-S-02, BR-Z-02, BR-E-02) and no seller VAT id on O ones (BR-O-02).
    """
    if rate is None:
        return VatCategory.EXEMPT if seller.has_tax_id else VatCategory.OUTSIDE
    return VatCategory.STANDARD if rate > 0 else VatCategory.ZERO


def vat_of(net: Decimal, rate: Decimal | None) -> Decimal:
    """VAT on ``net`` at ``rate`` percent, rounded half-up (away from zero) to the cent.

    >>> vat_of(Decimal("10.05"), Decimal("19")), vat_of(Decimal("-10.05"), Decimal("19"))
    (Decimal('1.91'), Decimal('-1.91'))
    """
    if rate is None:
        return ZERO
    return (net * rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP) + ZERO


def check_vat_rate(value: object, field_: str = "vat_rate") -> Decimal | None:
    """None (no VAT) or a percentage 0-100 of at most 2 places, as a Decimal."""
    if value is None:
        return None
    if not is_decimal(value, CENT) or not ZERO <= value <= HUNDRED:
        raise refuse(
            field_,
            value,
            f"VAT rate {quote(value)} must be a Decimal percentage from 0 to 100 with at most "
            f"2 decimal places (19, 7.7, 5.5)",
            "bad-vat-rate",
        )
    return value.quantize(CENT)


@dataclass(frozen=True, slots=True)
class Totals:
    """A document's sums, computed once: net, VAT (rounded half-up), gross."""

    net: Decimal
    vat: Decimal
    gross: Decimal
    category: VatCategory
    #: The VAT rate in percent; None without VAT.
    rate: Decimal | None


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """An invoice or credit note, whole: checked when made, totals in :attr:`totals`.

    ``refers_to`` / ``refers_to_date``: the invoice a credit note corrects
    (required for a credit note, refused on an invoice). ``vat_note``: why an
    invoice without VAT has none (German small businesses: "Kein Ausweis von
    Umsatzsteuer gemäß § 19 UStG"); a default when None. ``payment_reference``
    defaults to the number; ``note``: free text, e.g. why a credit note was made.
    """

    number: str
    kind: InvoiceKind
    issue_date: date
    due_date: date
    currency: str
    seller: InvoiceParty
    buyer: InvoiceParty
    lines: tuple[InvoiceLine, ...]
    vat_rate: Decimal | None = None
    vat_note: str | None = None
    refers_to: str | None = None
    refers_to_date: date | None = None
    bank: BankAccount | None = None
    payment_reference: str | None = None
    payment_terms: str | None = None
    note: str | None = None
    totals: Totals = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check_header()
        if not isinstance(self.lines, tuple) or not 1 <= len(self.lines) <= MAX_LINES:
            raise refuse(
                "lines",
                self.lines,
                f"an invoice needs a tuple of 1 to {MAX_LINES} lines",
                "bad-lines",
            )
        for number, line in enumerate(self.lines, start=1):
            if not isinstance(line, InvoiceLine):
                raise refuse("lines", line, f"line {number} is not an InvoiceLine", "bad-lines")
            check_line(line, number)
        check_party(self.seller, "seller")
        check_party(self.buyer, "buyer")
        rate = check_vat_rate(self.vat_rate)
        category = vat_category(rate, self.seller)
        net = sum((line.net for line in self.lines), ZERO)
        vat = vat_of(net, rate)
        object.__setattr__(self, "totals", Totals(net, vat, net + vat, category, rate))
        self._check_totals()

    def _check_header(self) -> None:
        if not isinstance(self.number, str) or not NUMBER_RE.match(self.number):
            raise refuse(
                "number",
                self.number,
                f"invoice number {quote(self.number)} must be 1-40 letters, digits, '/', '.', "
                f"'_' or '-', starting with a letter or digit",
                "bad-number",
            )
        if not isinstance(self.kind, InvoiceKind):
            raise refuse(
                "kind", self.kind, f"kind {quote(self.kind)} is not an InvoiceKind", "bad-kind"
            )
        for name in ("issue_date", "due_date"):
            if not isinstance(getattr(self, name), date):
                raise refuse(name, getattr(self, name), f"{name} must be a date", "bad-date")
        if self.due_date < self.issue_date:
            raise refuse(
                "due_date",
                self.due_date,
                f"due date {self.due_date} is before the issue date {self.issue_date}",
                "due-before-issue",
            )
        if self.currency not in ISO_4217:
            raise refuse(
                "currency",
                self.currency,
                f"currency {quote(self.currency)} is not an ISO 4217 code (EUR, CHF, ...)",
                "unknown-currency",
            )
        credit = self.kind is InvoiceKind.CREDIT_NOTE
        if credit != (self.refers_to is not None):
            raise refuse(
                "refers_to",
                self.refers_to,
                "a credit note names the invoice it corrects"
                if credit
                else "an invoice refers to no other invoice (a credit note does)",
                "refers-to",
            )
        if self.refers_to is not None and not NUMBER_RE.match(str(self.refers_to)):
            raise refuse(
                "refers_to",
                self.refers_to,
                f"refers_to {quote(self.refers_to)} is not an invoice number",
                "bad-number",
            )
        for name, limit in (("vat_note", 200), ("payment_terms", 200), ("note", 500)):
            clean_text(getattr(self, name), name.replace("_", " "), max_len=limit)
        clean_text(self.payment_reference, "payment reference", max_len=140, multiline=False)

    def _check_totals(self) -> None:
        totals = self.totals
        if abs(totals.gross) > MAX_AMOUNT:
            raise refuse(
                "lines",
                totals.gross,
                f"the total {totals.gross} is larger than {MAX_AMOUNT}",
                "too-large",
            )
        if self.kind is InvoiceKind.INVOICE and totals.gross < 0:
            raise refuse(
                "lines",
                totals.gross,
                f"an invoice's total cannot be negative ({totals.gross}): issue a credit note",
                "negative-invoice",
            )
        if self.kind is InvoiceKind.CREDIT_NOTE and totals.gross >= 0:
            raise refuse(
                "lines",
                totals.gross,
                f"a credit note's total must be negative (it credits), not {totals.gross}",
                "positive-credit-note",
            )
        if totals.category in (VatCategory.STANDARD, VatCategory.ZERO) and not (
            self.seller.has_tax_id
        ):
            raise refuse(
                "seller.vat_id",
                None,
                "an invoice with VAT needs the seller's VAT id or tax number",
                "seller-tax-id",
            )

    @property
    def is_credit_note(self) -> bool:
        """Whether it is a credit note (type 381) rather than an invoice (380)."""
        return self.kind is InvoiceKind.CREDIT_NOTE

    @property
    def exemption_reason(self) -> str | None:
        """Why there is no VAT (E and O only): the organisation's words, else a default."""
        code = self.totals.category.value
        if code not in DEFAULT_EXEMPTION:
            return None
        return self.vat_note or DEFAULT_EXEMPTION[code]

    @property
    def reference(self) -> str:
        """What a bank transfer should quote: ``payment_reference``, else the number."""
        return self.payment_reference or self.number

    @property
    def period(self) -> tuple[date, date] | None:
        """The first and last day the lines cover, or None when no line has days."""
        firsts = [line.first_day for line in self.lines if line.first_day is not None]
        lasts = [line.last_day for line in self.lines if line.last_day is not None]
        return (min(firsts), max(lasts)) if firsts and lasts else None


def _shown(amount: object) -> str:
    """An amount in a message: a Decimal as the number it is (``500.00``), not its
    repr; anything else quoted, so the message says what was given."""
    return str(amount) if isinstance(amount, Decimal) and amount.is_finite() else quote(amount)


def credit_note(
    invoice: InvoiceDocument,
    number: str,
    issue_date: date,
    *,
    reason: str,
    amount: Decimal | None = None,
    credited: Decimal = ZERO,
) -> InvoiceDocument:
    """A credit note correcting ``invoice``: all its lines negated, or a chosen amount.

    ``amount`` (net, before VAT, positive): one line crediting that much;
    None: every line of the invoice, negated. ``credited``: the net amount
    earlier credit notes already took back from this invoice (positive); the
    credit note never takes back more than is left. Same seller, buyer,
    currency, VAT and bank as the invoice, due on its issue day.

    Raises:
        InvalidRequest: not an invoice, no reason, or more than is left to credit.
    """
    if invoice.kind is not InvoiceKind.INVOICE:
        raise refuse(
            "invoice",
            invoice.number,
            f"{invoice.number} is a credit note: only an invoice can be credited",
            "not-an-invoice",
        )
    why = clean_text(reason, "reason", max_len=500, required=True)
    if not is_decimal(credited, CENT) or credited < 0:
        raise refuse(
            "credited",
            credited,
            f"credited {quote(credited)} must be a Decimal amount of 0 or more",
            "bad-amount",
        )
    left = invoice.totals.net - credited
    if amount is None:
        if credited:
            raise refuse(
                "amount",
                None,
                f"{credited} of invoice {invoice.number} was credited already: credit what is "
                f"left ({left}) as an amount",
                "partly-credited",
            )
        lines = tuple(line.negated() for line in invoice.lines)
    else:
        if not is_decimal(amount, CENT) or not ZERO < amount <= left:
            raise refuse(
                "amount",
                amount,
                f"credit amount {_shown(amount)} must be more than 0 and at most the {left} "
                f"left of invoice {invoice.number} (net, before VAT)",
                "bad-credit-amount",
            )
        text = f"Credit for invoice {invoice.number}"
        lines = (InvoiceLine(description=text, net=-amount),)
    return InvoiceDocument(
        number=number,
        kind=InvoiceKind.CREDIT_NOTE,
        issue_date=issue_date,
        due_date=issue_date,
        currency=invoice.currency,
        seller=invoice.seller,
        buyer=invoice.buyer,
        lines=lines,
        vat_rate=invoice.vat_rate,
        vat_note=invoice.vat_note,
        refers_to=invoice.number,
        refers_to_date=invoice.issue_date,
        bank=invoice.bank,
        payment_reference=number,
        payment_terms="Credited to your account",
        note=why,
    )


__all__ = [
    "DEFAULT_EXEMPTION",
    "MAX_LINES",
    "NUMBER_RE",
    "BankAccount",
    "InvoiceDocument",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceParty",
    "Totals",
    "VatCategory",
    "check_vat_rate",
    "credit_note",
    "make_party",
    "vat_category",
    "vat_of",
]
