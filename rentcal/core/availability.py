"""Availability, conflicts and free windows, computed from plain spans.

The store fetches the blocking spans of one machine; these functions decide.
Keeping the decision pure lets property tests compare it with brute force.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from rentcal.core.ranges import ONE_DAY, day_count, overlaps, validate_range
from rentcal.core.types import ConflictKind
from rentcal.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class Conflict:
    """One rental or maintenance block that occupies some requested day."""

    kind: ConflictKind
    id: int
    start: date
    end: date
    status: str

    def describe(self) -> str:
        """Human one-liner: 'rental 12 (approved) 2030-01-10..2030-01-14'."""
        return (
            f"{self.kind.value} {self.id} ({self.status}) "
            f"{self.start.isoformat()}..{self.end.isoformat()}"
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form shared by the CLI and the library users."""
        return {
            "kind": self.kind.value,
            "id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Availability:
    """The answer to "can this machine be booked on these days?"."""

    machine: str
    start: date
    end: date
    available: bool
    conflicts: tuple[Conflict, ...] = field(default_factory=tuple)
    message: str = ""

    def __bool__(self) -> bool:
        return self.available

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``rentcal check --json``."""
        return {
            "available": self.available,
            "machine": self.machine,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "conflicts": [c.as_dict() for c in self.conflicts],
            "message": self.message,
        }


def find_conflicts(start: date, end: date, spans: Iterable[Conflict]) -> tuple[Conflict, ...]:
    """The spans overlapping [start, end], ordered by start then kind then id."""
    hits = [s for s in spans if overlaps(start, end, s.start, s.end)]
    return tuple(sorted(hits, key=lambda c: (c.start, c.kind.value, c.id)))


def availability(machine: str, start: date, end: date, spans: Iterable[Conflict]) -> Availability:
    """Decide availability and phrase the message once, for every front end."""
    conflicts = find_conflicts(start, end, spans)
    span = f"{start.isoformat()}..{end.isoformat()}"
    if not conflicts:
        days = day_count(start, end)
        message = f"{machine} is available {span} ({days} day{'' if days == 1 else 's'})"
    else:
        listed = "; ".join(c.describe() for c in conflicts)
        message = f"{machine} is not available {span}: {listed}"
    return Availability(machine, start, end, not conflicts, conflicts, message)


def free_windows(
    start: date, end: date, busy: Iterable[tuple[date, date]], min_days: int = 1
) -> list[tuple[date, date]]:
    """Inclusive free ranges inside [start, end] at least ``min_days`` long.

    ``busy`` may overlap itself and reach outside the window (maintenance may
    overlap maintenance). The free windows and the busy days together cover
    the window exactly.
    """
    validate_range(start, end)
    if min_days < 1:
        raise InvalidRequest(f"minimum length {min_days} must be at least 1 day")
    windows: list[tuple[date, date]] = []
    cursor = start  # first day not yet known to be busy or free
    for b_start, b_end in sorted(busy):
        if b_end < cursor:
            continue
        if b_start > end:
            break
        if b_start > cursor:
            windows.append((cursor, b_start - ONE_DAY))
        if b_end >= end:
            cursor = None  # type: ignore[assignment]
            break
        cursor = max(cursor, b_end + ONE_DAY)
    if cursor is not None:
        windows.append((cursor, end))
    return [(s, e) for s, e in windows if day_count(s, e) >= min_days]


class Sweep:
    """Accepted blocking ranges of one machine that never overlap each other.

    Bulk imports test each new range against everything accepted so far. As
    accepted ranges never overlap, only the latest one starting on or before a
    new range's end can meet it: one bisection, then THE rule (:func:`overlaps`).
    """

    def __init__(self, ranges: Iterable[tuple[date, date, str]] = ()) -> None:
        items = sorted(ranges)
        self.starts = [s for s, _, _ in items]
        self.items = items

    def clash(self, start: date, end: date) -> str | None:
        """The label of an accepted range overlapping [start, end], if any."""
        i = bisect.bisect_right(self.starts, end)  # ranges starting on or before end
        if i:
            first, last, label = self.items[i - 1]
            if overlaps(first, last, start, end):
                return label
        return None

    def add(self, start: date, end: date, label: str) -> None:
        """Accept a range (the caller checked it does not clash)."""
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.items.insert(i, (start, end, label))


__all__ = ["Availability", "Conflict", "Sweep", "availability", "find_conflicts", "free_windows"]
