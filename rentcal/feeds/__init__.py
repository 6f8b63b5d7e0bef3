"""Calendar feeds: pure formatting of rentals and maintenance blocks.

- :mod:`rentcal.feeds.fullcalendar`: FullCalendar event / resource dicts (JSON).
- :mod:`rentcal.feeds.ical`: an :class:`icalendar.Calendar` or ``.ics`` bytes.

No database, no clock, no I/O. Importing this package (or
:mod:`rentcal.feeds.fullcalendar`) does not import :mod:`icalendar`; the
iCalendar names below are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rentcal.feeds.fullcalendar import (
    LEGEND,
    events,
    iter_events,
    legend,
    maintenance_event,
    rental_event,
    resources,
)

if TYPE_CHECKING:
    from rentcal.feeds.ical import build_calendar, to_ics

_LAZY = frozenset({"build_calendar", "to_ics"})


def __getattr__(name: str) -> object:
    # PEP 562: load rentcal.feeds.ical (and so icalendar) only when asked for.
    if name in _LAZY:
        from rentcal.feeds import ical

        return getattr(ical, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LEGEND",
    "build_calendar",
    "events",
    "iter_events",
    "legend",
    "maintenance_event",
    "rental_event",
    "resources",
    "to_ics",
]
