"""The parts of an invoice: its two parties, its lines, the bank account (issue #23).

Checked values: :func:`make_party` cleans loose input (trims, upper-cases the
country); :func:`check_party` and :func:`check_line` refuse what an invoice
cannot carry, naming the value and the reason — the document
(:mod:`rentcal.core.invoices`) runs them on every part, so no invalid part
reaches the PDF or the XML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeGuard

from rentcal.core.countries import ISO_3166, check_country
from rentcal.core.pricing import CENT, MAX_AMOUNT
from rentcal.core.validate import clean_email, clean_text
from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest

#: Prices per day or unit may have up to four decimal places (EN 16931 prices, BT-146).
RATE_PLACES = Decimal("0.0001")
MAX_ADDRESS_LINES = 3
MAX_UNITS = Decimal(10) ** 9


def refuse(field_: str, value: object, message: str, reason: str) -> InvalidRequest:
    return InvalidRequest(message, field=field_, value=value, reason=reason)


@dataclass(frozen=True, slots=True)
class InvoiceParty:
    """The seller (the organisation) or the buyer (a member) as the invoice names them."""

    name: str
    country: str
    address_lines: tuple[str, ...] = ()
    postcode: str | None = None
    city: str | None = None
    vat_id: str | None = None
    tax_number: str | None = None
    email: str | None = None

    @property
    def has_tax_id(self) -> bool:
        """Whether it has a VAT id or a tax number (needed to charge VAT)."""
        return bool(self.vat_id or self.tax_number)


def make_party(
    role: str,
    *,
    name: object,
    country: object,
    address_lines: object = (),
    postcode: object = None,
    city: object = None,
    vat_id: object = None,
    tax_number: object = None,
    email: object = None,
) -> InvoiceParty:
    """An :class:`InvoiceParty` from loose input: trimmed, the country upper-cased.

    ``role`` (``"seller"``, ``"buyer"``) names the values in errors.
    """
    lines = address_lines if isinstance(address_lines, (list, tuple)) else [address_lines]
    cleaned = [_one_line(f"{role} address line", v, 100, required=False) for v in lines]
    code = check_country(country, f"{role} country")
    vat = vat_id.replace(" ", "").upper() if isinstance(vat_id, str) else vat_id
    party = InvoiceParty(
        name=_one_line(f"{role} name", name, 200, required=True) or "",
        country=code,
        address_lines=tuple(line for line in cleaned if line),
        postcode=_one_line(f"{role} postcode", postcode, 20, required=False),
        city=_one_line(f"{role} city", city, 100, required=False),
        vat_id=_one_line(f"{role} VAT id", vat or None, 30, required=False),
        tax_number=_one_line(f"{role} tax number", tax_number, 30, required=False),
        email=_checked_email(role, email),
    )
    check_party(party, role)
    return party


def _one_line(label: str, value: object, limit: int, *, required: bool) -> str | None:
    return clean_text(value, label, max_len=limit, required=required, multiline=False)


def _checked_email(role: str, value: object) -> str | None:
    try:
        return clean_email(value)
    except InvalidRequest as err:
        raise refuse(f"{role}.email", value, f"{role} {err.message}", "bad-email") from None


def check_party(party: InvoiceParty, role: str) -> None:
    """Refuse a party an invoice cannot name (``role`` says whose value is wrong)."""
    if not party.name or len(party.name) > 200 or "\n" in party.name:
        raise refuse(
            f"{role}.name",
            party.name,
            f"{role} name must be one line of 1-200 characters, not {quote(party.name)}",
            "bad-name",
        )
    if party.country not in ISO_3166:
        raise refuse(
            f"{role}.country",
            party.country,
            f"{role} country {quote(party.country)} is not an ISO 3166 country code "
            f"(DE, FR, AT, ...)",
            "unknown-country",
        )
    if len(party.address_lines) > MAX_ADDRESS_LINES:
        raise refuse(
            f"{role}.address_lines",
            party.address_lines,
            f"{role} address has {len(party.address_lines)} lines; an invoice holds "
            f"{MAX_ADDRESS_LINES} (put postcode and city in their own fields)",
            "too-many-lines",
        )


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One charge as billed: what, which days, how many days and units, at what rates.

    ``net`` is the amount billed, signed (a correction may be negative), in
    cents; the rates and counts explain it and need not multiply to it (a
    charge of issue #22 may be rounded or corrected). ``charge_id``: the charge
    it bills, so each charge is invoiced once.
    """

    description: str
    net: Decimal
    first_day: date | None = None
    last_day: date | None = None
    days: int = 0
    day_rate: Decimal | None = None
    units: Decimal | None = None
    unit_name: str | None = None
    unit_rate: Decimal | None = None
    charge_id: int | None = None

    def negated(self) -> InvoiceLine:
        """The same line crediting its amount back (no ``-0.00``)."""
        return replace(self, net=(-self.net) + Decimal("0.00"))


