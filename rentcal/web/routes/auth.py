"""Logging in and out: ``GET /login`` (a plain page), ``POST /login``, ``POST /logout``.

``POST /login`` takes the form fields ``handle`` and ``password`` (or the same
as JSON, for scripts). On success it sets the session cookie — HttpOnly,
SameSite=Lax, Secure behind https — holding a random 256-bit id of which the
database keeps only a digest, and the ``csrftoken`` cookie the page's scripts
echo in ``X-CSRFToken``. A browser form is redirected (303) to ``next``; a
script gets the ``/api/me`` shape. Wrong handle and wrong password get the
same answer; five failures for one handle from one client address in 15
minutes, or twenty from one address for any handles, get 429 with
``Retry-After``, whichever worker or host answers — the same handle from
another address is unaffected, so guessers cannot lock its owner out.
Password checks run behind the worker's login gate (:mod:`rentcal.web.hashing`),
never in the request thread pool.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from rentcal.errors import AuthFailed, InvalidRequest, PermissionDenied, RentcalError, Throttled
from rentcal.web.auth import CSRF_COOKIE, SESSION_COOKIE, Cal, Config
from rentcal.web.error_responses import WebError, classify
from rentcal.web.hashing import login_gate
from rentcal.web.middleware import is_json
from rentcal.web.next_path import next_or_home
from rentcal.web.response_shapes import MemberOut, StatusOut
from rentcal.web.routes.common import errors
from rentcal.web.server_settings import Settings
from rentcal.web.views import as_json

router = APIRouter(tags=["auth"])
log = logging.getLogger("rentcal.web")
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

#: The login page loads nothing but its own stylesheet.
LOGIN_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
FORM = "application/x-www-form-urlencoded"
MAX_FIELD = 2000


def cookie_path(request: Request) -> str:
    """Cookies are scoped to the app's root path (``--root-path``)."""
    return request.scope.get("root_path", "") or "/"


def ensure_csrf_cookie(request: Request, response: Response, settings: Settings) -> None:
    """Give a page the ``csrftoken`` cookie its scripts send back as ``X-CSRFToken``."""
    if not request.cookies.get(CSRF_COOKIE):
        set_csrf_cookie(request, response, settings)


def set_csrf_cookie(request: Request, response: Response, settings: Settings) -> None:
    """A fresh ``csrftoken`` cookie, readable by the page's scripts (not HttpOnly)."""
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=int(settings.session_idle_days * 86400),
        path=cookie_path(request),
        secure=settings.secure_for(request.url.scheme),
        httponly=False,
        samesite="lax",
    )


def safe_next(request: Request, target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another host)."""
    root: str = request.scope.get("root_path", "")
    return root + next_or_home(target)


def render_login(
    request: Request,
    *,
    error: str | None = None,
    handle: str = "",
    next: str = "/",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login page, with an inline error after a failed attempt."""
    settings: Settings = request.app.state.settings
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "error": error,
            "handle": handle[:200],
            "next": next_or_home(next),
            "root": request.scope.get("root_path", ""),
            "signup_open": request.app.state.cal.signup() == "open",
        },
        status_code=status,
        headers={
            "Content-Security-Policy": LOGIN_CSP,
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )
    ensure_csrf_cookie(request, response, settings)
    return response


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (no script, one stylesheet)."""
    return render_login(request, next=next)


def is_browser(request: Request) -> bool:
    """A form posted by a browser (answered with pages and redirects), not a script."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/json" not in accept


