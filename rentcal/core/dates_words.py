"""Days as people read them: ``Tue 15 Dec 2026``, and ranges of them (pure).

The one place where e-mails, pages and the CLI's human output turn dates
into words, so the three say a day the same way. JSON, feeds and stored
values keep ISO 8601; only what a person reads goes through here. English
names (like every other word of rentcal), never the host's locale: the same
database gives the same words on every host.

A range names what its two ends share once, with an en dash between them:
``Tue 15 - Thu 17 Dec 2026`` within a month, ``Mon 30 Nov - Wed 2 Dec 2026``
within a year, ``Thu 31 Dec 2026 - Fri 1 Jan 2027`` across years (each "-"
here being U+2013, :data:`DASH`); a range of one day is that day.

>>> day_words(date(2026, 12, 15))
'Tue 15 Dec 2026'
>>> span_words(date(2026, 12, 15), date(2026, 12, 17)).replace(DASH, " - ")
'Tue 15 - Thu 17 Dec 2026'
>>> span_words(date(2026, 12, 15), date(2026, 12, 15))
'Tue 15 Dec 2026'
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Between the two ends of a range: an en dash with spaces.
DASH = " \u2013 "
#: An inclusive ISO range as rentcal wrote it in older messages: ``2026-12-15..2026-12-17``.
_ISO_SPAN = re.compile(r"\b(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})\b")


def day_words(day: date) -> str:
    """``Tue 15 Dec 2026``: weekday, day, month and year, without the host's locale."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def span_parts(start: date, end: date) -> tuple[str, str]:
    """The words of a range's two ends, the shared month and year said once, at the end:
    ``("Tue 15", "Thu 17 Dec 2026")`` (pages put each in its own ``<time>``)."""
    first = f"{WEEKDAYS[start.weekday()]} {start.day}"
    if (start.year, start.month) == (end.year, end.month):
        return first, day_words(end)
    if start.year == end.year:
        return f"{first} {MONTHS[start.month - 1]}", day_words(end)
    return day_words(start), day_words(end)


def span_words(start: date, end: date) -> str:
    """An inclusive range of days; a single day when ``start == end``."""
    if start == end:
        return day_words(start)
    return DASH.join(span_parts(start, end))


def moment_words(moment: datetime) -> str:
    """``Tue 15 Dec 2026 14:05 UTC``: when something was recorded (stored in UTC)."""
    at = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{day_words(at.date())} {at:%H:%M} UTC"


def iso_spans_in_words(text: str) -> str:
    """``text`` with each ISO range ``2026-12-15..2026-12-17`` written in words
    (stored reasons written before rentcal worded its dates read like new ones)."""

    def worded(match: re.Match[str]) -> str:
        try:
            return span_words(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        except ValueError:  # not a day of the calendar: leave it as written
            return match[0]

    return _ISO_SPAN.sub(worded, text)


__all__ = [
    "DASH",
    "MONTHS",
    "WEEKDAYS",
    "day_words",
    "iso_spans_in_words",
    "moment_words",
    "span_parts",
    "span_words",
]
