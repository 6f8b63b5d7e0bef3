"""The organisation's invoice settings as one value (issue #23).

What every invoice takes from the organisation: its name and address, tax ids,
e-mail, bank account, VAT rate (or none, with the reason), the days to pay
and the days after issue at which reminders go out. Stored as organisation
settings (one key each, append-only, with who and when:
:mod:`rentcal.service.invoice_settings`); this module turns them into values
an invoice uses and says what is still missing before one can be issued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rentcal.core.invoice_parts import BankAccount, InvoiceParty, make_party
from rentcal.errors import InvalidRequest

#: Days to pay when no admin set any.
DEFAULT_TERMS_DAYS = 14
MAX_TERMS_DAYS = 365
MAX_REMINDERS = 5


@dataclass(frozen=True, slots=True)
class InvoiceSettings:
    """The organisation's invoice settings (None: not set)."""

    name: str | None = None
    address_lines: tuple[str, ...] = ()
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    vat_id: str | None = None
    tax_number: str | None = None
    email: str | None = None
    iban: str | None = None
    bic: str | None = None
    #: Percent; None: the organisation charges no VAT.
    vat_rate: Decimal | None = None
    #: Why there is no VAT (printed on invoices without VAT).
    vat_note: str | None = None
    terms_days: int = DEFAULT_TERMS_DAYS
    #: Days after the issue day when reminders of an unpaid invoice go out.
    reminder_days: tuple[int, ...] = field(default=())

    def seller(self) -> InvoiceParty | None:
        """The organisation as invoices name it; None while name or country is missing."""
        if self.name is None or self.country is None:
            return None
        return make_party(
            "seller",
            name=self.name,
            country=self.country,
            address_lines=list(self.address_lines),
            postcode=self.postcode,
            city=self.city,
            vat_id=self.vat_id,
            tax_number=self.tax_number,
            email=self.email,
        )

    def bank(self) -> BankAccount | None:
        """Where to pay by transfer, or None without an IBAN."""
        return None if self.iban is None else BankAccount(self.iban, self.bic)

    def due_date(self, issued: date) -> date:
        """The day an invoice issued on ``issued`` is due."""
        return issued + timedelta(days=self.terms_days)

    @property
    def payment_terms(self) -> str:
        """The payment terms an invoice states."""
        if self.terms_days == 0:
            return "Payable on receipt"
        return f"Payable within {self.terms_days} days"

    def missing(self, currency: str | None) -> list[str]:
        """What must be set before an invoice can be issued (empty: ready).

        ``currency``: the organisation's (``rentcal currency set``).
        """
        found = []
        if self.name is None:
            found.append("the organisation's name")
        if self.country is None:
            found.append("its country")
        if currency is None:
            found.append("a currency (rentcal currency set EUR)")
        if self.vat_rate is not None and not (self.vat_id or self.tax_number):
            found.append("a VAT id or tax number to charge VAT")
        return found

    def require(self, currency: str | None) -> InvoiceParty:
        """The seller, or an InvalidRequest listing what is missing (``reason="not-ready"``)."""
        missing = self.missing(currency)
        seller = self.seller()
        if missing or seller is None:
            raise InvalidRequest(
                "invoices cannot be issued yet: set " + ", ".join(missing),
                field="invoice settings",
                reason="not-ready",
            )
        return seller

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape (``rentcal invoice settings show --json``)."""
        return {
            "name": self.name,
            "address_lines": list(self.address_lines),
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
            "vat_id": self.vat_id,
            "tax_number": self.tax_number,
            "email": self.email,
            "iban": self.iban,
            "bic": self.bic,
            "vat_rate": None if self.vat_rate is None else str(self.vat_rate),
            "vat_note": self.vat_note,
            "terms_days": self.terms_days,
            "reminder_days": list(self.reminder_days),
        }


@dataclass(frozen=True, slots=True)
class BillingAddress:
    """A member's billing address; ``stored`` False: none saved yet (all None)."""

    handle: str
    #: The name on the invoice (a farm, a company); None: the member's own name.
    name: str | None = None
    address_lines: tuple[str, ...] = ()
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    vat_id: str | None = None
    stored: bool = False

    def buyer(self, member_name: str, email: str | None, country: str) -> InvoiceParty:
        """The member as an invoice names them; ``country`` when the address has none
        (the organisation's: EN 16931 wants the buyer's country on every invoice)."""
        return make_party(
            "buyer",
            name=self.name or member_name,
            country=self.country or country,
            address_lines=list(self.address_lines),
            postcode=self.postcode,
            city=self.city,
            vat_id=self.vat_id,
            email=email,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape (``rentcal invoice address HANDLE --json``)."""
        return {
            "member": self.handle,
            "name": self.name,
            "address_lines": list(self.address_lines),
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
            "vat_id": self.vat_id,
            "stored": self.stored,
        }


__all__ = [
    "DEFAULT_TERMS_DAYS",
    "MAX_REMINDERS",
    "MAX_TERMS_DAYS",
    "BillingAddress",
    "InvoiceSettings",
]