async def credentials(request: Request) -> tuple[str, str, str, bool]:
    """(handle, password, next, from_a_browser) from a form or JSON body."""
    kind = request.headers.get("content-type", "")
    raw = await request.body()
    if kind.split(";", 1)[0].strip().lower() == FORM:
        try:
            fields = parse_qs(
                raw.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10
            )
        except ValueError:  # more than max_num_fields
            raise InvalidRequest("the login form has more than 10 fields") from None
        data: dict[str, Any] = {k: v[0] for k, v in fields.items()}
        form = is_browser(request)
    elif is_json(kind):
        try:
            data = json.loads(raw or b"null")
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            raise InvalidRequest("the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise InvalidRequest('send a JSON object {"handle": ..., "password": ...}')
        form = False
    else:
        raise WebError(
            415,
            "unsupported_media_type",
            f"log in with a form ({FORM}) or JSON (application/json)",
        )
    handle, password, target = data.get("handle"), data.get("password"), data.get("next", "/")
    for name, value in (("handle", handle), ("password", password)):
        if not isinstance(value, str) or not value:
            raise InvalidRequest(f"{name} is missing", field=name, reason="missing")
        if _has_surrogate(value):
            raise InvalidRequest(f"{name} is not valid Unicode text", field=name, reason="format")
    if len(str(handle)) > MAX_FIELD:
        raise InvalidRequest("handle is too long", field="handle", reason="too-long")
    return str(handle), str(password), target if isinstance(target, str) else "/", form


def _has_surrogate(text: str) -> bool:
    """A lone surrogate (JSON's ``"\\ud800"``): no UTF-8 for the hasher or the database."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["handle", "password"],
                    "properties": {
                        "handle": {"type": "string"},
                        "password": {"type": "string", "format": "password"},
                        "next": {"type": "string"},
                    },
                }
            }
        },
    }
}


def client_address(request: Request) -> str:
    """The address logins are counted under: the peer's IP address.

    Behind a proxy, ``--proxy-headers`` makes uvicorn put the client's own
    address here (X-Forwarded-For from FORWARDED_ALLOW_IPS); without it every
    login would count under the proxy's address.
    """
    return request.client.host if request.client and request.client.host else "unknown"


@router.post(
    "/login",
    response_model=MemberOut,
    responses={
        303: {"description": "a browser form: logged in, go to `next`"},
        **errors(400, 401, 403, 413, 415, 429, 500, 503),
    },
    openapi_extra=LOGIN_BODY,
)
async def login(request: Request, cal: Cal, settings: Config) -> Response:
    """Log in with ``handle`` and ``password``: sets the session cookie."""
    handle, password, target, form = await credentials(request)
    address = client_address(request)
    try:
        # Argon2 takes a fifth of a second of CPU and 19 MiB: never on the event
        # loop, nor in the request thread pool (rentcal.web.hashing).
        _session, secret = await login_gate(request).run(
            cal.login, handle, password, client=address
        )
    except (AuthFailed, Throttled, PermissionDenied) as err:
        if isinstance(err, Throttled):
            log.warning(
                "login throttled: client %s, handle %r, retry after %d s",
                address,
                handle[:64],
                err.retry_after,
            )
        if not form:
            raise
        problem = classify(err)
        return render_login(
            request,
            error=err.message,
            handle=handle,
            next=target,
            status=problem.status,
            headers=problem.headers,
        )
    member = await run_in_threadpool(cal.session_member, secret)
    response: Response
    if form:
        response = RedirectResponse(safe_next(request, target), status_code=303)
    elif member is not None:
        response = as_json(member.as_dict())
    else:  # pragma: no cover - a session that vanished at once
        raise RentcalError("the new session could not be read back")
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.session_idle_days * 86400),
        path=cookie_path(request),
        secure=settings.secure_for(request.url.scheme),
        httponly=True,
        samesite="lax",
    )
    set_csrf_cookie(request, response, settings)
    return response


@router.post(
    "/logout",
    response_model=StatusOut,
    responses={303: {"description": "a browser form: logged out, go to /login"}, **errors(403)},
)
def logout(request: Request, cal: Cal, settings: Config) -> Response:
    """End this browser session (the cookie's); idempotent."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        cal.logout(secret)
    root = request.scope.get("root_path", "")
    response: Response
    if "text/html" in request.headers.get("accept", ""):
        response = RedirectResponse(f"{root}/login", status_code=303)
    else:
        response = as_json({"status": "logged out"})
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(
            name,
            path=cookie_path(request),
            secure=settings.secure_for(request.url.scheme),
            samesite="lax",
        )
    return response


__all__ = [
    "client_address",
    "ensure_csrf_cookie",
    "render_login",
    "router",
    "safe_next",
    "set_csrf_cookie",
]