def is_decimal(value: object, places: Decimal) -> TypeGuard[Decimal]:
    """Whether ``value`` is a finite Decimal of at most the places of ``places``."""
    return (
        isinstance(value, Decimal)
        and value.is_finite()
        and value == value.quantize(places, rounding=ROUND_HALF_UP)
    )


def check_line(line: InvoiceLine, number: int) -> None:
    """Refuse a line an invoice cannot carry (``number`` counts from 1 in errors)."""
    label = f"line {number}"
    clean_text(
        line.description, f"{label} description", max_len=200, required=True, multiline=False
    )
    if not is_decimal(line.net, CENT) or abs(line.net) > MAX_AMOUNT:
        raise refuse(
            f"lines[{number}].net",
            line.net,
            f"{label} amount {quote(line.net)} must "
            f"be a Decimal of at most 2 places up to {MAX_AMOUNT}",
            "bad-amount",
        )
    if (
        isinstance(line.days, bool)
        or not isinstance(line.days, int)
        or not 0 <= line.days <= 36_500
    ):
        raise refuse(
            f"lines[{number}].days",
            line.days,
            f"{label} days {quote(line.days)} must be a whole number 0-36500",
            "bad-days",
        )
    if (line.first_day is None) != (line.last_day is None):
        raise refuse(
            f"lines[{number}].first_day",
            line.first_day,
            f"{label} needs both its first and last day, or neither",
            "half-period",
        )
    if line.first_day is not None and line.last_day is not None and line.first_day > line.last_day:
        raise refuse(
            f"lines[{number}].last_day",
            line.last_day,
            f"{label} ends {line.last_day} before it starts {line.first_day}",
            "period-backwards",
        )
    for name in ("day_rate", "unit_rate"):
        rate = getattr(line, name)
        if rate is not None and (not is_decimal(rate, RATE_PLACES) or not 0 <= rate <= MAX_AMOUNT):
            raise refuse(
                f"lines[{number}].{name}",
                rate,
                f"{label} {name.replace('_', ' ')} "
                f"{quote(rate)} must be a Decimal 0 or more, of at most 4 places",
                "bad-rate",
            )
    if line.units is not None and (
        not is_decimal(line.units, RATE_PLACES) or abs(line.units) > MAX_UNITS
    ):
        raise refuse(
            f"lines[{number}].units",
            line.units,
            f"{label} units {quote(line.units)} must be a Decimal of at most 4 places",
            "bad-units",
        )
    clean_text(line.unit_name, f"{label} unit name", max_len=20, multiline=False)
    if line.charge_id is not None and (
        isinstance(line.charge_id, bool)
        or not isinstance(line.charge_id, int)
        or line.charge_id < 1
    ):
        raise refuse(
            f"lines[{number}].charge_id",
            line.charge_id,
            f"{label} charge id {quote(line.charge_id)} must be a positive whole number",
            "bad-charge",
        )


@dataclass(frozen=True, slots=True)
class BankAccount:
    """Where to pay by transfer: an IBAN (checked by the settings) and maybe a BIC."""

    iban: str
    bic: str | None = None


__all__ = [
    "MAX_ADDRESS_LINES",
    "RATE_PLACES",
    "BankAccount",
    "InvoiceLine",
    "InvoiceParty",
    "check_line",
    "check_party",
    "is_decimal",
    "make_party",
    "refuse",
]
