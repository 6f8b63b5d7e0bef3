"""The hottest requests answered beside FastAPI's routing, validation and dependencies.

A check of availability costs ~0.1 ms of SQL and ~1 ms of plumbing through
the ordinary route: FastAPI's dependency resolution and body model, a
thread-pool trip for the authentication, two read transactions through
SQLAlchemy. This ASGI layer, the innermost of the app's middlewares (so the
Host, CSRF and body guards, the request log and the metrics all still apply),
answers the plain case of four routes directly:

* ``POST /api/check-availability`` with a well-formed body,
* ``GET /api/machines/{name}/events`` with a plain window,
* ``GET /feeds/{secret}.ics|.json`` revalidated with ``If-None-Match`` (304),

each with ONE quick read (the revisions) plus, on a cache miss, the read the
answer needs (:mod:`rentcal.service.quick_reads`), on the event loop for
SQLite and in one thread-pool trip for PostgreSQL.

Anything else — no or an unknown credential, a body or query the route's
validation might judge differently, an answer that needs a write first
(housekeeping, a last-used touch), any error — is handed, untouched, to the
ordinary route, which answers it exactly as before (and warms the caches).
So the fast lane can only ever answer what the ordinary route would have
answered, and the error mapping stays in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rentcal.core.values import Member
from rentcal.errors import RentcalError
from rentcal.frontend.iso_day import iso_day
from rentcal.service import Rentcal
from rentcal.service.quick_reads import Revisions, Snapshot
from rentcal.web import metrics
from rentcal.web.blocking import quick_read
from rentcal.web.caching import etag_matches, http_date, make_etag
from rentcal.web.middleware import replay
from rentcal.web.routes.events import window
from rentcal.web.routes.feed_subscriptions import CACHE_CONTROL, feed_etag
from rentcal.web.scope import MEMBER_KEY, route_path

#: The session cookie's name (rentcal.web.auth.SESSION_COOKIE; not imported: FastAPI).
SESSION_COOKIE = "rentcal_session"
CHECK_PATH = "/api/check-availability"
EVENTS_PREFIX, EVENTS_SUFFIX = "/api/machines/", "/events"
FEEDS_PREFIX = "/feeds/"
#: Query parameters of the events route the fast lane understands.
EVENTS_QUERY = frozenset({"start", "end", "timeZone", "all_statuses"})


class Pass(Exception):
    """Not the plain case: the ordinary route answers."""


class FastLane:
    """ASGI middleware answering the plain case of the hot routes (see the module)."""

    def __init__(self, app: ASGIApp, cal: Rentcal) -> None:
        self.app = app
        self.cal = cal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        method = scope["method"]
        if method == "POST" and path == CHECK_PATH:
            await self._check(scope, receive, send)
        elif method == "GET" and path.startswith(EVENTS_PREFIX) and path.endswith(EVENTS_SUFFIX):
            await self._answer(scope, receive, send, self._events, path)
        elif method == "GET" and path.startswith(FEEDS_PREFIX):
            await self._answer(scope, receive, send, self._feed, path)
        else:
            await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, handler: Callable[..., Any], path: str
    ) -> None:
        """Run ``handler``; on :class:`Pass` (or any error) the ordinary route answers."""
        try:
            response = await handler(scope, path)
        except (Pass, RentcalError, ValueError):
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    # -- POST /api/check-availability ---------------------------------------------

    async def _check(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _whole_body(receive)
        try:
            machine, start, end = _check_body(body)
            secret = _credential(scope)
            answer = await quick_read(
                self.cal, lambda: self._checked(scope, secret, machine, start, end)
            )
        except (Pass, RentcalError, ValueError):
            await self.app(scope, replay(body, receive), send)
            return
        metrics.AVAILABILITY_CHECKS.labels(
            "available" if answer["available"] else "unavailable"
        ).inc()
        self._matched(scope, CHECK_PATH)
        await JSONResponse(answer)(scope, receive, send)

    def _checked(
        self, scope: Scope, secret: str, machine: str, start: date, end: date
    ) -> dict[str, object]:
        quick = self.cal.quick_reads

        def read(snapshot: Snapshot) -> dict[str, object]:
            self._member(scope, snapshot.revisions, secret)
            answer = quick.check(snapshot, machine, start, end)
            if answer is None:
                raise Pass
            return answer.as_dict()

        return quick.read(read)

    # -- GET /api/machines/{name}/events ------------------------------------------

    async def _events(self, scope: Scope, path: str) -> Response:
        name = path[len(EVENTS_PREFIX) : -len(EVENTS_SUFFIX)]
        if not name or "/" in name:
            raise Pass
        query = _query(scope, EVENTS_QUERY)
        flag = query.get("all_statuses", "false")
        if flag not in ("true", "false"):
            raise Pass
        first, last = window(query.get("start"), query.get("end"))
        key = ("events", name, None, first, last, flag == "true")
        secret = _credential(scope)
        revisions, found = await quick_read(
            self.cal, lambda: self._known_events(scope, secret, key)
        )
        if found is None:
            raise Pass
        headers = {
            "ETag": make_etag(revisions.calendar, *key),
            "Last-Modified": http_date(revisions.changed_at),
            "Cache-Control": "private, no-cache",
        }
        self._matched(scope, "/api/machines/{name}/events")
        if _none_match(scope, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return JSONResponse(found, headers=headers)

    def _known_events(
        self, scope: Scope, secret: str, key: tuple[Any, ...]
    ) -> tuple[Revisions, list[dict[str, Any]] | None]:
        quick = self.cal.quick_reads

        def read(snapshot: Snapshot) -> tuple[Revisions, list[dict[str, Any]] | None]:
            self._member(scope, snapshot.revisions, secret)
            return snapshot.revisions, quick.events(snapshot.revisions, key)

        return quick.read(read)

    # -- GET /feeds/{secret}.ics|.json with If-None-Match ---------------------------

    async def _feed(self, scope: Scope, path: str) -> Response:
        secret, dot, kind = path[len(FEEDS_PREFIX) :].rpartition(".")
        if not dot or kind not in ("ics", "json") or "/" in secret:
            raise Pass
        client_tag = Headers(scope=scope).get("if-none-match")
        if client_tag is None:
            raise Pass  # a document to build: the ordinary route
        revisions, feed_id = await quick_read(self.cal, lambda: self._known_feed(secret, kind))
        etag = feed_etag(revisions, feed_id, kind)
        if not etag_matches(client_tag, etag):
            raise Pass
        metrics.FEED_REQUESTS.labels(kind, "304").inc()
        self._matched(scope, f"/feeds/{{secret}}.{kind}")
        headers = {
            "ETag": etag,
            "Last-Modified": http_date(revisions.changed_at),
            "Cache-Control": CACHE_CONTROL,
            "Referrer-Policy": "no-referrer",
        }
        return Response(status_code=304, headers=headers)

    def _known_feed(self, secret: str, kind: str) -> tuple[Revisions, int]:
        quick = self.cal.quick_reads

        def read(snapshot: Snapshot) -> tuple[Revisions, int]:
            revisions = snapshot.revisions
            feed = quick.known_feed(revisions, secret)
            if feed is None or feed.format != kind or not quick.fresh(revisions):
                raise Pass
            return revisions, feed.id

        return quick.read(read)

    # -- shared ---------------------------------------------------------------------

    def _member(self, scope: Scope, revisions: Revisions, secret: str) -> Member:
        """The active member behind the request's credential, as already known; else Pass."""
        member = self.cal.quick_reads.known_member(revisions, secret)
        if member is None or not member.active:
            raise Pass
        scope[MEMBER_KEY] = member.handle
        return member

    @staticmethod
    def _matched(scope: Scope, template: str) -> None:
        """Name the route the request log and the metrics label it with (they read
        ``scope["route"].path``, as for the routes FastAPI matches)."""
        scope["route"] = Matched(template)


