"""How to subscribe to a new feed URL: the facts ``/me`` shows beside it.

Pure: the URL in, what the page needs out -- the ``webcal://`` link that opens
the calendar app (for an .ics feed only: a FullCalendar JSON feed is for web
pages), and whether the URL names this computer only, which Google Calendar,
Outlook.com and phones cannot reach (:func:`rentcal.frontend.base_url.is_loopback`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rentcal.frontend.base_url import is_loopback, webcal_url


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed URL and how a calendar app subscribes to it."""

    url: str
    #: ``webcal://...`` of an .ics feed; None for a JSON feed.
    webcal: str | None
    #: The URL's host is a loopback address: other computers cannot fetch it.
    loopback: bool
    #: ``host[:port]``, to name it in the warning.
    host: str


def subscription(url: str) -> Subscription:
    """What ``/me`` shows about subscribing to ``url`` (a feed URL just made).

    Examples:

        >>> s = subscription("http://127.0.0.1:8000/feeds/abc.ics")
        >>> s.webcal, s.loopback, s.host
        ('webcal://127.0.0.1:8000/feeds/abc.ics', True, '127.0.0.1:8000')
        >>> subscription("https://rentcal.example.org/feeds/abc.json").webcal is None
        True
    """
    try:
        host = urlsplit(url).netloc
    except ValueError:  # the flash cookie holds what the server wrote; never trust it more
        host = ""
    path = url.split("?", 1)[0]
    return Subscription(
        url=url,
        webcal=webcal_url(url) if path.endswith(".ics") else None,
        loopback=is_loopback(url),
        host=host,
    )


__all__ = ["Subscription", "subscription"]
