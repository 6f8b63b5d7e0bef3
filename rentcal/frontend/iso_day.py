"""``YYYY-MM-DD`` exactly: the one date syntax of JSON bodies, form fields and ``$RENTCAL_TODAY``.

Since Python 3.11 ``date.fromisoformat`` also reads ``20300115`` and week
dates (``2030-W03-2``); the API refused those while the page's form and the
CLI's ``$RENTCAL_TODAY`` took them. Every strict date now goes through
:func:`iso_day`; each front end words the refusal its own way.

>>> iso_day("2030-01-15"), iso_day("20300115"), iso_day("2030-02-30")
(datetime.date(2030, 1, 15), None, None)
"""

import re
from datetime import date

_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def looks_like_iso_day(text: str) -> bool:
    """Whether ``text`` has the shape ``YYYY-MM-DD`` (ASCII digits), real day or not."""
    return _SHAPE.fullmatch(text) is not None


def iso_day(text: str) -> date | None:
    """The day ``text`` names as exactly ``YYYY-MM-DD``; None for anything else or no such day."""
    if not looks_like_iso_day(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


__all__ = ["iso_day", "looks_like_iso_day"]
