"""The accounting export of charges: CSV with stable, documented columns.

``rentcal charges export`` and ``GET /api/charges.csv`` write the same bytes
for the same charges (docs/billing.md documents every column). The columns
only ever grow at the end, so a spreadsheet or an import script keyed on
them keeps working. Amounts are plain decimals with a point (``-10.00``),
the currency is its own column, dates are ISO 8601, and free text that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is
written with a leading apostrophe.

>>> CSV_COLUMNS[:4]
('id', 'charged_on', 'charged_at', 'member')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from rentcal.core.statements import Charge, units_text

#: The export's columns, in order (append new ones at the end only).
CSV_COLUMNS = (
    "id",
    "charged_on",
    "charged_at",
    "member",
    "member_name",
    "kind",
    "rental_id",
    "machine",
    "first_day",
    "last_day",
    "days",
    "units",
    "day_rate",
    "unit_rate",
    "minimum_charge",
    "amount",
    "currency",
    "reason",
    "created_by",
)
#: What a spreadsheet would read as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """Free text as a cell: never a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _row(c: Charge, currency: str | None) -> list[object]:
    return [
        c.id,
        c.charged_on.isoformat(),
        c.charged_at.isoformat(),
        c.member,
        _text(c.member_name),
        c.kind.value,
        "" if c.rental_id is None else c.rental_id,
        c.machine or "",
        "" if c.first_day is None else c.first_day.isoformat(),
        "" if c.last_day is None else c.last_day.isoformat(),
        "" if c.days is None else c.days,
        "" if c.units is None else units_text(c.units),
        "" if c.day_rate is None else c.day_rate,
        "" if c.unit_rate is None else c.unit_rate,
        "" if c.minimum_charge is None else c.minimum_charge,
        c.amount,
        currency or "",
        _text(c.reason),
        c.created_by or "",
    ]


def charges_csv(charges: Iterable[Charge], currency: str | None) -> str:
    """The CSV text (a header line, one line per charge, CRLF line ends as RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in charges:
        writer.writerow(_row(c, currency))
    return out.getvalue()


__all__ = ["CSV_COLUMNS", "charges_csv"]
