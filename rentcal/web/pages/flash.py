"""Post/Redirect/Get for refused forms: the message and what was typed, kept for one page.

A refused form (a maintenance clash, a conflicting move, a price with three
decimals) is answered with a 303 to the page it came from, as a change is,
so that reloading that page never sends the form again. What the page must
show beside the form travels in one short-lived cookie:

* it holds one refusal at a time (a new one replaces it), at most
  :data:`MAX_BYTES`, for :data:`MAX_AGE` (the cookie's ``Max-Age`` and a
  time stamp inside it, read with the service's clock);
* it is shown only at the URL the redirect names (``?flash=ID``, a random
  id), so another tab of the same page stays clean;
* it is signed with a key derived from the browser's session secret (or the
  script's bearer token): every worker can check it with no shared server
  secret, and a cookie planted from elsewhere (a sibling domain) is ignored;
* it never holds a secret: fields named like one are left out, and every
  value is cut to :data:`MAX_VALUE` characters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rentcal.web.auth import SESSION_COOKIE
from rentcal.web.pages.render import see_other

FLASH_COOKIE = "rentcal_flash"
#: How long a refusal can be shown again (a reload, the back button).
MAX_AGE = timedelta(minutes=10)
#: The encoded cookie value stays well under browsers' 4096 bytes per cookie.
MAX_BYTES = 3000
#: Characters kept of each typed value and of each message.
MAX_VALUE = 500
#: Form fields never written into the cookie.
SECRET_WORDS = ("password", "secret", "token", "csrf")


@dataclass(frozen=True, slots=True)
class Flash:
    """One refused form: where it was (``section``), the messages per field, the typed
    values and anything else the page shows beside it (``extra``, plain JSON)."""

    section: str
    errors: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _key(request: Request) -> bytes:
    """The signing key of this browser's (or script's) session: never stored anywhere."""
    header = request.headers.get("authorization", "")
    credential = header or request.cookies.get(SESSION_COOKIE, "")
    return hashlib.sha256(b"rentcal-flash\0" + credential.encode("utf-8", "replace")).digest()


def _sign(key: bytes, body: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def _clean(values: dict[str, str]) -> dict[str, str]:
    """The typed values worth re-showing: no secret-like field, each value cut short."""
    return {
        str(k)[:64]: str(v)[:MAX_VALUE]
        for k, v in values.items()
        if not any(word in str(k).lower() for word in SECRET_WORDS)
    }


def _encode(request: Request, payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return body.decode() + "." + _sign(_key(request), body)


def redirect(
    request: Request, path: str, anchor: str, flash: Flash, now: datetime
) -> RedirectResponse:
    """303 to ``path#anchor`` showing ``flash`` there (and nowhere else)."""
    ident = secrets.token_urlsafe(9)
    response = see_other(request, path, anchor=anchor, flash=ident)
    keep(request, response, flash, now, ident)
    return response


def keep(request: Request, response: Response, flash: Flash, now: datetime, ident: str) -> None:
    """Write ``flash`` into ``response``'s cookie, for the page URL carrying ``ident``.

    When the whole does not fit :data:`MAX_BYTES`, the extras go first, then
    the typed values: the messages always stay.
    """
    payload: dict[str, Any] = {
        "id": ident,
        "at": now.timestamp(),
        "section": flash.section[:100],
        "errors": _clean(flash.errors),
        "form": _clean(flash.form),
        "extra": flash.extra,
    }
    value = _encode(request, payload)
    for drop in ("extra", "form"):
        if len(value) <= MAX_BYTES:
            break
        payload[drop] = {}
        value = _encode(request, payload)
    if len(value) > MAX_BYTES:
        payload["errors"] = {k: v[:100] for k, v in list(payload["errors"].items())[:5]}
        value = _encode(request, payload)
    root = str(request.scope.get("root_path", "")) or "/"
    settings = getattr(request.app.state, "settings", None) if "app" in request.scope else None
    scheme = request.url.scheme
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=int(MAX_AGE.total_seconds()),
        path=root,
        # as the session cookie: Secure over https, or always when the server says so
        secure=settings.secure_for(scheme) if settings is not None else scheme == "https",
        httponly=True,
        samesite="lax",
    )


def read(request: Request, now: datetime) -> Flash | None:
    """The refusal this page URL names (``?flash=ID``), if its cookie is genuine and fresh."""
    wanted = request.query_params.get("flash", "")
    value = request.cookies.get(FLASH_COOKIE, "")
    if not wanted or "." not in value or len(value) > MAX_BYTES:
        return None
    body, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(_key(request), body.encode())):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (binascii.Error, ValueError):
        return None
    age = now.timestamp() - float(payload.get("at", 0))
    if payload.get("id") != wanted or not 0 <= age <= MAX_AGE.total_seconds():
        return None
    return Flash(
        section=str(payload.get("section", "")),
        errors=dict(payload.get("errors") or {}),
        form=dict(payload.get("form") or {}),
        extra=dict(payload.get("extra") or {}),
    )


__all__ = ["FLASH_COOKIE", "MAX_AGE", "MAX_BYTES", "Flash", "keep", "read", "redirect"]
