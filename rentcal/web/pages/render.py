"""How every HTML page is answered: Jinja2 templates, the CSP header, forms, redirects.

Pages are server-rendered and work without JavaScript; the page scripts in
``static/`` only make them live. No page has an inline script: the
Content-Security-Policy of every page allows scripts from this server and
the ONE pinned FullCalendar file on the CDN (or, with ``rentcal serve
--assets``, from this server too). FullCalendar injects one ``<style>``
element at run time; it carries the per-request nonce, which FullCalendar
reads from ``<meta name="csp-nonce">``, so ``style-src`` needs neither
``'unsafe-inline'`` nor a hash. (Style *attributes* that FullCalendar sets
through the CSSOM, e.g. an event's colours, are not governed by CSP.)
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from rentcal.core.dates_words import day_words, moment_words, span_parts
from rentcal.core.money import format_money
from rentcal.core.news import waiting_words
from rentcal.core.values import Member
from rentcal.frontend.iso_day import iso_day
from rentcal.web.server_settings import Settings
from rentcal.web.stripe_checkout import CHECKOUT_ORIGIN

#: The FullCalendar release the pages use: the standard MIT bundle (npm package
#: ``fullcalendar``); tests/browser/package.json pins the same version.
FULLCALENDAR_VERSION = "6.1.21"
FULLCALENDAR_FILE = "index.global.min.js"
FULLCALENDAR_CDN = (
    f"https://cdn.jsdelivr.net/npm/fullcalendar@{FULLCALENDAR_VERSION}/{FULLCALENDAR_FILE}"
)
#: Subresource Integrity of that exact file (base64 SHA-384 of the npm file's bytes,
#: which is what the CDN serves at that path); a browser test recomputes it.
FULLCALENDAR_SRI = "sha384-WDvnzcla8X1CQM97EnYyl4OoTCvmMFp5lBiVNO3IjVdvLMOUjwt+iuYb/Mru5A9v"
#: Where a local copy (``rentcal serve --assets DIR``) is served.
LOCAL_FULLCALENDAR_PATH = f"/assets/fullcalendar/{FULLCALENDAR_FILE}"

#: A form body larger than this is refused (the web layer's own limit is 64 kB too).
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 50


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the packaged templates (built once per process)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rentcal.web", "templates"),
        autoescape=jinja2.select_autoescape(("html",), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = _iso
    # The words of e-mails and the CLI (issue #21), registered once for every page.
    env.filters["day"] = day_words
    env.filters["span_parts"] = span_parts
    env.filters["moment"] = moment_words
    env.filters["money"] = format_money
    # What a pending rental waits for: its card payment until when, or an admin.
    env.filters["waiting"] = waiting_words
    return env


def _iso(value: object) -> str:
    """A date or datetime as ISO text (templates show it; page scripts localise it)."""
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def assets_dir(request: Request) -> str | None:
    """The folder of a local FullCalendar copy (``rentcal serve --assets``), if any."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings.assets_dir if settings is not None and settings.assets_dir else None


