"""The server-rendered month grid: the booking page's calendar without FullCalendar.

Pure: rentals and maintenance blocks in, weeks of day cells out. The words
and statuses are those of the feeds (:mod:`rentcal.feeds.fullcalendar`), so
a cell reads exactly as the FullCalendar event would ("Rented by Bob Baker").
Ranges are inclusive here, as everywhere in rentcal: a rental of 15-20
January marks exactly those six cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rentcal.core.values import Maintenance, Rental
from rentcal.feeds.fullcalendar import maintenance_title, rental_title
from rentcal.frontend.month import grid_window, month_start, month_weeks, shift_month


@dataclass(frozen=True, slots=True)
class CellItem:
    """One rental or maintenance block touching a day."""

    kind: str  # "rental" | "maintenance"
    id: int
    status: str
    title: str

    @property
    def css(self) -> str:
        """The status class the stylesheet colours like the feeds (approved red, ...)."""
        return f"st-{self.kind}-{self.status}"


@dataclass(frozen=True, slots=True)
class DayCell:
    """One day of the grid."""

    day: date
    in_month: bool
    is_today: bool
    items: tuple[CellItem, ...]
    #: Before today: shown greyed, and a click on it says why it cannot be booked.
    is_past: bool = False

    @property
    def state(self) -> str:
        """The day's state in words ("free", "approved", "pending", "maintenance")."""
        if not self.items:
            return "free"
        return ", ".join(
            "maintenance" if item.kind == "maintenance" else item.status for item in self.items
        )


def parse_month(text: str | None, default: date) -> date:
    """``YYYY-MM`` (or a full date) as the first of that month; ``default``'s month when
    empty or unreadable — a bad ``?month=`` shows this month, it is not an error."""
    value = (text or "").strip()
    try:
        if len(value) == 7:
            return date.fromisoformat(value + "-01")
        return month_start(date.fromisoformat(value))
    except ValueError:
        return month_start(default)


def month_grid(
    first: date,
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance] = (),
    *,
    today: date,
    multi_machine: bool = False,
) -> list[list[DayCell]]:
    """Weeks (Monday first) of the month of ``first``, each day with what occupies it.

    Parameters:
        first: Any day of the month to draw.
        rentals: Rentals to show (the caller picks the statuses, as feeds do).
        maintenance: Maintenance blocks to show.
        today: Marked in the grid (the clock is the caller's).
        multi_machine: Prefix titles with the machine's title, as multi-machine feeds do.
    """
    spans: list[tuple[date, date, CellItem]] = []
    for rental in rentals:
        item = CellItem(
            "rental",
            rental.id,
            str(rental.status),
            rental_title(rental, multi_machine=multi_machine),
        )
        spans.append((rental.start, rental.end, item))
    for block in maintenance:
        item = CellItem(
            "maintenance",
            block.id,
            str(block.status),
            maintenance_title(block, multi_machine=multi_machine),
        )
        spans.append((block.start, block.end, item))
    spans.sort(key=lambda s: (s[0], s[2].kind != "maintenance", s[2].id))
    return [
        [
            DayCell(
                day=day,
                in_month=day.month == first.month,
                is_today=day == today,
                items=tuple(item for start, end, item in spans if start <= day <= end),
                is_past=day < today,
            )
            for day in week
            if day is not None  # beyond 9999-12-31: the last row is shorter
        ]
        for week in month_weeks(first)
    ]


#: Column headings of the grid (Monday first; page scripts localise them).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

__all__ = [
    "WEEKDAYS",
    "CellItem",
    "DayCell",
    "grid_window",
    "month_grid",
    "month_start",
    "parse_month",
    "shift_month",
]
