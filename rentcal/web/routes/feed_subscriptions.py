"""``/feeds/{secret}.ics`` and ``.json``: secret subscription URLs for calendar apps.

No login: the 256-bit secret in the path is the credential, so an unknown or
revoked one is a plain 404 that says nothing more. The bytes are exactly
those of ``rentcal events --ics`` (or ``--json``) for the feed's scope, seen
through its owner's eyes as they are now (``Rentcal.ical(viewer=owner)``):
other members' purposes and prices only if the owner is an admin.
Calendar apps poll: the revision's ETag and a Last-Modified that never moves
backwards let them revalidate with a 304 that costs two indexed reads and
builds nothing. ``Referrer-Policy: no-referrer`` keeps the secret out of
other sites' logs; the request log shows only the route template.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from rentcal.service import Rentcal
from rentcal.service.quick_reads import Revisions
from rentcal.web import metrics
from rentcal.web.auth import Cal
from rentcal.web.blocking import housekept, in_thread, quick_read
from rentcal.web.caching import http_date, make_etag, not_modified
from rentcal.web.error_responses import WebError
from rentcal.web.routes.common import errors

router = APIRouter(tags=["feeds"])

CACHE_CONTROL = "private, max-age=300"
MEDIA_TYPES = {"ics": "text/calendar; charset=utf-8", "json": "application/json"}


class FeedNotFound(WebError):
    """An unknown, revoked or mistyped feed URL (it never says which)."""

    def __init__(self) -> None:
        super().__init__(404, "not_found", "no such feed")


async def serve_feed(request: Request, cal: Rentcal, secret: str, kind: str) -> Response:
    """One feed request: 404, 304 or the document; counted by kind and status."""
    try:
        response = await _feed(request, cal, secret, kind)
    except FeedNotFound:
        metrics.FEED_REQUESTS.labels(kind, "404").inc()
        raise
    metrics.FEED_REQUESTS.labels(kind, str(response.status_code)).inc()
    return response


async def _feed(request: Request, cal: Rentcal, secret: str, kind: str) -> Response:
    await housekept(cal)  # an expired request never survives in a 304
    # before the build: a write racing it only makes the next request fetch again
    feed, revisions = await quick_read(
        cal, lambda: (cal.feed_by_secret(secret), cal.quick_reads.revisions())
    )
    if feed is None or feed.format != kind:
        raise FeedNotFound()
    etag = feed_etag(revisions, feed.id, kind)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(revisions.changed_at),
        "Cache-Control": CACHE_CONTROL,
        "Referrer-Policy": "no-referrer",
    }
    if not_modified(request, etag, revisions.changed_at):
        return Response(status_code=304, headers=headers)
    body = await in_thread(lambda: build(cal, feed.machine, feed.member, kind, feed.owner))
    return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)


def feed_etag(revisions: Revisions, feed_id: int, kind: str) -> str:
    """A feed's ETag: the calendar's revision and, for an .ics feed (rendered through
    its owner's rights now), the credentials' revision, which every change to a member
    raises -- so a demoted admin's feed never revalidates a copy that shows others'
    purposes and prices. The JSON events carry no private details."""
    if kind == "ics":
        return make_etag(revisions.calendar, "feed", feed_id, kind, revisions.credentials)
    return make_etag(revisions.calendar, "feed", feed_id, kind)


def build(cal: Rentcal, machine: str | None, member: str | None, kind: str, owner: str) -> bytes:
    """What ``rentcal events --ics`` (or ``--json``) prints for this scope, as ``owner``
    may see it (the JSON events carry no private details)."""
    if kind == "ics":
        return cal.ical(machine, member, viewer=owner)
    events = cal.events(machine, member)
    return (json.dumps(events, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


FEED_RESPONSES = errors(404, 500, 503)


@router.head("/feeds/{secret}.ics", include_in_schema=False)
@router.get(
    "/feeds/{secret}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "the iCalendar feed"},
        304: {"description": "not modified since the client's copy (ETag / Last-Modified)"},
        **FEED_RESPONSES,
    },
)
async def ics_feed(request: Request, secret: str, cal: Cal) -> Response:
    """An iCalendar feed by its secret URL (as printed by ``rentcal feed create``)."""
    return await serve_feed(request, cal, secret, "ics")


@router.head("/feeds/{secret}.json", include_in_schema=False)
@router.get(
    "/feeds/{secret}.json",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "FullCalendar events"},
        304: {"description": "not modified since the client's copy (ETag / Last-Modified)"},
        **FEED_RESPONSES,
    },
)
async def json_feed(request: Request, secret: str, cal: Cal) -> Response:
    """A FullCalendar JSON feed by its secret URL."""
    return await serve_feed(request, cal, secret, "json")


__all__ = ["feed_etag", "router", "serve_feed"]
