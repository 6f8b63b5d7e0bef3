"""The organisation's currency as one transaction sees it (issue #21).

Stored as the organisation setting :data:`CURRENCY_KEY` (append-only, with
who and when, like the time zone): an ISO 4217 code, or :data:`NONE` once an
admin set "no currency" again. Never set: no currency, prices read ``120.00``.
Read in the transaction that words a message, so every host words a price
the same way at once — no cache to go stale.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from rentcal.core.money import ISO_4217
from rentcal.db import sql as q
from rentcal.db.rows import SettingRecord

#: The organisation setting holding the currency prices are shown in.
CURRENCY_KEY = "currency"
#: The stored value that means: no currency.
NONE = "none"


def stored_currency(row: SettingRecord | None) -> str | None:
    """The code a stored value says; None for none, nothing stored, or a value no
    rentcal wrote (a bare amount is never wrong, a wrong symbol would be)."""
    if row is None or row.value not in ISO_4217:
        return None
    return row.value


def read_currency(conn: Connection) -> str | None:
    """The currency in force as transaction ``conn`` sees it (None: none)."""
    return stored_currency(q.org_setting(conn, CURRENCY_KEY))


__all__ = ["CURRENCY_KEY", "NONE", "read_currency", "stored_currency"]
