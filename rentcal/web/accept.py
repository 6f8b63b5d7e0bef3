"""Which answer a client prefers, from its ``Accept`` header: a page or JSON.

Browsers navigating send ``text/html,application/xhtml+xml,...,*/*;q=0.8``;
``curl`` sends ``*/*``, scripts ``application/json``. Only the q-values of
those few types matter to rentcal, so this reads just them (RFC 9110 §12.5.1).
"""

from __future__ import annotations

HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json",)


def _quality(accept: str, wanted: tuple[str, ...]) -> float:
    """The highest q-value ``accept`` gives one of the media types ``wanted`` (0: none)."""
    best = 0.0
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind.lower() not in wanted:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def prefers_html(accept: str) -> bool:
    """Whether an ``Accept`` header names HTML and ranks it at least as high as JSON.

    A browser's navigation sends ``text/html,...,*/*;q=0.8``; ``curl`` sends
    ``*/*`` and scripts ``application/json``: those two stay JSON.
    """
    html = _quality(accept, HTML_TYPES)
    return html > 0 and html >= _quality(accept, JSON_TYPES)


__all__ = ["HTML_TYPES", "JSON_TYPES", "prefers_html"]