def root_of(request: Request) -> str:
    """The path prefix the app is served under (``--root-path``), without a trailing slash."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def fullcalendar_script(request: Request) -> dict[str, str | None]:
    """The ``src`` and ``integrity`` of the FullCalendar script tag for this server."""
    if assets_dir(request):
        return {"src": root_of(request) + LOCAL_FULLCALENDAR_PATH, "integrity": None}
    return {"src": FULLCALENDAR_CDN, "integrity": FULLCALENDAR_SRI}


def content_security_policy(nonce: str, *, cdn: bool, checkout: str | None = None) -> str:
    """The CSP of a page: no inline script, nothing third-party but the one CDN file;
    forms post here only (``checkout``: the origin of Stripe's payment page, where a
    payment form's 303 leads, on a server that takes card payments)."""
    scripts = "'self'" + (f" {FULLCALENDAR_CDN}" if cdn else "")
    forms = "'self'" + (f" {checkout}" if checkout else "")
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {scripts}",
            f"style-src 'self' 'nonce-{nonce}'",
            # FullCalendar's icon font is a data: URI inside its injected CSS.
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            f"form-action {forms}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    member: Member | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A page from ``template`` with the common context and security headers.

    Every page gets ``root`` (the path prefix), ``nonce``, ``member`` (the viewer
    or None), ``fullcalendar`` (script src/integrity), ``currency`` (None unless
    the page passes the organisation's) and ``today``-free data:
    the templates never read a clock.
    """
    nonce = secrets.token_urlsafe(18)
    script = fullcalendar_script(request)
    data: dict[str, Any] = {
        "root": root_of(request),
        "nonce": nonce,
        "member": member,
        "fullcalendar": script,
        "path": request.url.path,
        "notice": None,
        # The organisation's currency (``|money(currency)``): pages showing prices pass it.
        "currency": None,
    }
    data.update(context or {})
    html = environment().get_template(template).render(data)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = content_security_policy(
        nonce,
        cdn=script["integrity"] is not None,
        checkout=CHECKOUT_ORIGIN if getattr(request.app.state, "checkout", None) else None,
    )
    # Pages show one member's data: never cache them anywhere.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    _csrf_cookie(request, response)
    return response


def _csrf_cookie(request: Request, response: HTMLResponse) -> None:
    """The ``csrftoken`` cookie the page scripts echo as ``X-CSRFToken`` (the web layer's)."""
    from rentcal.web.routes.auth import ensure_csrf_cookie

    settings = getattr(request.app.state, "settings", None)
    if settings is not None:
        ensure_csrf_cookie(request, response, settings)


def see_other(
    request: Request, path: str, *, anchor: str = "", **query: str | int
) -> RedirectResponse:
    """303 to ``path`` under the root path: the redirect after every POST of a page form,
    so that a reload repeats a GET, never the POST. ``anchor``: the id of the item
    acted on, so that the browser lands there rather than at the top of a long page."""
    target = root_of(request) + path
    if query:
        target += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())
    if anchor:
        target += "#" + quote(anchor, safe="-_.")
    return RedirectResponse(target, status_code=303)


class FormError(Exception):
    """A form body that no browser form of ours sends (wrong type, too large)."""


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` POST (the last value wins).

    Parsed with the standard library rather than Starlette's ``request.form()``,
    which needs python-multipart for this simple encoding too.
    """
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if not body:
        return {}  # a form of buttons only
    if kind != "application/x-www-form-urlencoded":
        raise FormError("this form must be sent as application/x-www-form-urlencoded")
    if len(body) > MAX_FORM_BYTES:
        raise FormError("the form is too large")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise FormError("the form could not be read") from None
    return dict(pairs)


async def posted(request: Request) -> tuple[dict[str, str], str | None]:
    """A form's fields, or no fields and the reason it could not be read."""
    try:
        return await form_fields(request), None
    except FormError as err:
        return {}, str(err)


def parse_day(value: str | None) -> date | None:
    """An ISO ``YYYY-MM-DD`` date from a form or query field; None when empty.

    Raises:
        ValueError: with a sentence naming the value.
    """
    text = (value or "").strip()
    if not text:
        return None
    day = iso_day(text)
    if day is None:
        raise ValueError(f"{text[:40]!r} is not a date (YYYY-MM-DD)")
    return day


def new_form_key() -> str:
    """A fresh idempotency key for one rendered booking form: submitting the same
    form twice (a double click, a resend) books once."""
    return "form-" + secrets.token_urlsafe(18)


__all__ = [
    "FULLCALENDAR_CDN",
    "FULLCALENDAR_SRI",
    "FULLCALENDAR_VERSION",
    "LOCAL_FULLCALENDAR_PATH",
    "FormError",
    "assets_dir",
    "content_security_policy",
    "environment",
    "form_fields",
    "fullcalendar_script",
    "new_form_key",
    "parse_day",
    "posted",
    "render",
    "root_of",
    "see_other",
]
