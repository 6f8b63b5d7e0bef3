"""The server's public base URL: one rule for ``serve --base-url`` and ``feed create``.

Feed URLs printed by the CLI and the URL the server calls itself must be the
same string, so both front ends clean it here. A user name or password in it
(``https://user@host``) is refused: it would be printed into every feed URL
and sent to calendar apps, and the server never needs one.
"""

import ipaddress
from urllib.parse import SplitResult, urlsplit

from rentcal.errors import InvalidRequest

#: The public URL of the server (feed URLs, Secure cookies, the CSRF origin check).
BASE_URL_ENV = "RENTCAL_BASE_URL"
#: Where ``rentcal serve`` listens by default.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _refuse(value: str, what: str) -> InvalidRequest:
    """The one error of a bad base URL, naming what is wrong with it."""
    return InvalidRequest(
        f"base URL {value[:80]!r} {what}",
        field="base_url",
        value=value,
        reason="bad-url",
    )


def _split(text: str) -> SplitResult | None:
    """``text`` split into URL parts, or None when it cannot be one (``http://[::1``)."""
    try:
        return urlsplit(text)
    except ValueError:
        return None


def clean_base_url(value: str | None) -> str | None:
    """``http(s)://HOST[:PORT][/PATH]`` without a trailing slash; None for blank.

    Raises:
        InvalidRequest: not an http(s) URL with a host, or one with a user
            (``user@``), a query or a fragment (``reason="bad-url"``).
    """
    if value is None or not value.strip():
        return None
    text = value.strip().rstrip("/")
    parts = _split(text)
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse(value, "is not an http:// or https:// URL: use https://HOST[:PORT][/PATH]")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise _refuse(value, "must not have a user, a query or a fragment")
    return text


def base_url_or_default(value: str | None) -> str:
    """The cleaned base URL, or :data:`DEFAULT_BASE_URL` when none is given."""
    return clean_base_url(value) or DEFAULT_BASE_URL


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this computer only: ``localhost`` (and names under
    it, RFC 6761), 127.0.0.0/8 or ``::1``.

    Google Calendar and Outlook.com fetch a subscribed feed from their own
    servers, and a phone is another computer: none of them can reach such a
    URL, so the page warns before anyone pastes it.

    Examples:

        >>> is_loopback("http://127.0.0.1:8000/feeds/x.ics"), is_loopback("http://[::1]/")
        (True, True)
        >>> is_loopback("https://rentcal.example.org"), is_loopback("http://10.0.0.5")
        (False, False)
    """
    parts = _split(url.strip())
    try:
        host = None if parts is None else parts.hostname  # lower case, no [brackets]
    except ValueError:
        host = None
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return False


def webcal_url(url: str) -> str | None:
    """``url`` with ``webcal://`` for its ``http://`` or ``https://`` (None for any
    other): the link that makes the calendar app subscribe.

    webcal has no secure variant every app knows; apps fetch the https URL
    when the server redirects http to https (docs/web.md's nginx does).

    Examples:

        >>> webcal_url("https://rentcal.example.org/feeds/abc.ics")
        'webcal://rentcal.example.org/feeds/abc.ics'
    """
    text = url.strip()
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            return "webcal://" + text[len(scheme) :]
    return None


__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "base_url_or_default",
    "clean_base_url",
    "is_loopback",
    "webcal_url",
]
