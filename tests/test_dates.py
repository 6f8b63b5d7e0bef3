"""Tests for rentcal.cli.dates: every accepted form, every refusal, and properties."""

from __future__ import annotations

import ast
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rentcal.cli.dates
from rentcal.cli.dates import end_from_days, parse_date, parse_month
from rentcal.errors import InvalidRequest

TODAY = date(2030, 1, 9)  # a Wednesday
assert TODAY.weekday() == 2

EXPECTED = "expected YYYY-MM-DD, today, tomorrow, +3d, +2w or a weekday name"
INCOMPLETE = "a date needs an explicit year, month and day (use YYYY-MM-DD)"
TWO_DIGIT = "write the year in full (use YYYY-MM-DD)"
OUT_OF_RANGE = "the result is outside the supported range 0001-01-01 to 9999-12-31"
NO_TIME = "expected a date without a time of day"

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------
# parse_date: accepted forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO
        pytest.param("2030-01-15", date(2030, 1, 15), id="iso"),
        pytest.param("2032-02-29", date(2032, 2, 29), id="iso-leap-day"),
        pytest.param("0001-01-01", date(1, 1, 1), id="iso-min"),
        pytest.param("9999-12-31", date(9999, 12, 31), id="iso-max"),
        pytest.param("  2030-01-15\t\n", date(2030, 1, 15), id="iso-whitespace-stripped"),
        # keywords
        pytest.param("today", TODAY, id="today"),
        pytest.param("tomorrow", date(2030, 1, 10), id="tomorrow"),
        pytest.param("yesterday", date(2030, 1, 8), id="yesterday"),
        pytest.param("ToMoRrOw", date(2030, 1, 10), id="keyword-case-insensitive"),
        pytest.param(" today ", TODAY, id="keyword-whitespace-stripped"),
        # offsets
        pytest.param("+3d", date(2030, 1, 12), id="plus-days"),
        pytest.param("3d", date(2030, 1, 12), id="unsigned-days-means-plus"),
        pytest.param("-1d", date(2030, 1, 8), id="minus-days"),
        pytest.param("+0d", TODAY, id="zero-days"),
        pytest.param("+2w", date(2030, 1, 23), id="plus-weeks"),
        pytest.param("-1w", date(2030, 1, 2), id="minus-weeks"),
        pytest.param("+1m", date(2030, 2, 9), id="plus-month"),
        pytest.param("-1m", date(2029, 12, 9), id="minus-month-crosses-year"),
        pytest.param("12m", date(2031, 1, 9), id="unsigned-months"),
        pytest.param("+3D", date(2030, 1, 12), id="offset-unit-case-insensitive"),
        pytest.param("+365d", date(2031, 1, 9), id="large-offset"),
        # weekday names: the next one strictly after today (a Wednesday)
        pytest.param("thu", date(2030, 1, 10), id="thu-is-tomorrow"),
        pytest.param("fri", date(2030, 1, 11), id="fri"),
        pytest.param("Friday", date(2030, 1, 11), id="friday-full"),
        pytest.param("FRI", date(2030, 1, 11), id="weekday-upper"),
        pytest.param("sat", date(2030, 1, 12), id="sat"),
        pytest.param("sunday", date(2030, 1, 13), id="sunday"),
        pytest.param("mon", date(2030, 1, 14), id="mon"),
        pytest.param("Tuesday", date(2030, 1, 15), id="tuesday-six-days-ahead"),
        pytest.param("wed", date(2030, 1, 16), id="same-weekday-is-next-week"),
        pytest.param("Wednesday", date(2030, 1, 16), id="same-weekday-full-is-next-week"),
        # other unambiguous forms dateutil understands
        pytest.param("15 Jan 2030", date(2030, 1, 15), id="day-month-year"),
        pytest.param("Jan 15 2030", date(2030, 1, 15), id="month-day-year"),
        pytest.param("January 15, 2030", date(2030, 1, 15), id="month-name-comma"),
        pytest.param("15th of January 2030", date(2030, 1, 15), id="ordinal-of"),
        pytest.param("15-Jan-2030", date(2030, 1, 15), id="dashed-month-name"),
        pytest.param("2030 Jan 15", date(2030, 1, 15), id="year-month-name-day"),
        pytest.param("2030/01/15", date(2030, 1, 15), id="slashed-year-first"),
        pytest.param("2030/01/02", date(2030, 1, 2), id="year-first-small-numbers-not-ambiguous"),
        pytest.param("2030.01.02", date(2030, 1, 2), id="dotted-year-first"),
        pytest.param("2030-1-5", date(2030, 1, 5), id="iso-without-padding"),
        pytest.param("20300102", date(2030, 1, 2), id="compact-iso"),
        pytest.param("13/02/2030", date(2030, 2, 13), id="day-over-12-only-one-reading"),
        pytest.param("02/13/2030", date(2030, 2, 13), id="us-order-only-one-reading"),
        pytest.param("15.01.2030", date(2030, 1, 15), id="dotted-day-first-only-one-reading"),
        pytest.param("Tue 15 Jan 2030", date(2030, 1, 15), id="matching-weekday"),
        pytest.param("Tuesday, January 15, 2030", date(2030, 1, 15), id="matching-weekday-full"),
    ],
)
def test_parse_date_accepts(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        pytest.param("+1m", date(2030, 1, 31), date(2030, 2, 28), id="month-end-clamps"),
        pytest.param("+1m", date(2032, 1, 31), date(2032, 2, 29), id="month-end-clamps-leap"),
        pytest.param("-1m", date(2030, 3, 31), date(2030, 2, 28), id="minus-month-clamps"),
        pytest.param("+1d", date(2030, 12, 31), date(2031, 1, 1), id="day-crosses-year"),
        pytest.param("fri", date(2030, 1, 11), date(2030, 1, 18), id="fri-on-a-friday"),
        pytest.param("sat", date(2030, 1, 11), date(2030, 1, 12), id="sat-on-a-friday"),
        pytest.param("tomorrow", date(9999, 12, 30), date(9999, 12, 31), id="tomorrow-to-max"),
        pytest.param("yesterday", date(1, 1, 2), date(1, 1, 1), id="yesterday-to-min"),
    ],
)
def test_parse_date_relative_to_other_days(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today) == expected


