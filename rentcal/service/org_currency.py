"""The organisation's currency as one transaction sees it (issue #21).

Stored as the organisation setting :data:`CURRENCY_KEY` (append-only, with
who and when, like the time zone): an ISO 4217 code, or :data:`NONE` once an
admin set "no currency" again. Never set: no currency, prices read ``120.00``.
Messages are worded in the transaction that writes them; a connection
trusts the currency it read for :data:`CURRENCY_TTL` seconds (like the
zone, :mod:`rentcal.service.org_zone`), so a booking pays no query for it.
The connection that changes it forgets it at once; other processes within
that time.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Connection

from rentcal.core.money import ISO_4217
from rentcal.db import sql as q
from rentcal.db.rows import SettingRecord

#: The organisation setting holding the currency prices are shown in.
CURRENCY_KEY = "currency"
#: The stored value that means: no currency.
NONE = "none"
#: Seconds a connection trusts the currency it read.
CURRENCY_TTL = 30.0


def stored_currency(row: SettingRecord | None) -> str | None:
    """The code a stored value says; None for none, nothing stored, or a value no
    rentcal wrote (a bare amount is never wrong, a wrong symbol would be)."""
    if row is None or row.value not in ISO_4217:
        return None
    return row.value


def read_currency(conn: Connection) -> str | None:
    """The currency in force as transaction ``conn`` sees it (None: none)."""
    return stored_currency(q.org_setting(conn, CURRENCY_KEY))


class CurrencyCache:
    """One connection's currency, as read last (within :data:`CURRENCY_TTL` seconds)."""

    def __init__(self) -> None:
        #: (monotonic time read, the code or None), or None: not read yet.
        self._cached: tuple[float, str | None] | None = None

    def read_in(self, conn: Connection) -> str | None:
        """The cached currency, else the one ``conn`` sees (then cached)."""
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < CURRENCY_TTL:
            return cached[1]
        code = read_currency(conn)
        self._cached = (time.monotonic(), code)
        return code

    def forget(self) -> None:
        """Drop the cached currency: this connection changed it."""
        self._cached = None


__all__ = [
    "CURRENCY_KEY",
    "CURRENCY_TTL",
    "NONE",
    "CurrencyCache",
    "read_currency",
    "stored_currency",
]
