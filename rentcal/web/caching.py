"""Conditional GET from the calendar's revision: ETag, Last-Modified, 304.

The revision counter changes in the same transaction as every write that
changes what a calendar shows, so ``"{revision}-{what}"`` is a strong ETag of
any events or feed response: the design's five-minute cache, without ever
serving stale data. The revision is read *before* the body is built, so a
write racing the build can only make the next request fetch again.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request

from rentcal._version import __version__


def make_etag(revision: int, *parts: object) -> str:
    """A strong ETag for one representation at one revision.

    ``parts`` name the representation (format, scope, window); rentcal's
    version is mixed in because a new release may format the same data anew.
    """
    text = "\x1f".join([__version__, *(str(p) for p in parts)])
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f'"{revision}-{digest}"'


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (``Tue, 15 Jan 2030 10:00:00 GMT``) of an aware datetime."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: ``W/"x"`` matches ``"x"``."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(part.strip().removeprefix("W/") == wanted for part in header.split(","))


def not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    """Whether the client's copy is current (RFC 9110 §13.2.2 order of evaluation).

    If-None-Match decides when present; If-Modified-Since only without it.
    An unparsable date is ignored, as the RFC asks.
    """
    none_match = request.headers.get("if-none-match")
    if none_match is not None:
        return etag_matches(none_match, etag)
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        client = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if client.tzinfo is None:
        client = client.replace(tzinfo=UTC)
    return last_modified.astimezone(UTC).replace(microsecond=0) <= client


__all__ = ["etag_matches", "http_date", "make_etag", "not_modified"]