# --------------------------------------------------------------------------
# parse_date: refusals


def _refusal(text: str, reason: str) -> str:
    return f"invalid date {text.strip()!r}: {reason}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "invalid date '': no date given; " + EXPECTED, id="empty"),
        pytest.param("  \t ", "invalid date '': no date given; " + EXPECTED, id="whitespace-only"),
        pytest.param("banana", _refusal("banana", EXPECTED), id="garbage"),
        pytest.param("thurs", _refusal("thurs", EXPECTED), id="unsupported-weekday-abbr"),
        pytest.param("next friday", _refusal("next friday", EXPECTED), id="next-friday"),
        pytest.param("+3x", _refusal("+3x", EXPECTED), id="unknown-offset-unit"),
        pytest.param("++3d", _refusal("++3d", EXPECTED), id="double-sign"),
        pytest.param("+d", _refusal("+d", EXPECTED), id="offset-without-number"),
        pytest.param("15 Jan 2030 UTC", _refusal("15 Jan 2030 UTC", EXPECTED), id="timezone"),
        # found by fuzzing: these escape dateutil as OverflowError / decimal errors
        pytest.param(
            "t999999999999999999998",
            _refusal("t999999999999999999998", EXPECTED),
            id="dateutil-overflow",
        ),
        pytest.param(
            "m99999999999999999999999999999m/",
            _refusal("m99999999999999999999999999999m/", EXPECTED),
            id="dateutil-decimal-error",
        ),
        pytest.param("it's", 'invalid date "it\'s": ' + EXPECTED, id="quote-in-value"),
        # impossible dates
        pytest.param(
            "2030-02-30",
            "invalid date '2030-02-30': day is out of range for month",
            id="feb-30",
        ),
        pytest.param(
            "2031-02-29",
            "invalid date '2031-02-29': day is out of range for month",
            id="feb-29-non-leap",
        ),
        pytest.param(
            "2030-13-01",
            "invalid date '2030-13-01': month must be in 1..12",
            id="month-13-not-swapped-to-day",
        ),
        pytest.param(
            "31 Apr 2030",
            "invalid date '31 Apr 2030': day is out of range for month",
            id="apr-31-named",
        ),
        pytest.param(
            "0000-01-01", "invalid date '0000-01-01': year 0 is out of range", id="year-zero"
        ),
        pytest.param(
            "15 Jan 99999",
            "invalid date '15 Jan 99999': year 99999 is out of range",
            id="year-too-big",
        ),
        # ambiguous day/month order
        pytest.param(
            "01/02/2030",
            "invalid date '01/02/2030': ambiguous, it could be 2030-01-02 or 2030-02-01;"
            " use YYYY-MM-DD",
            id="ambiguous-slashes",
        ),
        pytest.param(
            "1.2.2030",
            "invalid date '1.2.2030': ambiguous, it could be 2030-01-02 or 2030-02-01;"
            " use YYYY-MM-DD",
            id="ambiguous-dots",
        ),
        pytest.param(
            "12-11-2030",
            "invalid date '12-11-2030': ambiguous, it could be 2030-12-11 or 2030-11-12;"
            " use YYYY-MM-DD",
            id="ambiguous-dashes",
        ),
        pytest.param(
            "1 2 2030",
            "invalid date '1 2 2030': ambiguous, it could be 2030-01-02 or 2030-02-01;"
            " use YYYY-MM-DD",
            id="ambiguous-spaces",
        ),
        # incomplete: dateutil would fill the gaps from its default
        pytest.param("Jan", _refusal("Jan", INCOMPLETE), id="month-only"),
        pytest.param("15", _refusal("15", INCOMPLETE), id="day-only"),
        pytest.param("2030", _refusal("2030", INCOMPLETE), id="year-only"),
        pytest.param("Jan 2030", _refusal("Jan 2030", INCOMPLETE), id="no-day"),
        pytest.param("15 Jan", _refusal("15 Jan", INCOMPLETE), id="no-year"),
        pytest.param("Feb 29", _refusal("Feb 29", INCOMPLETE), id="no-year-leap-day"),
        pytest.param("fri.", _refusal("fri.", INCOMPLETE), id="weekday-with-dot"),
        pytest.param("10:00", _refusal("10:00", INCOMPLETE), id="time-only"),
        # two-digit years: dateutil would pick the century from the clock
        pytest.param("15 Jan 30", _refusal("15 Jan 30", TWO_DIGIT), id="two-digit-year"),
        pytest.param("30-01-15", _refusal("30-01-15", TWO_DIGIT), id="two-digit-year-first"),
        pytest.param("300115", _refusal("300115", TWO_DIGIT), id="six-digit-compact"),
        pytest.param("Jan of 30", _refusal("Jan of 30", TWO_DIGIT), id="month-of-year"),
        # times of day are not silently dropped
        pytest.param("2030-01-15 10:00", _refusal("2030-01-15 10:00", NO_TIME), id="with-time"),
        pytest.param("2030-01-15T00:00", _refusal("2030-01-15T00:00", NO_TIME), id="midnight"),
        pytest.param("15 Jan 2030 12am", _refusal("15 Jan 2030 12am", NO_TIME), id="am-pm"),
        # a weekday contradicting the date is not silently dropped
        pytest.param(
            "Mon 15 Jan 2030",
            "invalid date 'Mon 15 Jan 2030': 2030-01-15 is a Tuesday, not a Monday",
            id="wrong-weekday",
        ),
        pytest.param(
            "Tue Wed 15 Jan 2030",
            "invalid date 'Tue Wed 15 Jan 2030': 2030-01-15 is a Tuesday, not a Wednesday",
            id="two-weekdays",
        ),
        # overflow
        pytest.param("+99999999d", _refusal("+99999999d", OUT_OF_RANGE), id="huge-day-offset"),
        pytest.param("-99999999w", _refusal("-99999999w", OUT_OF_RANGE), id="huge-week-offset"),
        pytest.param("+99999999m", _refusal("+99999999m", OUT_OF_RANGE), id="huge-month-offset"),
        pytest.param(
            "+" + "9" * 5000 + "d",
            "invalid date '+" + "9" * 39 + "...': " + OUT_OF_RANGE,
            id="offset-beyond-int-str-limit-and-echo-truncated",
        ),
    ],
)
def test_parse_date_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        parse_date(text, TODAY)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("text", "today"),
    [
        pytest.param("tomorrow", date.max, id="tomorrow-after-max"),
        pytest.param("yesterday", date.min, id="yesterday-before-min"),
        pytest.param("+1d", date.max, id="plus-day-after-max"),
        pytest.param("+1m", date(9999, 12, 1), id="plus-month-after-max"),
        pytest.param("-1m", date(1, 1, 31), id="minus-month-before-min"),
        pytest.param("fri", date(9999, 12, 31), id="weekday-after-max"),
    ],
)
def test_parse_date_refuses_results_out_of_range(text: str, today: date) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        parse_date(text, today)
    assert str(excinfo.value) == _refusal(text, OUT_OF_RANGE)


