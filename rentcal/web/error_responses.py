"""THE one place where exceptions become HTTP answers, as rentcal.cli.exit_codes is for exit codes.

Every failure is JSON of one shape (:class:`~rentcal.web.response_shapes.ErrorBody`)::

    {"error": "machine 'x' not found", "code": "not_found", "field": "machine",
     "request_id": "..."}                      # + "conflicts": [...] for 409 unavailable

=================================  ======  ===========================
library error / web condition      status  code
=================================  ======  ===========================
bad input, InvalidRequest          400     ``invalid_request``
a Host not allowed (hosts.py)      400     ``bad_host``
no or bad credentials, AuthFailed  401     ``unauthenticated``
PermissionDenied                   403     ``permission_denied``
cross-site request refused         403     ``csrf``
NotFound, unknown URL              404     ``not_found``
Unavailable                        409     ``unavailable`` (+ conflicts)
InvalidTransition                  409     ``invalid_transition``
body over the limit                413     ``too_large``
body that is not JSON              415     ``unsupported_media_type``
IdempotencyMismatch                422     ``idempotency_mismatch``
Throttled                          429     ``throttled`` (+ Retry-After)
CheckoutUnavailable: Stripe failed  502     ``checkout_unavailable``
CheckoutUnavailable: no Stripe     404     ``not_found``
Busy                               503     ``busy`` (+ Retry-After)
DatabaseError                      503     ``database_unavailable``; detail: log only
anything else (a bug)              500     ``internal``; traceback to the log only
=================================  ======  ===========================

The same statuses answer a browser, in the site's layout instead of JSON: a
request for a page (not under ``/api/`` or ``/feeds/``) whose ``Accept``
header prefers ``text/html`` to ``application/json`` gets ``error.html`` with
the same message (:func:`wants_page`); an unauthenticated one is sent to the
login page and back (:func:`login_redirect`). Scripts and ``/api/*`` keep the
JSON above, unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Scope

from rentcal.core.values import Member
from rentcal.errors import (
    AuthFailed,
    Busy,
    DatabaseError,
    IdempotencyMismatch,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RentcalError,
    Throttled,
    Unavailable,
)
from rentcal.web.accept import prefers_html
from rentcal.web.next_path import next_or_home
from rentcal.web.scope import REQUEST_ID, route_path
from rentcal.web.stripe_checkout import CheckoutUnavailable
from rentcal.web.validation_words import validation_words

log = logging.getLogger("rentcal.web")
#: Seconds a client should wait after a 503 busy before trying again.
BUSY_RETRY_AFTER = 1
DATABASE_RETRY_AFTER = 5


class WebError(Exception):
    """A refusal decided by the web layer itself (credentials, CSRF, body limits)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


