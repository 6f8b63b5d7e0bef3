"""IBAN, BIC and VAT id checks for the organisation's invoice settings (issue #23).

A wrong IBAN on every invoice sends every member's money astray, and a VAT id
with a wrong check digit gets invoices refused: these are checked when an admin
types them, by python-stdnum (maintained, the checks of each country: IBAN
length per country and ISO 7064 mod 97; BIC shape; the VAT id's own checksum
for each country it knows). Each returns the compact form (``DE89 3704 ...`` ->
``DE8937040044...``) or refuses, naming the value and why.
"""

from __future__ import annotations

import re

from rentcal.core.wording import quote
from rentcal.errors import InvalidRequest
from rentcal.invoicing.extra import load

#: A VAT id's shape where python-stdnum has no rule for its country.
VAT_SHAPE = re.compile(r"[A-Z]{2}[0-9A-Z+*.]{2,13}\Z")


def _refuse(field: str, value: object, what: str, err: Exception) -> InvalidRequest:
    why = str(err).rstrip(".").lower() or "it is not valid"
    return InvalidRequest(
        f"{field} {quote(value)} is not a valid {what}: {why}",
        field=field,
        value=value,
        reason=f"bad-{field.replace('_', '-')}",
    )


def check_iban(value: str, field: str = "iban") -> str:
    """The IBAN in compact upper case, checked (country length, check digits)."""
    iban = load("stdnum.iban", "checking an IBAN")
    try:
        return str(iban.validate(value))
    except ValueError as err:  # stdnum's ValidationError is a ValueError
        raise _refuse(field, value, "IBAN", err) from None


def check_bic(value: str, field: str = "bic") -> str:
    """The BIC (SWIFT code) in compact upper case, 8 or 11 characters."""
    bic = load("stdnum.bic", "checking a BIC")
    try:
        return str(bic.validate(value))
    except ValueError as err:
        raise _refuse(field, value, "BIC", err) from None


def check_vat_id(value: str, field: str = "vat_id") -> str:
    """A VAT id with its country prefix (``DE...``, ``ATU...``), checksum checked where
    python-stdnum knows the country; elsewhere its shape only."""
    vatin = load("stdnum.vatin", "checking a VAT id")
    exceptions = load("stdnum.exceptions", "checking a VAT id")
    compact = re.sub(r"[\s.-]", "", value).upper()
    try:
        return str(vatin.validate(compact))
    except exceptions.InvalidComponent as err:
        if VAT_SHAPE.match(compact):
            return compact  # a country python-stdnum has no rule for
        raise _refuse(
            field, value, "VAT id (2 letters of its country, then its number)", err
        ) from None
    except ValueError as err:
        raise _refuse(field, value, "VAT id", err) from None


__all__ = ["check_bic", "check_iban", "check_vat_id"]
