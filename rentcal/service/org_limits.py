"""The organisation's rental limits as one transaction sees them.

Stored as two organisation settings (append-only, with who and when, like
the time zone): :data:`MAX_DAYS_KEY` and :data:`HORIZON_DAYS_KEY`. A key
never set holds its default (:mod:`rentcal.core.limits`). They are read in
the transaction that books, moves or imports, so a change applies at once
to every host — no cache to go stale.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Connection

from rentcal.core.limits import DEFAULT_HORIZON_DAYS, DEFAULT_MAX_DAYS, RentalLimits
from rentcal.db import sql as q
from rentcal.db.rows import SettingRecord

#: The organisation setting holding the longest rental, in days.
MAX_DAYS_KEY = "max_rental_days"
#: The organisation setting holding how many days ahead a rental may end.
HORIZON_DAYS_KEY = "booking_horizon_days"


def _days(row: SettingRecord | None, default: int) -> int:
    """A stored limit, else ``default`` (a value no rentcal wrote also reads as the default)."""
    if row is None or not row.value.isdigit():
        return default
    return max(1, int(row.value))


#: The organisation settings the limits are read from.
LIMIT_KEYS = (MAX_DAYS_KEY, HORIZON_DAYS_KEY)


def read_limits(conn: Connection) -> RentalLimits:
    """The limits as seen in transaction ``conn`` (stored values, else the defaults)."""
    return limits_from(q.org_settings(conn, LIMIT_KEYS))


def limits_from(stored_rows: Mapping[str, SettingRecord]) -> RentalLimits:
    """The limits from the rows of :func:`rentcal.db.sql.org_settings` (which may hold
    other keys too: a booking reads its settings in one statement)."""
    longest, horizon = stored_rows.get(MAX_DAYS_KEY), stored_rows.get(HORIZON_DAYS_KEY)
    stored = [row for row in (longest, horizon) if row is not None]
    if not stored:
        return RentalLimits()
    newest = max(stored, key=lambda row: row.changed_at)
    return RentalLimits(
        _days(longest, DEFAULT_MAX_DAYS),
        _days(horizon, DEFAULT_HORIZON_DAYS),
        "database",
        newest.changed_by,
        newest.changed_at,
    )


__all__ = ["HORIZON_DAYS_KEY", "LIMIT_KEYS", "MAX_DAYS_KEY", "limits_from", "read_limits"]
