"""Turning library errors into messages next to the form field they concern.

The library names the field of most errors (``err.field``); the range rules
of the pure core say it in their first words ("end date ... is before ...").
Both land on the input a member can correct; anything else is shown above
the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rentcal.errors import InvalidRequest, RentcalError

#: The message shown above a form, for errors that concern no single field.
FORM = "form"


def field_of(
    err: RentcalError, fields: Iterable[str], aliases: Mapping[str, str] | None = None
) -> str:
    """The form field an error belongs to, or :data:`FORM`.

    ``aliases`` maps the words a message starts with to a field
    (``{"daily price": "daily_price"}``) where they differ from its name.
    """
    names = tuple(fields)
    if err.field in names:
        return str(err.field)
    text = err.message.lower()
    words = {**{name: name for name in names}, **(aliases or {})}
    for start in sorted(words, key=len, reverse=True):
        if text.startswith((f"{start} ", f"{start}:")):
            return words[start]
    return FORM


def errors_of(
    err: RentcalError, fields: Iterable[str], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``{field: message}`` for one library error."""
    return {field_of(err, fields, aliases): err.message}


def expiry_hours(text: str) -> int | None:
    """The form's "expire undecided requests after N hours" field; empty: no expiry.

    Ranges are the library's to check (so the form and the API word them alike).
    """
    clean = text.strip()
    if not clean:
        return None
    if re.fullmatch(r"[0-9]{1,7}", clean) is None:  # ASCII digits only: int() takes more
        raise InvalidRequest(
            f"request expiry {clean[:40]!r} is not a whole number of hours",
            field="request_expiry_hours",
            value=clean[:40],
            reason="format",
        )
    return int(clean)


__all__ = ["FORM", "errors_of", "expiry_hours", "field_of"]