class Unauthenticated(WebError):
    """No valid session cookie or bearer token: 401, or a redirect to /login for pages."""

    def __init__(self, message: str = "log in first: no valid session or API token") -> None:
        super().__init__(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """How one failure is answered: status, code, and what the body and headers add."""

    status: int
    code: str
    headers: dict[str, str] = field(default_factory=dict)


def classify(err: RentcalError) -> ErrorAnswer:
    """The status and code of a library error; the order matters (subclasses first)."""
    if isinstance(err, Throttled):
        return ErrorAnswer(429, "throttled", {"Retry-After": str(max(1, int(err.retry_after)))})
    if isinstance(err, AuthFailed):
        return ErrorAnswer(401, "unauthenticated")
    if isinstance(err, PermissionDenied):
        return ErrorAnswer(403, "permission_denied")
    if isinstance(err, Unavailable):
        return ErrorAnswer(409, "unavailable")
    if isinstance(err, InvalidTransition):
        return ErrorAnswer(409, "invalid_transition")
    if isinstance(err, IdempotencyMismatch):
        return ErrorAnswer(422, "idempotency_mismatch")
    if isinstance(err, NotFound):
        return ErrorAnswer(404, "not_found")
    if isinstance(err, CheckoutUnavailable):  # card payments: nothing was charged
        if err.reason == "not-configured":
            return ErrorAnswer(404, "not_found")
        return ErrorAnswer(502, "checkout_unavailable")
    if isinstance(err, Busy):
        return ErrorAnswer(503, "busy", {"Retry-After": str(BUSY_RETRY_AFTER)})
    if isinstance(err, DatabaseError):
        return ErrorAnswer(503, "database_unavailable", {"Retry-After": str(DATABASE_RETRY_AFTER)})
    if isinstance(err, InvalidRequest):
        return ErrorAnswer(400, "invalid_request")
    return ErrorAnswer(400, "invalid_request")


def error_body(
    code: str,
    message: str,
    *,
    field: str | None = None,
    conflicts: Sequence[Mapping[str, object]] | None = None,
    request_id: str | None = None,
) -> dict[str, object]:
    """The JSON of every error answer."""
    body: dict[str, object] = {"error": message, "code": code}
    if field is not None:
        body["field"] = field
    if conflicts is not None:
        body["conflicts"] = list(conflicts)
    if request_id is not None:
        body["request_id"] = request_id
    return body


def error_response(
    scope: Scope,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    conflicts: Sequence[Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error answer for a request (handlers and middlewares alike): JSON, or the
    error page for a browser asking for a page (:func:`wants_page`)."""
    if wants_page(scope):
        page = error_page(scope, status, message, headers)
        if page is not None:
            return page
    body = error_body(
        code,
        message,
        field=field,
        conflicts=conflicts,
        request_id=scope.get(REQUEST_ID),
    )
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


#: What a client is told of a database it cannot use; the detail goes to the log.
DATABASE_UNAVAILABLE = "the database is unavailable; try again later"
DATABASE_BUSY = "the database is busy; try again"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*):[^@\s]*@")


def without_passwords(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@host`` masked."""
    return _PASSWORD_IN_URL.sub(r"\1:***@", text)


def database_problem(scope: Scope, err: RentcalError) -> str:
    """Log what is wrong with the database (its URL or path, the driver's words) and
    return what the client is told: neither, only that it is unavailable (or busy),
    with the request id that finds the log line."""
    request_id = scope.get(REQUEST_ID)
    log.warning(
        "request %s: %s: %s", request_id or "-", type(err).__name__, without_passwords(err.message)
    )
    told = DATABASE_BUSY if isinstance(err, Busy) else DATABASE_UNAVAILABLE
    return f"{told} (request id {request_id})" if request_id else told


def rentcal_error_response(scope: Scope, err: RentcalError) -> Response:
    """The answer to a library error (see the table above); a database error's
    detail is logged, never answered (it names the database and the driver)."""
    problem = classify(err)
    if isinstance(err, DatabaseError):
        return error_response(
            scope,
            problem.status,
            problem.code,
            database_problem(scope, err),
            headers=problem.headers,
        )
    conflicts = [c.as_dict() for c in err.conflicts] if isinstance(err, Unavailable) else None
    return error_response(
        scope,
        problem.status,
        problem.code,
        err.message,
        field=err.field,
        conflicts=conflicts,
        headers=problem.headers,
    )


def internal_error_response(scope: Scope) -> Response:
    """A bug: 500 with the request id; the traceback was logged by the caller."""
    return error_response(scope, 500, "internal", "internal error")


#: Paths only scripts use: always answered in JSON, whatever the Accept header says.
SCRIPT_PATHS = ("/api/", "/feeds/")
#: The heading of the error page of each status (the message says the rest).
PAGE_TITLES = {
    400: "Not a valid request",
    401: "Log in first",
    403: "Not allowed",
    404: "Page not found",
    405: "Not possible here",
    409: "Not possible now",
    413: "Too large",
    415: "Not a form this site sends",
    422: "Not a valid request",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy: try again",
}


def wants_page(scope: Scope) -> bool:
    """A browser asking for a page (not a script calling /api or a feed)."""
    if scope.get("type") != "http" or route_path(scope).startswith(SCRIPT_PATHS):
        return False
    accept = Headers(scope=scope).get("accept", "")
    return prefers_html(accept)


def wants_html(request: Request) -> bool:
    """A browser navigating to a page: GET or HEAD, and :func:`wants_page`."""
    return request.method in ("GET", "HEAD") and wants_page(request.scope)


def login_redirect(request: Request) -> RedirectResponse:
    """Where an unauthenticated browser goes: the login page, coming back afterwards
    to the same path AND query (``/?machine=tractor``)."""
    from urllib.parse import quote

    root = request.scope.get("root_path", "")
    here = route_path(request.scope)
    query = request.url.query
    target = next_or_home(here + ("?" + query if query else ""))
    return RedirectResponse(f"{root}/login?next={quote(target, safe='/')}", status_code=303)


def error_page(
    scope: Scope, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response | None:
    """``error.html`` in the site's layout (the viewer's menu when logged in); None when
    the page itself cannot be drawn — the caller answers JSON then, never a second error."""
    from rentcal.web.pages.render import render

    request = Request(scope)
    try:
        page = render(
            request,
            "error.html",
            {"title": PAGE_TITLES.get(status, "Not possible"), "message": message},
            member=_viewer(request),
            status=status,
        )
    except Exception:  # a failure page must never fail in turn
        log.exception("the error page for status %d could not be drawn", status)
        return None
    page.headers.update(dict(headers or {}))
    return page


def _viewer(request: Request) -> Member | None:
    """Who is looking at an error page (for the menu), or None; never raises."""
    from rentcal.web.auth import authenticate

    if "app" not in request.scope:
        return None
    try:
        return authenticate(request, request.app.state.cal)
    except (RentcalError, WebError):
        return None


def _validation_message(errors: Sequence[Any]) -> tuple[str, str | None]:
    """One sentence for the first thing wrong with a request, and the field it names
    (:func:`~rentcal.web.validation_words.validation_words`: field, value, reason)."""
    if not errors:
        return "the request is not valid", None
    return validation_words(errors[0])


async def _on_rentcal_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, RentcalError)
    return rentcal_error_response(request.scope, err)


async def _on_web_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, WebError)
    if isinstance(err, Unauthenticated) and wants_html(request):
        return login_redirect(request)
    return error_response(
        request.scope, err.status, err.code, err.message, field=err.field, headers=err.headers
    )


async def _on_validation_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, RequestValidationError)
    message, where = _validation_message(err.errors())
    return error_response(request.scope, 400, "invalid_request", message, field=where)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_request"}


async def _on_http_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, StarletteHTTPException)
    message = "no such page or endpoint" if err.status_code == 404 else str(err.detail)
    code = _HTTP_CODES.get(err.status_code, "http_error")
    return error_response(
        request.scope, err.status_code, code, message, headers=dict(err.headers or {})
    )


def install(app: FastAPI) -> None:
    """Register the handlers, once. Unexpected exceptions are caught by
    :class:`rentcal.web.middleware.RequestContext`, which logs the traceback."""
    app.add_exception_handler(RentcalError, _on_rentcal_error)
    app.add_exception_handler(WebError, _on_web_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


__all__ = [
    "DATABASE_UNAVAILABLE",
    "ErrorAnswer",
    "Unauthenticated",
    "WebError",
    "classify",
    "database_problem",
    "error_body",
    "error_page",
    "error_response",
    "install",
    "internal_error_response",
    "login_redirect",
    "rentcal_error_response",
    "wants_html",
    "wants_page",
    "without_passwords",
]
