"""What admins and members type into invoice settings and billing addresses, checked.

Each settable field has one check turning what was given into what is stored
(text; ``""`` for a cleared setting), refusing it with the field's name and
why: the IBAN, BIC and VAT id by python-stdnum
(:mod:`rentcal.invoicing.identifiers`), the VAT rate 0-100 with at most 2
places, the country against ISO 3166, the terms and reminder days within
their bounds. :mod:`rentcal.service.invoice_settings` stores what passes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rentcal.core import checks
from rentcal.core.countries import check_country
from rentcal.core.invoice_settings import MAX_REMINDERS, MAX_TERMS_DAYS
from rentcal.core.invoices import check_vat_rate
from rentcal.core.validate import clean_email, clean_text
from rentcal.core.values import UNSET
from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest
from rentcal.invoicing import identifiers


def _text(limit: int, label: str) -> Callable[[object], str | None]:
    """A one-line text check of at most ``limit`` characters (None: left empty)."""
    return lambda v: clean_text(v, label, max_len=limit, multiline=False)


def _lines(value: object) -> tuple[str | None, str | None, str | None]:
    """Up to three address lines (blank ones dropped), as the three stored lines."""
    items = checks.items(value, (str,), "address_lines", "a list of text lines")
    kept = [
        t for t in (clean_text(v, "address line", max_len=100, multiline=False) for v in items) if t
    ]
    if len(kept) > 3:
        raise InvalidRequest(
            f"an address has at most 3 lines besides postcode, city and country, not {len(kept)}",
            field="address_lines",
            value=len(kept),
            reason="too-many-lines",
        )
    padded = [*kept, None, None, None]
    return padded[0], padded[1], padded[2]


def _vat_rate(value: object) -> str:
    """The VAT rate as stored text: ``""`` for none, so "no VAT" is a value, not a gap."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise checks.wrong_type("vat_rate", "a Decimal, an int or text like '19'", value)
    if isinstance(value, (str, int)):
        try:
            value = Decimal(str(value).strip())
        except InvalidOperation:
            raise InvalidRequest(
                f"VAT rate {quote(value)} is not a number (19, 7.7) or 'none'",
                field="vat_rate",
                value=value,
                reason="bad-vat-rate",
            ) from None
    rate = check_vat_rate(value)
    return "" if rate is None else str(rate)


def _terms(value: object) -> str:
    """Days to pay, 0 (on receipt) to the most a due date may lie ahead."""
    days = checks.whole_number(value, "terms_days")
    if not 0 <= days <= MAX_TERMS_DAYS:
        raise InvalidRequest(
            f"terms_days {days} must be 0 (on receipt) to {MAX_TERMS_DAYS} days",
            field="terms_days",
            value=days,
            reason="bad-terms",
        )
    return str(days)


def _reminders(value: object) -> str:
    """Reminder days as ``"21,35"``: increasing, so each stage follows the last."""
    days = [
        checks.whole_number(v, "reminder_days") for v in checks.iterable(value, "reminder_days")
    ]
    ordered = all(a < b for a, b in itertools.pairwise(days))
    if len(days) > MAX_REMINDERS or not ordered or any(not 1 <= d <= 365 for d in days):
        raise InvalidRequest(
            f"reminder_days {days} must be up to {MAX_REMINDERS} increasing days after issue, "
            f"each 1 to 365 (e.g. 21, 35)",
            field="reminder_days",
            value=days,
            reason="bad-reminders",
        )
    return ",".join(map(str, days))


def _optional(check: Callable[[str], str]) -> Callable[[object], str]:
    """A check of a text value that may be cleared (None or '' stores nothing)."""

    def run(value: object) -> str:
        text = clean_text(value, "value", max_len=100, multiline=False)
        return "" if text is None else check(text)

    return run


#: Each settable field: (its stored form's keys, the check turning input into stored text).
SETTABLE: dict[str, tuple[str, Callable[[object], Any]]] = {
    "name": ("name", lambda v: _text(200, "name")(v) or ""),
    "address_lines": ("address_lines", _lines),
    "postcode": ("postcode", lambda v: _text(20, "postcode")(v) or ""),
    "city": ("city", lambda v: _text(100, "city")(v) or ""),
    "country": ("country", _optional(check_country)),
    "vat_id": ("vat_id", _optional(identifiers.check_vat_id)),
    "tax_number": ("tax_number", lambda v: _text(30, "tax number")(v) or ""),
    "email": ("email", lambda v: clean_email(v) or ""),
    "iban": ("iban", _optional(identifiers.check_iban)),
    "bic": ("bic", _optional(identifiers.check_bic)),
    "vat_rate": ("vat_rate", _vat_rate),
    "vat_note": ("vat_note", lambda v: _text(200, "VAT note")(v) or ""),
    "terms_days": ("terms_days", _terms),
    "reminder_days": ("reminder_days", _reminders),
}


#: A billing address's fields: (column, check).
ADDRESS_FIELDS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "name": ("name", _text(200, "billing name")),
    "address_lines": ("address_lines", _lines),
    "postcode": ("postcode", _text(20, "postcode")),
    "city": ("city", _text(100, "city")),
    "country": ("country", lambda v: None if v is None else check_country(v)),
    "vat_id": ("vat_id", lambda v: None if v in (None, "") else identifiers.check_vat_id(str(v))),
}


#: The settings and address fields that are text (or None to clear them).
TEXT_FIELDS = (
    "name", "postcode", "city", "country", "vat_id", "tax_number", "email", "iban", "bic",
    "vat_note",
)  # fmt: skip


def typed(given: Mapping[str, object]) -> None:
    """Refuse a text field given as anything but text or None (ArgumentTypeError naming it)."""
    for name in TEXT_FIELDS:
        value = given.get(name, UNSET)
        if value is not UNSET and value is not None and not isinstance(value, str):
            raise checks.wrong_type(name, "text (a str) or None", value)


__all__ = ["ADDRESS_FIELDS", "SETTABLE", "TEXT_FIELDS", "typed"]