# --------------------------------------------------------------------------
# parse_month


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        pytest.param("2030-02", TODAY, (date(2030, 2, 1), date(2030, 2, 28)), id="february"),
        pytest.param("2032-02", TODAY, (date(2032, 2, 1), date(2032, 2, 29)), id="leap-february"),
        pytest.param("2030-04", TODAY, (date(2030, 4, 1), date(2030, 4, 30)), id="30-day-month"),
        pytest.param("2030-12", TODAY, (date(2030, 12, 1), date(2030, 12, 31)), id="december"),
        pytest.param("0001-01", TODAY, (date(1, 1, 1), date(1, 1, 31)), id="min-month"),
        pytest.param("9999-12", TODAY, (date(9999, 12, 1), date(9999, 12, 31)), id="max-month"),
        pytest.param(" 2030-02 ", TODAY, (date(2030, 2, 1), date(2030, 2, 28)), id="whitespace"),
        pytest.param("this", TODAY, (date(2030, 1, 1), date(2030, 1, 31)), id="this"),
        pytest.param("next", TODAY, (date(2030, 2, 1), date(2030, 2, 28)), id="next"),
        pytest.param("NEXT", TODAY, (date(2030, 2, 1), date(2030, 2, 28)), id="next-upper"),
        pytest.param(
            "next", date(2030, 12, 31), (date(2031, 1, 1), date(2031, 1, 31)), id="next-in-dec"
        ),
        pytest.param(
            "next", date(2030, 1, 31), (date(2030, 2, 1), date(2030, 2, 28)), id="next-from-31st"
        ),
    ],
)
def test_parse_month_accepts(text: str, today: date, expected: tuple[date, date]) -> None:
    assert parse_month(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "message"),
    [
        pytest.param(
            "banana", TODAY, "invalid month 'banana': expected YYYY-MM, this or next", id="garbage"
        ),
        pytest.param("", TODAY, "invalid month '': expected YYYY-MM, this or next", id="empty"),
        pytest.param(
            "2030-2", TODAY, "invalid month '2030-2': expected YYYY-MM, this or next", id="short"
        ),
        pytest.param(
            "2030-01-15",
            TODAY,
            "invalid month '2030-01-15': expected YYYY-MM, this or next",
            id="a-date",
        ),
        pytest.param(
            "2030-13", TODAY, "invalid month '2030-13': month must be in 1..12", id="month-13"
        ),
        pytest.param(
            "2030-00", TODAY, "invalid month '2030-00': month must be in 1..12", id="month-0"
        ),
        pytest.param(
            "0000-01", TODAY, "invalid month '0000-01': year 0 is out of range", id="year-0"
        ),
        pytest.param(
            "next",
            date(9999, 12, 5),
            "invalid month 'next': year 10000 is out of range",
            id="next-after-max",
        ),
    ],
)
def test_parse_month_refuses(text: str, today: date, message: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        parse_month(text, today)
    assert str(excinfo.value) == message


# --------------------------------------------------------------------------
# end_from_days


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(TODAY, 1, TODAY, id="one-day-ends-on-start"),
        pytest.param(TODAY, 2, date(2030, 1, 10), id="two-days"),
        pytest.param(TODAY, 7, date(2030, 1, 15), id="a-week"),
        pytest.param(date(2030, 1, 31), 2, date(2030, 2, 1), id="crosses-month"),
        pytest.param(date(9999, 12, 31), 1, date(9999, 12, 31), id="one-day-at-max"),
    ],
)
def test_end_from_days(start: date, days: int, expected: date) -> None:
    assert end_from_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "days", "message"),
    [
        pytest.param(TODAY, 0, "invalid number of days 0: must be at least 1", id="zero"),
        pytest.param(TODAY, -3, "invalid number of days -3: must be at least 1", id="negative"),
        pytest.param(
            date(9999, 12, 31), 2, "invalid number of days 2: " + OUT_OF_RANGE, id="past-max"
        ),
        pytest.param(TODAY, 10**12, f"invalid number of days {10**12}: " + OUT_OF_RANGE, id="huge"),
    ],
)
def test_end_from_days_refuses(start: date, days: int, message: str) -> None:
    with pytest.raises(InvalidRequest) as excinfo:
        end_from_days(start, days)
    assert str(excinfo.value) == message


