"""Cross-cutting ASGI middlewares: the request log and metrics, and request-body limits.

Both are plain ASGI (no ``BaseHTTPMiddleware``): they add no task per request
and never buffer a streamed response such as ``/api/changes``.
"""

from __future__ import annotations

import logging
import posixpath
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rentcal.db import query_count
from rentcal.web import metrics, usage
from rentcal.web.error_responses import error_response, internal_error_response
from rentcal.web.scope import MEMBER_KEY, REQUEST_ID, route_path
from rentcal.web.server_settings import Settings

log = logging.getLogger("rentcal.web")

#: A client's X-Request-ID is kept when it is this tame; otherwise one is made.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
UNMATCHED = "(unmatched)"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def request_id(given: str | None) -> str:
    """The client's request id when it is safe to echo and log, else a fresh one."""
    if given and REQUEST_ID_RE.match(given):
        return given
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str | None:
    """The matched route's template (``/api/rentals/{rental_id}``), None when unmatched."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


#: A path segment that could be a secret (feed URLs and tokens are 43 URL-safe
#: base64 characters): long runs of such characters are never logged.
_SECRET_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")


def loggable_path(scope: Scope) -> str:
    """What the log shows of an unmatched path: never a feed secret, however spelled.

    ``//feeds/S.ics``, ``/./feeds/S.ics`` or ``/x/../FEEDS/S.ics`` match no
    route but carry the secret all the same: the path is normalised before
    the ``/feeds/`` check, and any secret-like segment is redacted anyway.
    """
    path = route_path(scope)
    normal = posixpath.normpath("/" + path.lstrip("/")).lower()
    if normal.startswith("/feeds/"):
        return "/feeds/[redacted]"
    return _SECRET_LIKE.sub("[redacted]", path)[:200]


class RequestContext:
    """Request id, one log line and the HTTP metrics per request; the last-resort 500.

    An exception no handler took is logged here with its traceback and the
    request id, and answered ``500 {"code": "internal", "request_id": ...}``;
    the traceback never reaches the client.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.slow = settings.slow_request_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(Headers(scope=scope).get("x-request-id"))
        scope[REQUEST_ID] = rid
        state: dict[str, Any] = {"status": 500, "started": False, "stream": False}
        state["queries"] = query_count.start()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                kind = headers.get("content-type", "")
                if kind.startswith("application/json"):
                    headers.setdefault("Cache-Control", "no-store")
                state["stream"] = kind.startswith("text/event-stream")
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception(
                "internal error in %s %s request_id=%s",
                scope["method"],
                route_template(scope) or loggable_path(scope),
                rid,
            )
            if not state["started"]:
                await internal_error_response(scope)(scope, receive, send_wrapper)
        finally:
            query_count.stop()
            self._record(scope, int(state["status"]), time.perf_counter() - started, state)

    def _record(self, scope: Scope, status: int, seconds: float, state: dict[str, Any]) -> None:
        template = route_template(scope)
        label = template or UNMATCHED
        method = metrics.method_label(scope["method"])
        code = metrics.status_label(status)
        metrics.HTTP_REQUESTS.labels(method, label, code).inc()
        metrics.HTTP_DURATION.labels(method, label, code).observe(seconds)
        # A stream's count is not one request's work: a background task started
        # during it (the revision watcher) shares its context, so it is left out.
        queries: int = 0 if state["stream"] else state["queries"].value
        if not state["stream"]:
            metrics.observe_queries(label, queries)
        usage.RECORDER.request(template, status, seconds, queries)
        slow = seconds > self.slow and not state["stream"]
        log.log(
            logging.WARNING if slow else logging.INFO,
            "%s %s %d %.1fms member=%s request_id=%s%s",
            method,
            template or loggable_path(scope),
            status,
            seconds * 1000,
            scope.get(MEMBER_KEY) or "-",
            scope[REQUEST_ID],
            " SLOW" if slow else "",
        )


def is_json(content_type: str) -> bool:
    """``application/json`` or any ``application/*+json``, parameters ignored."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


class BodyGuard:
    """Bodies of at most ``max_body_bytes`` (else 413); JSON for ``/api/`` (else 415).

    The body is read here, before the app sees it, so a body over the limit is
    refused whether or not it announced its length.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send, declared.isdigit())
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.limit:
                await self._refuse(scope, receive, send, True)
                return
        if (
            body
            and route_path(scope).startswith("/api/")
            and not is_json(headers.get("content-type", ""))
        ):
            response = error_response(
                scope,
                415,
                "unsupported_media_type",
                "send the request body as JSON (Content-Type: application/json)",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, too_large: bool) -> None:
        if too_large:
            response = error_response(
                scope, 413, "too_large", f"the request body is larger than {self.limit} bytes"
            )
        else:
            response = error_response(
                scope, 400, "invalid_request", "the Content-Length header is not a number"
            )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving the already-read body once, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["BodyGuard", "RequestContext", "is_json", "replay", "request_id", "route_template"]
