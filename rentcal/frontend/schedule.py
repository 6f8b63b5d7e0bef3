"""Machines x days of one month, bookings as bars: ``rentcal calendar`` and ``/schedule``.

Both draw the same picture — one row per machine, one column per day — the
terminal with a symbol per day, the page with bars across their days. The
model is built here once, from the values the library returns: which state
each day of each machine is in (:func:`classify_days`, what the terminal
prints) and which bars lie on which days (:class:`Bar`, clipped to the month,
stacked in lanes where they overlap, as pending requests of a ``queue``
machine may). No clock: ``today`` is the caller's.

>>> from datetime import date
>>> month = build(date(2030, 1, 1), date(2030, 1, 31), [], [], [], today=date(2030, 1, 9))
>>> len(month.days), month.rows
(31, [])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from rentcal.core.types import RentalStatus
from rentcal.core.values import Machine, Maintenance, Rental
from rentcal.feeds.common import maintenance_title, rental_title
from rentcal.frontend.month import (
    OCCUPYING_MAINTENANCE,
    OCCUPYING_RENTALS,
    days_of,
    occupied_window,
)

if TYPE_CHECKING:
    from rentcal.service import Rentcal

#: The most machines one schedule shows (a co-op has a few dozen; the page says so past it).
MAX_MACHINES = 200


class DayState(StrEnum):
    """What occupies a machine on one day, as the calendar shows it."""

    FREE = "free"
    PENDING = "pending"
    APPROVED = "approved"
    MAINTENANCE = "maintenance"


#: When two things cover one day, the stronger one is shown.
_RANK = {DayState.FREE: 0, DayState.PENDING: 1, DayState.APPROVED: 2, DayState.MAINTENANCE: 3}


def classify_days(
    first: date,
    last: date,
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance],
) -> dict[date, DayState]:
    """The state of every day in [first, last] for one machine's items.

    Scheduled maintenance beats an approved rental, which beats a pending one;
    rejected, cancelled and completed rentals and finished or cancelled
    maintenance do not occupy a day.
    """
    states = dict.fromkeys(days_of(first, last), DayState.FREE)

    def mark(start: date, end: date, state: DayState) -> None:
        for day in days_of(max(start, first), min(end, last)):
            if _RANK[state] > _RANK[states[day]]:
                states[day] = state

    for rental in rentals:
        if rental.status in OCCUPYING_RENTALS:
            approved = rental.status is RentalStatus.APPROVED
            mark(rental.start, rental.end, DayState.APPROVED if approved else DayState.PENDING)
    for block in maintenance:
        if block.status in OCCUPYING_MAINTENANCE:
            mark(block.start, block.end, DayState.MAINTENANCE)
    return states


@dataclass(frozen=True, slots=True)
class Bar:
    """One rental or maintenance block across the days it occupies in the month."""

    kind: str  # "rental" | "maintenance"
    id: int
    status: str  # the rental's or the block's own status ("approved", "scheduled", ...)
    state: DayState
    #: Who or what, short: the member's name, or "Maintenance: Preventive".
    label: str
    #: The feeds' sentence ("Rented by Bob Baker"): the same words as every calendar.
    title: str
    #: The first and last day shown: the booking's own, clipped to the month.
    start: date
    end: date
    starts_before: bool
    ends_after: bool
    lane: int

    @property
    def span(self) -> int:
        """How many day columns the bar covers."""
        return (self.end - self.start).days + 1

    @property
    def css(self) -> str:
        """The status class the stylesheets colour like the feeds (``st-rental-approved``)."""
        return f"st-{self.kind}-{self.status}"

    def short(self, chars_per_day: int) -> str:
        """The longest of the label's forms that fits ``span`` columns of ``chars_per_day``
        characters — never a cut-off word.

        A rental: the member's name, their first name, their initials ("BB"); a
        maintenance block: its title, "Maintenance", "M".
        """
        room = self.span * chars_per_day - 1
        if self.kind == "maintenance":
            forms = [self.label, "Maintenance", "M"]
        else:
            words = self.label.split() or ["?"]
            forms = [self.label, words[0], "".join(w[0] for w in words[:2]), words[0][0]]
        return next((form for form in forms if len(form) <= room), forms[-1])


@dataclass(frozen=True, slots=True)
class Slot:
    """One cell of a lane: a bar over ``span`` days, or one day without a bar in this lane."""

    day: date
    span: int
    bar: Bar | None


@dataclass(frozen=True, slots=True)
class MachineRow:
    """One machine: the state of each day and its bars, in as few lanes as keep them apart."""

    machine: Machine
    days: dict[date, DayState]
    bars: tuple[Bar, ...]
    lanes: int

    def slots(self, lane: int) -> list[Slot]:
        """The cells of ``lane`` from the first day to the last, bars spanning their days."""
        by_start = {bar.start: bar for bar in self.bars if bar.lane == lane}
        out: list[Slot] = []
        skip_until: date | None = None
        for day in self.days:
            if skip_until is not None and day <= skip_until:
                continue
            bar = by_start.get(day)
            out.append(Slot(day, bar.span if bar else 1, bar))
            skip_until = bar.end if bar else None
        return out


@dataclass(frozen=True, slots=True)
class Schedule:
    """One month of machines x days."""

    first: date
    last: date
    today: date
    days: list[date]
    rows: list[MachineRow]
    #: How many machines there were before :data:`MAX_MACHINES` cut the list.
    machine_count: int


def _bar(item: Rental | Maintenance, first: date, last: date, lane: int) -> Bar:
    """``item`` as a bar clipped to [first, last]."""
    start, end = max(item.start, first), min(item.end, last)
    if isinstance(item, Rental):
        approved = item.status is RentalStatus.APPROVED
        return Bar(
            "rental", item.id, str(item.status),
            DayState.APPROVED if approved else DayState.PENDING,
            item.member_name, rental_title(item),
            start, end, item.start < first, item.end > last, lane,
        )  # fmt: skip
    title = maintenance_title(item)
    return Bar(
        "maintenance", item.id, str(item.status), DayState.MAINTENANCE, title, title,
        start, end, item.start < first, item.end > last, lane,
    )  # fmt: skip


def _occupying(item: Rental | Maintenance) -> bool:
    if isinstance(item, Rental):
        return item.status in OCCUPYING_RENTALS
    return item.status in OCCUPYING_MAINTENANCE


def lay_out(
    first: date, last: date, items: Iterable[Rental | Maintenance]
) -> tuple[tuple[Bar, ...], int]:
    """The bars of one machine's items meeting [first, last], and how many lanes they need.

    Greedy by first day (maintenance first on a tie, then id): each bar takes
    the lowest lane whose last bar ended before it starts, so overlapping
    bookings are drawn one above the other and never on top of each other.
    """
    shown = [i for i in items if _occupying(i) and i.start <= last and i.end >= first]
    shown.sort(key=lambda i: (max(i.start, first), isinstance(i, Rental), i.id))
    lane_ends: list[date] = []
    bars: list[Bar] = []
    for item in shown:
        start = max(item.start, first)
        lane = next((n for n, end in enumerate(lane_ends) if end < start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(start)
        bar = _bar(item, first, last, lane)
        lane_ends[lane] = bar.end
        bars.append(bar)
    return tuple(bars), max(len(lane_ends), 1)


def build(
    first: date,
    last: date,
    machines: Sequence[Machine],
    rentals: Iterable[Rental],
    maintenance: Iterable[Maintenance],
    *,
    today: date,
    limit: int | None = None,
) -> Schedule:
    """The schedule of ``machines`` over [first, last] from the rentals and blocks meeting it.

    ``limit`` keeps the first machines only (the page's :data:`MAX_MACHINES`);
    ``machine_count`` still tells how many there were.
    """
    shown = machines if limit is None else machines[:limit]
    by_machine: dict[str, tuple[list[Rental], list[Maintenance]]] = {
        m.name: ([], []) for m in shown
    }
    for rental in rentals:
        if rental.machine in by_machine:
            by_machine[rental.machine][0].append(rental)
    for block in maintenance:
        if block.machine in by_machine:
            by_machine[block.machine][1].append(block)
    rows = []
    for machine in shown:
        own_rentals, own_upkeep = by_machine[machine.name]
        bars, lanes = lay_out(first, last, [*own_rentals, *own_upkeep])
        days = classify_days(first, last, own_rentals, own_upkeep)
        rows.append(MachineRow(machine, days, bars, lanes))
    return Schedule(first, last, today, days_of(first, last), rows, len(machines))


def load(
    cal: Rentcal,
    first: date,
    last: date,
    *,
    today: date,
    machine: str | None = None,
    include_retired: bool = True,
    limit: int | None = None,
) -> Schedule:
    """Read and build the schedule of [first, last]: one machine or all of them.

    Only the window is read (the feeds' window query: pending and approved
    rentals, scheduled maintenance meeting it), never the machines' history.
    """
    start, end = occupied_window(first, last)  # the month is shown whole
    machines = [cal.machine(machine)] if machine else cal.machines(include_retired)
    rentals, upkeep = cal.feed_items(machine=machine, start=start, end=end)
    return build(first, last, machines, rentals, upkeep, today=today, limit=limit)


__all__ = [
    "MAX_MACHINES",
    "Bar",
    "DayState",
    "MachineRow",
    "Schedule",
    "Slot",
    "build",
    "classify_days",
    "lay_out",
    "load",
]