# --------------------------------------------------------------------------
# properties

# Text that looks date-like often enough to reach dateutil's deeper paths.
_DATEISH = st.lists(
    st.sampled_from(
        [
            *"0123456789 -/.:,+TZamp",
            *("d", "w", "m", "Jan", "Feb", "fri", "Mon", "of", "th", "UTC", "today"),
            *("2030", "9999", "0001", "12", "31", "99999999999999999999", "1e999"),
        ]
    ),
    max_size=10,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(), _DATEISH), today=st.dates())
def test_parse_date_returns_a_date_or_refuses(text: str, today: date) -> None:
    try:
        result = parse_date(text, today)
    except InvalidRequest as exc:
        assert str(exc).startswith("invalid date ")
    else:
        assert isinstance(result, date)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), _DATEISH), today=st.dates())
def test_parse_month_returns_a_month_or_refuses(text: str, today: date) -> None:
    try:
        first, last = parse_month(text, today)
    except InvalidRequest as exc:
        assert str(exc).startswith("invalid month ")
    else:
        assert first.day == 1
        assert (first.year, first.month) == (last.year, last.month)
        if last < date.max:
            assert (last + timedelta(days=1)).day == 1


@given(day=st.dates())
def test_iso_round_trips(day: date) -> None:
    assert parse_date(day.isoformat(), TODAY) == day


