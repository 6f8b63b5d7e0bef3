"""The month grid of ``rentcal calendar``: pure layout of the shared schedule model.

Which state each day is in (:class:`DayState`, :func:`classify_days`) is
:mod:`rentcal.frontend.schedule`'s, shared with the ``/schedule`` page. No
database, no clock, no terminal: values and dates in, strings out. Colour
is applied by a ``paint`` function the caller passes (identity without colour),
so the symbols alone always tell the days apart.

>>> from datetime import date
>>> states = classify_days(date(2030, 1, 1), date(2030, 1, 31), [], [])
>>> states[date(2030, 1, 15)] is DayState.FREE
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from rentcal.frontend.month import days_of, month_key, month_title, month_weeks
from rentcal.frontend.schedule import DayState, classify_days

#: One ASCII symbol per state: distinguishable without colour.
SYMBOLS: dict[DayState, str] = {
    DayState.APPROVED: "#",
    DayState.PENDING: "?",
    DayState.MAINTENANCE: "M",
    DayState.FREE: ".",
}
#: Terminal colours, the same hues as the feeds' palette (orange has no ANSI
#: colour, so maintenance is magenta).
COLOURS: dict[DayState, str | None] = {
    DayState.APPROVED: "red",
    DayState.PENDING: "yellow",
    DayState.MAINTENANCE: "magenta",
    DayState.FREE: None,
}
_WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
#: Longest machine name shown in the one-row-per-machine view.
MAX_NAME = 20

#: ``paint(text, state, is_today)`` -> text, maybe with colour codes.
Painter = Callable[[str, DayState, bool], str]


def plain(text: str, _state: DayState, _is_today: bool) -> str:
    """The painter without colour."""
    return text


def month_grid(
    first: date,
    states: Mapping[date, DayState],
    *,
    title: str,
    paint: Painter = plain,
    today: date | None = None,
) -> list[str]:
    """A ``cal``-style month for one machine: weeks from Monday, ``15#`` per day."""
    width = len(_WEEKDAYS) * 4 - 1
    lines = [title.center(width).rstrip(), "  ".join(_WEEKDAYS)]
    for week in month_weeks(first):
        cells = []
        for day in week:
            if day is None or day.month != first.month:
                cells.append("   ")
                continue
            state = states.get(day, DayState.FREE)
            cells.append(paint(f"{day.day:>2}{SYMBOLS[state]}", state, day == today))
        lines.append(" ".join(cells).rstrip())
    return lines


def month_rows(
    first: date,
    last: date,
    rows: Sequence[tuple[str, Mapping[date, DayState]]],
    *,
    title: str,
    paint: Painter = plain,
    today: date | None = None,
) -> list[str]:
    """One row per machine, the month's days across (weekday and day number on top)."""
    days = days_of(first, last)
    names = distinct_labels([name for name, _ in rows])
    width = max([len(title), *map(len, names)])

    def header(label: str, cells: Iterable[str]) -> str:
        return f"{label:<{width}}  " + " ".join(cells)

    lines = [
        header(title, (_WEEKDAYS[d.weekday()][0] for d in days)),
        header("", (str(d.day // 10) if d.day >= 10 else " " for d in days)).rstrip(),
        header("", (str(d.day % 10) for d in days)),
    ]
    for name, (_, states) in zip(names, rows, strict=True):
        cells = []
        for day in days:
            state = states.get(day, DayState.FREE)
            cells.append(paint(SYMBOLS[state], state, day == today))
        lines.append(header(name, cells))
    return lines


def legend(paint: Painter = plain) -> str:
    """``# approved   ? pending   M maintenance   . free``."""
    order = (DayState.APPROVED, DayState.PENDING, DayState.MAINTENANCE, DayState.FREE)
    return "   ".join(f"{paint(SYMBOLS[s], s, False)} {s.value}" for s in order)


def _shorten(name: str, width: int) -> str:
    """``name`` in ``width`` characters, cut with "~"."""
    return name if len(name) <= width else name[: width - 1] + "~"


def distinct_labels(names: Sequence[str], width: int = MAX_NAME) -> list[str]:
    """Row labels of at most ``width`` characters where that keeps them apart;
    wider (up to the full names) where it would not.

    Two different machines never get the same label: the narrowest width from
    ``width`` up at which every shortened label is different is used, and at
    the longest name's width nothing is shortened at all.
    """
    longest = max((len(n) for n in names), default=0)
    for size in range(width, longest + 1):
        labels = [_shorten(n, size) for n in names]
        if len(set(labels)) == len(set(names)):
            return labels
    return list(names)


__all__ = [
    "COLOURS",
    "SYMBOLS",
    "DayState",
    "Painter",
    "classify_days",
    "days_of",
    "distinct_labels",
    "legend",
    "month_grid",
    "month_key",
    "month_rows",
    "month_title",
    "plain",
]