@dataclass(frozen=True, slots=True)
class Matched:
    """The route template a fast-lane answer stands for."""

    path: str


def _credential(scope: Scope) -> str:
    """The bearer token or session cookie; Pass without one (or with a malformed one)."""
    headers = Headers(scope=scope)
    header = headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Pass
        return token.strip()
    cookies = headers.get("cookie")
    if cookies:
        for part in cookies.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE and value:
                return value
    raise Pass


def _check_body(body: bytes) -> tuple[str, date, date]:
    """(machine, start, end) of a plain, valid body; Pass for anything else."""
    data = json.loads(body)
    if not isinstance(data, dict) or set(data) != {"machine", "start", "end"}:
        raise Pass
    machine, start, end = data["machine"], data["start"], data["end"]
    if not isinstance(machine, str) or not isinstance(start, str) or not isinstance(end, str):
        raise Pass
    first, last = iso_day(start), iso_day(end)
    if first is None or last is None or len(machine) > 200:
        raise Pass
    return machine, first, last


def _query(scope: Scope, known: frozenset[str]) -> dict[str, str]:
    """The query's parameters, each once and understood; Pass otherwise."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    found = dict(pairs)
    if len(found) != len(pairs) or not set(found) <= known:
        raise Pass
    if any(len(value) > 100 for value in found.values()):
        raise Pass
    return found


def _none_match(scope: Scope, etag: str) -> bool:
    header = Headers(scope=scope).get("if-none-match")
    return header is not None and etag_matches(header, etag)


async def _whole_body(receive: Receive) -> bytes:
    """The request body (BodyGuard has already read it and bounded its size)."""
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


__all__ = ["FastLane"]