@given(day=st.dates(min_value=date(1000, 1, 1)))
def test_named_month_forms_round_trip(day: date) -> None:
    month = MONTH_ABBR[day.month - 1]
    assert parse_date(f"{day.day} {month} {day.year}", TODAY) == day
    assert parse_date(f"{month} {day.day} {day.year}", TODAY) == day


@given(
    today=st.dates(max_value=date(9999, 12, 24)),
    weekday=st.integers(min_value=0, max_value=6),
    full=st.booleans(),
)
def test_weekday_is_next_one_strictly_after_today(today: date, weekday: int, full: bool) -> None:
    name = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[weekday]
    result = parse_date(name if full else name[:3], today)
    assert result.weekday() == weekday
    assert 1 <= (result - today).days <= 7


@given(today=st.dates(), days=st.integers(min_value=-10_000, max_value=10_000))
def test_day_offsets_match_timedelta(today: date, days: int) -> None:
    try:
        expected = today + timedelta(days=days)
    except OverflowError:
        with pytest.raises(InvalidRequest):
            parse_date(f"{days:+d}d", today)
    else:
        assert parse_date(f"{days:+d}d", today) == expected


@given(start=st.dates(max_value=date(9000, 1, 1)), days=st.integers(min_value=1, max_value=3650))
def test_end_from_days_spans_exactly_days(start: date, days: int) -> None:
    end = end_from_days(start, days)
    assert (end - start).days + 1 == days


# --------------------------------------------------------------------------
# structure


def test_dates_imports_only_stdlib_dateutil_and_errors() -> None:
    tree = ast.parse(Path(rentcal.cli.dates.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module)
    allowed_roots = set(sys.stdlib_module_names) | {"dateutil"}
    bad = {
        name
        for name in imported
        if name != "rentcal.errors" and name.split(".")[0] not in allowed_roots
    }
    assert not bad
