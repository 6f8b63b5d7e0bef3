"""The organisation's time zone as one connection sees it: where it is read, how long it is trusted.

The zone stored in the database is "today" for everyone; until one is stored,
the zone given to ``connect()`` (or ``$RENTCAL_TIMEZONE``) stands in, else the
host's. :class:`OrgZone` holds one connection's fallback and its cached zone;
:class:`~rentcal.service.base.Context` reads "today" through it. Changing the
zone is a use case of :mod:`rentcal.service.org_settings`.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime

from sqlalchemy.engine import Connection

from rentcal.core.values import TimeZone
from rentcal.db import sql as q
from rentcal.errors import DatabaseError

#: The organisation setting holding the time zone (see rentcal.service.org_settings).
TIMEZONE_KEY = "timezone"
#: The zone used when the database holds none and connect() was given none.
TIMEZONE_ENV = "RENTCAL_TIMEZONE"
#: Seconds one connection trusts the zone it read (a change on another host is
#: seen within this; a change through this connection at once).
ZONE_TTL = 30.0


def host_zone_name() -> str | None:
    """This host's IANA zone name (``$TZ``, else the /etc/localtime link), or None."""
    from zoneinfo import ZoneInfo

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:  # pragma: no cover - realpath does not raise on Linux
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name and not name.startswith("/"):
            try:
                ZoneInfo(name)
            except (ValueError, LookupError, OSError):
                continue
            return name
    return None


def local_date(zone: TimeZone, now: datetime) -> date:
    """The date of the aware ``now`` in ``zone`` (the host's local date for a host zone)."""
    return local_time(zone, now).date()


def local_time(zone: TimeZone, now: datetime) -> datetime:
    """The aware ``now`` as the clock on the wall in ``zone`` shows it (the host's
    local time for a host zone); the reminders wait for an hour of it."""
    if zone.source == "host":
        return now.astimezone()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(zone.name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DatabaseError(
            f"the organisation's time zone {zone.name[:64]!r} is not known to this "
            "host's time-zone data; install tzdata (pip install tzdata) or have an "
            "admin set another zone"
        ) from None
    return now.astimezone(tz)


class OrgZone:
    """One connection's organisation zone: the fallback it was given and the zone it read."""

    def __init__(self, given: str | None) -> None:
        #: The zone given to connect() (or $RENTCAL_TIMEZONE): used until the
        #: database holds one, and stored by init().
        self.given = given
        #: (monotonic time read, the TimeZone): the zone cache of this connection.
        self._cached: tuple[float, TimeZone] | None = None

    def cached(self) -> TimeZone | None:
        """The zone read less than :data:`ZONE_TTL` seconds ago, else None."""
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < ZONE_TTL:
            return cached[1]
        return None

    def remember(self, zone: TimeZone) -> None:
        """Trust ``zone``, just read, for the next :data:`ZONE_TTL` seconds."""
        self._cached = (time.monotonic(), zone)

    def forget(self) -> None:
        """Drop the cached zone: this connection changed it, the next read is fresh."""
        self._cached = None

    def read_in(self, conn: Connection) -> TimeZone:
        """The zone as seen in transaction ``conn`` (the database's, else the fallbacks)."""
        row = q.org_setting(conn, TIMEZONE_KEY)
        if row is not None:
            return TimeZone(row.value, "database", row.changed_by, row.changed_at)
        return self.fallback()

    def fallback(self) -> TimeZone:
        """The zone while the database holds none: connect()'s (or the variable), the host's."""
        if self.given is not None:
            return TimeZone(self.given, "connect")
        return TimeZone(host_zone_name() or "localtime", "host")

    def store_initial(self, conn: Connection, member_id: int | None, now: datetime) -> None:
        """``init()``'s part: the given zone, else the host's, else UTC, if none is stored."""
        if q.org_setting(conn, TIMEZONE_KEY) is None:
            name = self.given or host_zone_name() or "UTC"
            q.add_org_setting(conn, TIMEZONE_KEY, name, member_id, now)
        self.forget()


__all__ = [
    "TIMEZONE_ENV",
    "TIMEZONE_KEY",
    "ZONE_TTL",
    "OrgZone",
    "host_zone_name",
    "local_date",
    "local_time",
]
