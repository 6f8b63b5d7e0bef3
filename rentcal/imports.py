"""Reading bulk imports: rentals from CSV, maintenance blocks from iCalendar.

Pure: text in, validated rows (or numbered problems) out. The service checks
the rows against the database and writes them in one transaction.
"""

from __future__ import annotations

import bisect
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rentcal.core.ranges import validate_range
from rentcal.core.types import BLOCKING_RENTAL_STATUSES, RentalStatus
from rentcal.core.validate import MAX_TITLE, clean_handle, clean_text
from rentcal.errors import InvalidRequest, RentcalError

RENTAL_COLUMNS = ("machine", "member", "start", "end", "status", "purpose")
_STATUS_BY_VALUE = {s.value: s for s in RentalStatus}


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One validated row of a rentals file; ``line`` is its 1-based line number."""

    line: int
    machine: str
    member: str
    start: date
    end: date
    status: RentalStatus
    purpose: str | None

    @property
    def blocking(self) -> bool:
        """Whether the row occupies its machine."""
        return self.status in BLOCKING_RENTAL_STATUSES


@dataclass(frozen=True, slots=True)
class BlockRow:
    """One maintenance block read from a calendar; ``line`` numbers its VEVENT."""

    line: int
    start: date
    end: date
    notes: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one input row was refused."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored and what it refused."""

    imported: int
    skipped: int
    problems: tuple[Problem, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON summary of ``rentcal import --json``."""
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "problems": [{"line": p.line, "message": p.message} for p in self.problems],
        }


class ImportFailed(InvalidRequest):
    """An all-or-nothing import found invalid rows; nothing was stored."""

    def __init__(self, problems: Iterable[Problem], limit: int = 20) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:limit])
        more = len(self.problems) - limit
        tail = f"; and {more} more" if more > 0 else ""
        super().__init__(
            f"{len(self.problems)} invalid row(s), nothing imported "
            f"(use --skip-invalid to import the rest): {shown}{tail}"
        )


def _iso(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as err:
        raise InvalidRequest(f"{label} {value!r} is not a date (YYYY-MM-DD): {err}") from None


def parse_rental_row(line: int, raw: dict[str, str | None]) -> ImportRow:
    """Validate one CSV record with the same rules as ``book`` (past dates allowed)."""
    machine = clean_handle(raw.get("machine") or "", "machine")
    member = clean_handle(raw.get("member") or "", "member")
    start = _iso(raw.get("start") or "", "start date")
    end = _iso(raw.get("end") or "", "end date")
    validate_range(start, end)
    status_text = (raw.get("status") or "").strip().lower() or "approved"
    status = _STATUS_BY_VALUE.get(status_text)
    if status is None:
        choices = ", ".join(_STATUS_BY_VALUE)
        raise InvalidRequest(f"status {status_text!r} is not one of: {choices}")
    purpose = clean_text(raw.get("purpose"), "purpose")
    return ImportRow(line, machine, member, start, end, status, purpose)


def read_rentals_csv(lines: Iterable[str]) -> Iterator[ImportRow | Problem]:
    """Rows of a rentals CSV (header: machine, member, start, end, status, purpose).

    ``status`` and ``purpose`` may be missing (approved, none). Each bad row
    becomes a :class:`Problem` with its line number; reading goes on.
    """
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in RENTAL_COLUMNS[:4] if c not in header]
    if missing:
        raise InvalidRequest(
            f"the CSV header must name the columns {', '.join(RENTAL_COLUMNS)}; "
            f"missing: {', '.join(missing)}"
        )
    reader.fieldnames = header
    for record in reader:
        line = reader.line_num
        if None in record:
            yield Problem(line, f"{len(record[None])} more field(s) than the header")
            continue
        try:
            yield parse_rental_row(line, record)
        except RentcalError as err:
            yield Problem(line, str(err))


def _day(value: object) -> date:
    return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]


def read_blocks_ics(data: bytes) -> Iterator[BlockRow | Problem]:
    """All-day blocks from the VEVENTs of an iCalendar document.

    DTEND is exclusive for dates (RFC 5545), so the last blocked day is the
    day before it; timed events block every day they touch.
    """
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as err:
        raise InvalidRequest(f"not an iCalendar file: {err}") from None
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        summary = clean_text(str(event.get("SUMMARY", "")), "summary", max_len=MAX_TITLE) or None
        try:
            start = event.decoded("DTSTART")
        except KeyError:
            yield Problem(number, f"event {summary or number!r} has no DTSTART")
            continue
        end_value = event.decoded("DTEND") if "DTEND" in event else None
        if end_value is None and "DURATION" in event:
            end_value = start + event.decoded("DURATION")
        first = _day(start)
        if end_value is None:
            last = first
        elif isinstance(end_value, datetime):
            last = _day(end_value - timedelta(microseconds=1)) if end_value > start else first
        else:
            last = max(first, end_value - timedelta(days=1))
        yield BlockRow(number, first, last, summary)


class Sweep:
    """Accepted blocking ranges of one machine, sorted, for O(log n) overlap tests."""

    def __init__(self, ranges: Iterable[tuple[date, date, str]] = ()) -> None:
        items = sorted(ranges)
        self.starts = [s for s, _, _ in items]
        self.items = items

    def clash(self, start: date, end: date) -> str | None:
        """The label of an accepted range overlapping [start, end], if any."""
        i = bisect.bisect_right(self.starts, end)  # ranges starting on or before end
        if i and self.items[i - 1][1] >= start:
            return self.items[i - 1][2]
        return None

    def add(self, start: date, end: date, label: str) -> None:
        """Accept a range (the caller checked it does not clash)."""
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.items.insert(i, (start, end, label))


__all__ = [
    "BlockRow",
    "ImportFailed",
    "ImportResult",
    "ImportRow",
    "Problem",
    "Sweep",
    "read_blocks_ics",
    "read_rentals_csv",
]
