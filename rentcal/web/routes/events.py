"""FullCalendar's event sources: the design's ``machine_calendar_events`` and
``all_machines_calendar_events``, and the machines as resources.

FullCalendar asks ``?start=...&end=...`` with an **exclusive** end, each a
date or a date-time with an offset or ``Z`` (local midnight of the
calendar's time zone), maybe with ``timeZone=``. The calendar date is taken
as written — its first ten characters — and the end turned into rentcal's
inclusive last day. Without a window the endpoints refuse (400) rather than
dump the whole history.

Every answer carries the revision's ETag: a page polling its events gets
304 until something changes, without the events being built.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from rentcal.errors import InvalidRequest
from rentcal.service import Rentcal
from rentcal.web.auth import Cal, CurrentMember
from rentcal.web.blocking import housekept, in_thread, quick_read
from rentcal.web.caching import http_date, make_etag, not_modified
from rentcal.web.response_shapes import EventOut, ResourceOut
from rentcal.web.routes.common import COMMON
from rentcal.web.views import as_json

router = APIRouter(prefix="/api", tags=["events"], responses=COMMON)

#: The widest window one request may ask for (FullCalendar's year view is ~1 year).
MAX_WINDOW_DAYS = 1000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

StartQ = Annotated[
    str | None,
    Query(
        max_length=100,
        description="first day shown: 2030-01-01 or 2030-01-01T00:00:00+01:00",
    ),
]
EndQ = Annotated[
    str | None,
    Query(max_length=100, description="EXCLUSIVE end, as FullCalendar sends it"),
]
TimeZoneQ = Annotated[
    str | None,
    Query(alias="timeZone", max_length=100, description="ignored: dates are taken as written"),
]
AllStatusesQ = Annotated[
    bool, Query(description="also rejected, cancelled, completed and past maintenance")
]


def calendar_date(text: str | None, name: str) -> date:
    """The calendar date FullCalendar meant: the first ten characters, YYYY-MM-DD."""
    if text is None or not text.strip():
        raise InvalidRequest(
            f"give ?{name}=YYYY-MM-DD: events are served for a window, never the whole history",
            field=name,
            reason="missing",
        )
    head = text.strip()[:10]
    if _DATE.fullmatch(head):
        try:
            return date.fromisoformat(head)
        except ValueError:
            pass
    raise InvalidRequest(
        f"{name} {text[:40]!r} is not a date (YYYY-MM-DD, optionally followed by a time)",
        field=name,
        value=text[:40],
        reason="bad-date",
    )


def window(start: str | None, end: str | None) -> tuple[date, date]:
    """FullCalendar's [start, end) as rentcal's inclusive [first, last]."""
    first = calendar_date(start, "start")
    stop = calendar_date(end, "end")
    if stop <= first:
        raise InvalidRequest(
            f"end {stop.isoformat()} must be after start {first.isoformat()} (end is exclusive)",
            field="end",
            value=stop.isoformat(),
            reason="empty-window",
        )
    if (stop - first).days > MAX_WINDOW_DAYS:
        raise InvalidRequest(
            f"the window {first.isoformat()}..{stop.isoformat()} is longer than "
            f"{MAX_WINDOW_DAYS} days; ask for less",
            field="end",
            value=stop.isoformat(),
            reason="window-too-long",
        )
    return first, stop - timedelta(days=1)


async def events_response(
    request: Request,
    cal: Rentcal,
    *,
    machine: str | None,
    member: str | None,
    start: str | None,
    end: str | None,
    all_statuses: bool,
) -> Response:
    """Events of a window with the revision's ETag; 304 when the client's copy is current."""
    first, last = window(start, end)
    await housekept(cal)  # an expired request never survives in a 304
    quick = cal.quick_reads
    revisions = await quick_read(cal, quick.revisions)  # before the build
    key = ("events", machine, member, first, last, all_statuses)
    revision, changed_at = revisions.calendar, revisions.changed_at
    etag = make_etag(revision, *key)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(changed_at),
        "Cache-Control": "private, no-cache",
    }
    if not_modified(request, etag, changed_at):
        return Response(status_code=304, headers=headers)
    found = await in_thread(lambda: cal.events(machine, member, first, last, all_statuses))
    quick.remember_events(revisions, key, found)  # for the fast lane's next answers
    return as_json(found, headers=headers)


@router.get("/machines/{name}/events", response_model=list[EventOut])
async def machine_events(
    request: Request,
    name: str,
    member: CurrentMember,
    cal: Cal,
    start: StartQ = None,
    end: EndQ = None,
    time_zone: TimeZoneQ = None,
    all_statuses: AllStatusesQ = False,
) -> Response:
    """The FullCalendar events of one machine (``rentcal events --machine M --json``)."""
    return await events_response(
        request, cal, machine=name, member=None, start=start, end=end, all_statuses=all_statuses
    )


@router.get("/events", response_model=list[EventOut])
async def all_events(
    request: Request,
    member: CurrentMember,
    cal: Cal,
    start: StartQ = None,
    end: EndQ = None,
    machine: str | None = None,
    of: Annotated[str | None, Query(alias="member", description="a member's handle")] = None,
    time_zone: TimeZoneQ = None,
    all_statuses: AllStatusesQ = False,
) -> Response:
    """Events of every machine, with ``resourceId`` (``rentcal events --json``)."""
    return await events_response(
        request, cal, machine=machine, member=of, start=start, end=end, all_statuses=all_statuses
    )


@router.get("/resources", response_model=list[ResourceOut])
def resources(member: CurrentMember, cal: Cal) -> Response:
    """The machines as FullCalendar resources (``rentcal events --resources --json``)."""
    from rentcal.feeds import fullcalendar

    return as_json(fullcalendar.resources(cal.machines()))


__all__ = ["all_events", "calendar_date", "machine_events", "router", "window"]
