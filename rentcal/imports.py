"""Reading bulk imports: rentals from CSV, maintenance blocks from iCalendar.

Pure: text in, validated rows (or numbered problems) out. The service checks
the rows against the database and writes them in one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rentcal.core.availability import Sweep
from rentcal.core.ranges import validate_range
from rentcal.core.types import BLOCKING_RENTAL_STATUSES, RentalStatus, parse_enum
from rentcal.core.validate import clean_handle, clean_text
from rentcal.core.values import Problem
from rentcal.core.wording import plural, quote, shorten
from rentcal.errors import ImportFailed, InvalidRequest, RentcalError

RENTAL_COLUMNS = ("machine", "member", "start", "end", "status", "purpose")


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
    """One maintenance block read from a calendar; ``line`` is the file line of
    its ``BEGIN:VEVENT``."""

    line: int
    start: date
    end: date
    notes: str | None


@dataclass(frozen=True, slots=True)
class Ignored:
    """An input row left out on purpose (a cancelled event), and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored, what it refused, and what it left out on purpose.

    Every row (every VEVENT of a calendar) is counted once: ``imported``, one
    of ``problems`` (``skipped`` of them with ``--skip-invalid``), or one of
    ``ignored`` with its reason.
    """

    imported: int
    skipped: int
    problems: tuple[Problem, ...]
    ignored: tuple[Ignored, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The JSON summary of ``rentcal import --json``."""
        data: dict[str, object] = {
            "imported": self.imported,
            "skipped": self.skipped,
            "problems": [{"line": p.line, "message": p.message} for p in self.problems],
        }
        if self.ignored:
            data["ignored"] = [{"line": i.line, "reason": i.reason} for i in self.ignored]
        return data


