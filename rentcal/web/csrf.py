"""Cross-site request forgery protection without a token library, from request headers.

The approach of datasette's ``csrf.py`` and Go 1.25's ``http.CrossOriginProtection``:
an unsafe request (POST, PUT, PATCH, DELETE) that a browser could have sent
on behalf of a logged-in member — it carries the session cookie, or it is the
login form — must show it comes from this site:

1. the design's ``X-CSRFToken`` header equal to the ``csrftoken`` cookie
   (a script on our page can read the cookie; another site cannot), or
2. ``Sec-Fetch-Site: same-origin`` or ``none`` (every current browser sends it), or
3. without fetch metadata (plain HTTP on a LAN): an ``Origin`` — else a
   ``Referer`` — whose host is the request's ``Host`` or the base URL's origin.

Anything else is refused with 403 ``code: csrf``. Requests with a bearer
token and no session cookie are not checked: a browser never adds that
header by itself, so another site cannot forge one.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from rentcal.web.auth import CSRF_COOKIE, SESSION_COOKIE
from rentcal.web.error_responses import error_response
from rentcal.web.scope import route_path
from rentcal.web.server_settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOKEN_HEADER = "x-csrftoken"
#: Paths that set a session, so they are checked even without one (login CSRF).
SESSION_FORMS = ("/login", "/forgot", "/api/password-reset", "/signup", "/api/signup")
#: ... and paths under these (``/reset/{secret}``, ``/invite/{secret}`` set a session too).
SESSION_FORM_PREFIXES = ("/reset/", "/invite/")


def _origin_of(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an Origin or Referer value, lower-cased; None if unusable."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def _matches(value: str, host: str | None, settings: Settings) -> bool:
    """Whether an Origin/Referer names this server: its Host, or the base URL's origin."""
    found = _origin_of(value)
    if found is None:
        return False
    scheme, netloc = found
    if host and netloc == host.lower():
        return True
    return settings.origin is not None and f"{scheme}://{netloc}" == settings.origin


def needs_check(method: str, path: str, cookies: dict[str, str], headers: Headers) -> bool:
    """Whether this request could be a forged browser request worth checking."""
    if method in SAFE_METHODS:
        return False
    # Without a session cookie it is a bearer-token script, or nobody (401 follows).
    return (
        SESSION_COOKIE in cookies or path in SESSION_FORMS or path.startswith(SESSION_FORM_PREFIXES)
    )


def refusal(headers: Headers, cookies: dict[str, str], settings: Settings) -> str | None:
    """Why this unsafe session request is refused, or None when it is same-origin."""
    token = headers.get(TOKEN_HEADER)
    cookie = cookies.get(CSRF_COOKIE)
    if token and cookie and hmac.compare_digest(token.encode(), cookie.encode()):
        return None
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() in ("same-origin", "none"):
            return None
        return f"cross-site request refused (Sec-Fetch-Site: {site[:40]})"
    host = headers.get("host")
    origin = headers.get("origin")
    if origin is not None:
        if _matches(origin, host, settings):
            return None
        return f"cross-site request refused: Origin {origin[:100]!r} is not this site"
    referer = headers.get("referer")
    if referer is not None:
        if _matches(referer, host, settings):
            return None
        return "cross-site request refused: the Referer is not this site"
    return (
        "request refused: nothing shows it comes from this site (no Sec-Fetch-Site, "
        "Origin or Referer header); send X-CSRFToken with the csrftoken cookie's value, "
        "or use an API token"
    )


class CrossOriginGuard:
    """ASGI middleware applying :func:`refusal` to every unsafe session request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        path = route_path(scope)
        if needs_check(scope["method"], path, cookies, headers):
            reason = refusal(headers, cookies, self.settings)
            if reason is not None:
                response = error_response(scope, 403, "csrf", reason)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


__all__ = ["CrossOriginGuard", "needs_check", "refusal"]
