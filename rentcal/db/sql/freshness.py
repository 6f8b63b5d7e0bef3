"""When what the calendars show goes stale by time alone (no write needed).

Housekeeping settles what time made stale: approved rentals that ended and
pending requests past their first day (both by date), and pending requests
older than their machine's ``request_expiry_hours`` (by the clock). A cache of
answers keyed on the calendar's revision is exact only until the next such
moment; these reads tell when it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.db.sql.rentals import stale_machine_ids
from rentcal.db.tables import machine_t, rental_t

#: "Never, as far as the clock goes" (aware, so it compares with the clock's times).
FOREVER = datetime.max.replace(tzinfo=UTC)
_r, _mc = rental_t.c, machine_t.c
#: Per machine whose requests expire: its expiry hours and its oldest pending request.
_OLDEST_PENDING = (
    sa.select(_mc.request_expiry_hours, sa.func.min(_r.created_at))
    .select_from(machine_t.join(rental_t, _r.machine_id == _mc.id))
    .where(_mc.request_expiry_hours.is_not(None), _r.status == "pending")
    .group_by(_mc.id, _mc.request_expiry_hours)
)


def stale_until(conn: Connection, today: date) -> datetime | None:
    """None if something is stale already; else the first moment a pending request
    expires by age (``datetime.max`` in UTC-aware form if none ever will today).

    A cached answer read at this revision and ``today`` is current until then.
    """
    if stale_machine_ids(conn, today):
        return None
    moments = [
        oldest + timedelta(hours=int(hours))
        for hours, oldest in conn.execute(_OLDEST_PENDING)
        if oldest is not None
    ]
    return min(moments, default=FOREVER)


__all__ = ["FOREVER", "stale_until"]
