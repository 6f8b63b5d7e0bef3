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
Busy                               503     ``busy`` (+ Retry-After)
DatabaseError                      503     ``database_unavailable``; detail: log only
anything else (a bug)              500     ``internal``; traceback to the log only
=================================  ======  ===========================
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Scope

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
from rentcal.web.scope import REQUEST_ID, route_path
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
) -> JSONResponse:
    """An error answer for a request (handlers and middlewares alike)."""
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


def rentcal_error_response(scope: Scope, err: RentcalError) -> JSONResponse:
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


def internal_error_response(scope: Scope) -> JSONResponse:
    """A bug: 500 with the request id; the traceback was logged by the caller."""
    return error_response(scope, 500, "internal", "internal error")


def wants_html(request: Request) -> bool:
    """A browser navigating to a page (not a script calling /api)."""
    path = route_path(request.scope)
    if request.method not in ("GET", "HEAD") or path.startswith(("/api/", "/feeds/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def login_redirect(request: Request) -> RedirectResponse:
    """Where an unauthenticated browser goes: the login page, coming back afterwards."""
    from urllib.parse import quote

    root = request.scope.get("root_path", "")
    here = route_path(request.scope)
    return RedirectResponse(f"{root}/login?next={quote(here, safe='/')}", status_code=303)


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
    "error_response",
    "install",
    "internal_error_response",
    "login_redirect",
    "rentcal_error_response",
    "wants_html",
    "without_passwords",
]
