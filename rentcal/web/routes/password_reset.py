"""Forgotten passwords: ``/forgot`` asks for a one-time link, ``/reset/{secret}`` uses it.

``POST /forgot`` (form field ``who``: a handle or an e-mail address) and
``POST /api/password-reset`` (JSON ``{"handle_or_email": ...}``, for scripts)
answer the same whatever was typed — the answer never tells whether an
account exists — and are limited per account and per client address by the
service (:mod:`rentcal.service.password_reset`). ``POST /reset/{secret}``
(``password`` twice) sets the password, which ends every session and API
token of the member, and logs them in: a new session cookie and a redirect
home. The request log shows the route template, never the secret; the pages
send no Referer. The Argon2 hash runs behind the login gate
(:mod:`rentcal.web.hashing`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from rentcal.errors import InvalidRequest
from rentcal.web.auth import SESSION_COOKIE, Cal, Config
from rentcal.web.error_responses import WebError, classify
from rentcal.web.hashing import login_gate
from rentcal.web.middleware import is_json
from rentcal.web.response_shapes import StatusOut
from rentcal.web.routes.auth import (
    FORM,
    LOGIN_CSP,
    MAX_FIELD,
    client_address,
    cookie_path,
    ensure_csrf_cookie,
    set_csrf_cookie,
)
from rentcal.web.routes.common import errors
from rentcal.web.server_settings import Settings
from rentcal.web.views import as_json

router = APIRouter(tags=["auth"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

#: What every request for a link is told, whatever it named.
SENT = "If that account has an e-mail address, a link is on its way"
#: The pages hold (or lead to) a secret: never stored, never sent on as a Referer.
HEADERS = {
    "Content-Security-Policy": LOGIN_CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def link_page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page about a one-time link (this module's two, the invitation's), with the
    login page's CSP, no Referer, and the csrftoken cookie."""
    root = request.scope.get("root_path", "")
    response = templates.TemplateResponse(
        request,
        name,
        {"root": root, "error": None, **context},
        status_code=status,
        headers=HEADERS,
    )
    ensure_csrf_cookie(request, response, request.app.state.settings)
    return response


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a posted form (the first value of each)."""
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != FORM:
        raise WebError(415, "unsupported_media_type", f"send the form as {FORM}")
    raw = (await request.body()).decode("utf-8", "replace")
    try:
        fields = parse_qs(raw, keep_blank_values=True, max_num_fields=10)
    except ValueError:
        raise InvalidRequest("the form has more than 10 fields") from None
    return {k: v[0][:MAX_FIELD] for k, v in fields.items()}


@router.get("/forgot", include_in_schema=False)
def forgotlink_page(request: Request) -> Response:
    """The form asking for a handle or an e-mail address."""
    return link_page(request, "forgot.html", sent=False)


@router.post("/forgot", include_in_schema=False)
async def forgot(request: Request, cal: Cal) -> Response:
    """Ask for a link; the same page whatever was typed."""
    who = (await read_form(request)).get("who", "").strip()
    if not who:
        return link_page(request, "forgot.html", 400, sent=False, error="type a handle or address")
    await run_in_threadpool(cal.request_password_reset, who, client=client_address(request))
    return link_page(request, "forgot.html", sent=True)


@router.post(
    "/api/password-reset",
    response_model=StatusOut,
    status_code=202,
    responses=errors(400, 403, 415),
)
async def request_reset(request: Request, cal: Cal) -> Response:
    """Ask for a password-reset link by e-mail: ``{"handle_or_email": ...}``; the same
    answer whether or not the account exists."""
    if not is_json(request.headers.get("content-type", "")):
        raise WebError(415, "unsupported_media_type", "send JSON (application/json)")
    try:
        data = json.loads(await request.body() or b"null")
    except (ValueError, RecursionError):
        raise InvalidRequest("the request body is not valid JSON") from None
    who = data.get("handle_or_email") if isinstance(data, dict) else None
    if not isinstance(who, str) or not who.strip() or len(who) > MAX_FIELD:
        raise InvalidRequest(
            "handle_or_email is missing", field="handle_or_email", reason="missing"
        )
    await run_in_threadpool(cal.request_password_reset, who, client=client_address(request))
    return as_json({"status": SENT}, status=202)


@router.get("/reset/{secret}", include_in_schema=False)
def resetlink_page(request: Request, secret: str) -> Response:
    """The new-password form (the link is checked when it is used)."""
    return link_page(request, "reset.html", action=request.url.path)


@router.post("/reset/{secret}", include_in_schema=False)
async def reset(request: Request, secret: str, cal: Cal, settings: Config) -> Response:
    """Set the new password, log in, go home; or the form again with the reason."""
    fields = await read_form(request)
    password, again = fields.get("password", ""), fields.get("password2", "")
    action = request.url.path
    if password != again:
        return link_page(request, "reset.html", 400, action=action, error="the passwords differ")
    try:
        _session, session_secret = await login_gate(request).run(
            cal.reset_password, secret, password
        )
    except InvalidRequest as err:
        problem = classify(err)
        return link_page(request, "reset.html", problem.status, action=action, error=err.message)
    root = request.scope.get("root_path", "")
    response = RedirectResponse(f"{root}/", status_code=303)
    log_in(request, response, session_secret, settings)
    return response


def log_in(request: Request, response: Response, secret: str, settings: Settings) -> None:
    """The session cookie (as ``POST /login`` sets it) and a fresh csrftoken."""
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


__all__ = ["HEADERS", "SENT", "link_page", "log_in", "read_form", "router"]