def _iso(value: str, label: str) -> date:
    text = value.strip()
    if not text:
        raise InvalidRequest(f"{label} is empty (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        # fromisoformat's own message repeats the whole value: keep only a reason.
        reason = str(err) if "isoformat" not in str(err) else "expected YYYY-MM-DD"
        raise InvalidRequest(f"{label} {quote(text)} is not a date: {reason}") from None


def parse_rental_row(line: int, raw: dict[str, str | None]) -> ImportRow:
    """Validate one CSV record with the same rules as ``book`` (past dates allowed)."""
    machine = clean_handle(raw.get("machine") or "", "machine")
    member = clean_handle(raw.get("member") or "", "member")
    start = _iso(raw.get("start") or "", "start date")
    end = _iso(raw.get("end") or "", "end date")
    validate_range(start, end)
    status = parse_enum(RentalStatus, (raw.get("status") or "").strip() or "approved", "status")
    purpose = clean_text(raw.get("purpose"), "purpose")
    return ImportRow(line, machine, member, start, end, status, purpose)


def decode_lines(raw: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 lines of a binary file (a leading BOM dropped), refusing other
    encodings with the number of the first line that is not UTF-8."""
    for number, line in enumerate(raw, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidRequest(f"line {number} is not UTF-8 text: {err.reason}") from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def read_rentals_csv(lines: Iterable[str]) -> Iterator[ImportRow | Problem]:
    """Rows of a rentals CSV (header: machine, member, start, end, status, purpose).

    ``status`` and ``purpose`` may be missing (approved, none). Each bad row
    becomes a :class:`Problem` with its line number; reading goes on. A file
    that is not UTF-8 CSV at all raises InvalidRequest naming the line.
    """
    reader = csv.DictReader(lines, strict=True)
    try:
        yield from _records(reader)
    except UnicodeDecodeError as err:
        raise InvalidRequest(
            f"the file is not UTF-8 text (line {reader.line_num + 1}): {err.reason}"
        ) from None
    except csv.Error as err:
        raise InvalidRequest(
            f"the file is not valid CSV (line {reader.line_num + 1}): {err}"
        ) from None


def _listed(names: list[str], word: str) -> str:
    """``column colour`` or ``columns colour, size``."""
    return f"{word if len(names) == 1 else word + 's'} {', '.join(shorten(n) for n in names)}"


def _records(reader: csv.DictReader[str]) -> Iterator[ImportRow | Problem]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    required = RENTAL_COLUMNS[:4]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidRequest(
            f"the CSV header must name the columns {', '.join(required)} (and may add "
            f"status, purpose); missing: {', '.join(missing)}"
        )
    doubled = sorted({h for h in header if header.count(h) > 1})
    unknown = [h for h in header if h not in RENTAL_COLUMNS]
    if doubled or unknown:
        what = f"repeated {_listed(doubled, 'column')}" if doubled else ""
        what += ("; " if what and unknown else "") + (
            f"unknown {_listed(unknown, 'column')}" if unknown else ""
        )
        raise InvalidRequest(f"the CSV header has {what}")
    reader.fieldnames = header
    for record in reader:
        line = reader.line_num
        if None in record:
            yield Problem(line, f"{plural(len(record[None]), 'more field')} than the header")
            continue
        short = [c for c in header if record.get(c) is None]
        if short:
            yield Problem(
                line, f"missing {'field' if len(short) == 1 else 'fields'}: {', '.join(short)}"
            )
            continue
        try:
            yield parse_rental_row(line, record)
        except RentcalError as err:
            yield Problem(line, str(err))


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def read_blocks_ics(data: bytes) -> Iterator[BlockRow | Problem | Ignored]:
    """All-day blocks from the VEVENTs of an iCalendar document.

    DTEND is exclusive for dates (RFC 5545), so the last blocked day is the
    day before it; timed events block every day they touch. Cancelled events
    are :class:`Ignored`; recurring ones (RRULE/RDATE) are refused, not
    half-imported. Every event yields exactly one item, whose ``line`` is the
    file line of its ``BEGIN:VEVENT`` (messages also name the event's number).
    """
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as err:
        text = str(err).encode("unicode_escape").decode("ascii")[:200]
        raise InvalidRequest(f"not an iCalendar file: {text}") from None
    events = calendar.walk("VEVENT")
    lines = _event_lines(data)
    if len(lines) != len(events):  # an odd layout: fall back to the events' numbers
        lines = list(range(1, len(events) + 1))
    for number, (event, line) in enumerate(zip(events, lines, strict=True), start=1):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            yield Ignored(line, f"event {number} is cancelled (STATUS:CANCELLED)")
            continue
        try:
            yield _block(line, event)
        except RentcalError as err:
            yield Problem(line, f"event {number}: {err}")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as err:
            # icalendar raises these on values it cannot decode: one event's problem.
            yield Problem(line, f"event {number}: cannot be read ({shorten(str(err))})")


def _event_lines(data: bytes) -> list[int]:
    """The 1-based line numbers of the ``BEGIN:VEVENT`` lines, in order."""
    return [
        number
        for number, raw in enumerate(data.split(b"\n"), start=1)
        if raw.strip().upper() == b"BEGIN:VEVENT"
    ]


def _decoded_day(event: Any, name: str) -> date | datetime | None:
    if name not in event:
        return None
    try:
        value = event.decoded(name)
    except (ValueError, TypeError, KeyError):
        value = None
    if not isinstance(value, date):
        raw = str(
            event.get(name).to_ical() if hasattr(event.get(name), "to_ical") else event.get(name)
        )
        raise InvalidRequest(f"{name} {raw[:40]!r} is not a date or date-time")
    return value


def _block(number: int, event: Any) -> BlockRow:
    """One VEVENT as an inclusive block of days."""
    summary = clean_text(str(event.get("SUMMARY", "")), "SUMMARY") or None
    if "RRULE" in event or "RDATE" in event:
        raise InvalidRequest("recurring events (RRULE/RDATE) are not supported; expand them first")
    start = _decoded_day(event, "DTSTART")
    if start is None:
        raise InvalidRequest("no DTSTART")
    end = _decoded_day(event, "DTEND")
    if end is None and "DURATION" in event:
        try:
            duration = event.decoded("DURATION")
        except (ValueError, TypeError, KeyError):
            duration = None
        if not isinstance(duration, timedelta) or duration < timedelta(0):
            raise InvalidRequest("DURATION must be a positive duration")
        try:
            end = start + duration
        except OverflowError:
            raise InvalidRequest(
                f"DURATION {duration.days} days from {_day(start).isoformat()} ends after "
                "9999-12-31"
            ) from None
    first = _day(start)
    if end is None:
        last = first
    elif isinstance(end, datetime):  # exclusive instant: the day holding its last moment
        last = _day(end - timedelta(microseconds=1)) if _day(end) > first else first
    else:
        last = end - timedelta(days=1) if end > first else first
    if end is not None and _day(end) < first:
        raise InvalidRequest(f"DTEND {_day(end).isoformat()} is before DTSTART {first.isoformat()}")
    validate_range(first, last)
    return BlockRow(number, first, last, summary)


__all__ = [
    "BlockRow",
    "Ignored",
    "ImportFailed",
    "ImportResult",
    "ImportRow",
    "Problem",
    "Sweep",
    "decode_lines",
    "read_blocks_ics",
    "read_rentals_csv",
]
