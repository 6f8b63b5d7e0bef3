"""The organisation's no-show rule: how long after its start a rental may go unchecked-out.

Stored as one organisation setting (append-only, with who and when, like the
reminder hour): :data:`NO_SHOW_KEY`, a whole number of hours, or ``off`` (the
default: nothing is flagged). An approved rental that nobody checked out
within that many hours of the start of its first day (midnight in the
organisation's zone) is flagged once by housekeeping
(:mod:`rentcal.service.housekeeping`): a history note and a notification to
the admins and the machine's keepers. It is kept as it is, never cancelled.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.values import TimeZone
from rentcal.db import sql as q
from rentcal.db.rows import SettingRecord
from rentcal.errors import InvalidRequest
from rentcal.service.org_zone import local_date

#: The organisation setting holding the no-show grace, in hours ("off": no flags).
NO_SHOW_KEY = "no_show_after_hours"
#: The stored value that turns no-show flags off.
OFF = "off"
#: The longest grace: a year of hours.
MAX_NO_SHOW_HOURS = 24 * 366


def check_no_show_hours(value: object, name: str = "hours") -> int | None:
    """A grace in hours, 1 to :data:`MAX_NO_SHOW_HOURS`, or None (no flags)."""
    if value is None:
        return None
    hours = checks.positive_int(value, name, "a number of hours")
    if hours > MAX_NO_SHOW_HOURS:
        raise InvalidRequest(
            f"{name} {hours} is more than {MAX_NO_SHOW_HOURS} hours (a year); "
            "use None (off) for no flags",
            field=name,
            value=hours,
            reason="range",
        )
    return hours


def stored_no_show(row: SettingRecord | None) -> int | None:
    """The grace a stored row holds (None: off, or never set, or unreadable)."""
    if row is None or not row.value.isdigit():
        return None
    return max(1, int(row.value))


def read_no_show_hours(conn: Connection) -> int | None:
    """The grace in force in transaction ``conn`` (None: no flags)."""
    return stored_no_show(q.org_setting(conn, NO_SHOW_KEY))


def store_no_show_hours(conn: Connection, hours: int | None, actor_id: int, now: datetime) -> None:
    """Record a new grace (the caller checked it differs from the one in force)."""
    q.add_org_setting(conn, NO_SHOW_KEY, OFF if hours is None else str(hours), actor_id, now)


def no_show_cutoff(zone: TimeZone, now: datetime, hours: int) -> date:
    """The last first day a rental may have to be a no-show at ``now``: its first day
    began (midnight in ``zone``) at least ``hours`` ago."""
    return local_date(zone, now - timedelta(hours=hours))


__all__ = [
    "MAX_NO_SHOW_HOURS",
    "NO_SHOW_KEY",
    "OFF",
    "check_no_show_hours",
    "no_show_cutoff",
    "read_no_show_hours",
    "store_no_show_hours",
    "stored_no_show",
]
