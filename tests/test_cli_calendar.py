"""``rentcal calendar`` and its pure month grid."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import rentcal
from rentcal.cli import grid
from rentcal.cli.calendar_view import painter
from rentcal.cli.grid import DayState
from rentcal.core.types import MaintenanceKind, MaintenanceStatus, RentalStatus
from rentcal.core.values import Maintenance, Rental
from tests.cli_support import cli, failed, ok_json
from tests.conftest import d

AT = datetime(2030, 1, 1, tzinfo=UTC)


def rental(start: date, end: date, status: str, rid: int = 1) -> Rental:
    return Rental(
        rid,
        f"u{rid}",
        "tractor",
        "Tractor",
        "bob",
        "Bob",
        start,
        end,
        RentalStatus(status),
        None,
        Decimal("0"),
        AT,
        AT,
        0,
        None,
        None,
    )


def block(start: date, end: date, status: str = "scheduled", mid: int = 1) -> Maintenance:
    return Maintenance(
        mid,
        f"m{mid}",
        "tractor",
        "Tractor",
        start,
        end,
        MaintenanceKind.REPAIR,
        MaintenanceStatus(status),
        None,
        AT,
        AT,
        0,
    )


class TestClassifyDays:
    """The pure day classification."""

    def test_every_day_of_the_range_once(self) -> None:
        states = grid.classify_days(d(1), d(31), [], [])
        assert list(states) == [d(n) for n in range(1, 32)]
        assert set(states.values()) == {DayState.FREE}

    def test_states_and_clipping(self) -> None:
        states = grid.classify_days(
            d(1),
            d(31),
            [
                rental(date(2029, 12, 30), d(2), "approved"),
                rental(d(5), d(6), "pending", 2),
                rental(d(8), d(8), "rejected", 3),
                rental(d(9), d(9), "cancelled", 4),
                rental(d(10), d(10), "completed", 5),
            ],
            [block(d(30), date(2030, 2, 3)), block(d(12), d(12), "cancelled", 2)],
        )
        marked = {day.day: s.value for day, s in states.items() if s is not DayState.FREE}
        assert marked == {
            1: "approved",
            2: "approved",
            5: "pending",
            6: "pending",
            30: "maintenance",
            31: "maintenance",
        }

    @pytest.mark.parametrize(
        ("statuses", "maintenance", "expected"),
        [
            pytest.param(["pending", "approved"], False, DayState.APPROVED, id="approved>pending"),
            pytest.param(["approved"], True, DayState.MAINTENANCE, id="maintenance>approved"),
            pytest.param(["pending"], True, DayState.MAINTENANCE, id="maintenance>pending"),
        ],
    )
    def test_precedence_whatever_the_order(
        self, statuses: list[str], maintenance: bool, expected: DayState
    ) -> None:
        items = [rental(d(3), d(3), s, i) for i, s in enumerate(statuses, 1)]
        blocks = [block(d(3), d(3))] if maintenance else []
        for ordered in (items, items[::-1]):
            assert grid.classify_days(d(3), d(3), ordered, blocks)[d(3)] is expected

    def test_last_representable_month(self) -> None:
        states = grid.classify_days(date(9999, 12, 1), date(9999, 12, 31), [], [])
        assert len(states) == 31
        assert max(states) == date.max

    def test_symbols_are_distinct(self) -> None:
        assert len(set(grid.SYMBOLS.values())) == len(DayState)


class TestLayout:
    """The cal(1)-like grid and the one-row-per-machine view."""

    def test_month_title_and_key_have_four_digit_years(self) -> None:
        assert grid.month_title(date(1, 1, 1)) == "January 0001"
        assert grid.month_key(date(1, 1, 1)) == "0001-01"
        assert grid.month_title(date(9999, 12, 1)) == "December 9999"
        assert grid.month_key(date(2030, 2, 1)) == "2030-02"

    def test_month_grid(self) -> None:
        states = grid.classify_days(
            d(1), d(31), [rental(d(15), d(16), "approved")], [block(d(20), d(20))]
        )
        lines = grid.month_grid(d(1), states, title="January 2030")
        assert lines[0] == "        January 2030"
        assert lines[1] == "Mo  Tu  We  Th  Fr  Sa  Su"
        assert lines[2] == "     1.  2.  3.  4.  5.  6."  # 2030-01-01 is a Tuesday
        assert lines[4] == "14. 15# 16# 17. 18. 19. 20M"
        assert lines[-1] == "28. 29. 30. 31."

    def test_month_rows(self) -> None:
        busy = grid.classify_days(d(1), d(31), [rental(d(10), d(11), "pending")], [])
        free = grid.classify_days(d(1), d(31), [], [])
        lines = grid.month_rows(
            d(1), d(31), [("tractor", busy), ("saw", free)], title="January 2030"
        )
        assert lines[0].startswith("January 2030  T W T F S S M")
        assert lines[1].split() == ["1"] * 10 + ["2"] * 10 + ["3"] * 2
        assert lines[2].endswith("1 2 3 4 5 6 7 8 9 0 1")
        assert lines[3] == "tractor       " + " ".join(
            "?" if n in (10, 11) else "." for n in range(1, 32)
        )
        assert lines[4] == "saw           " + " ".join("." * 31)

    def test_long_names_are_shortened(self) -> None:
        free = grid.classify_days(d(1), d(2), [], [])
        lines = grid.month_rows(d(1), d(2), [("x" * 64, free)], title="T")
        assert lines[3].startswith("x" * 19 + "~  . .")

    def test_legend(self) -> None:
        assert grid.legend() == "# approved   ? pending   M maintenance   . free"

    def test_colour_painter(self) -> None:
        paint = painter(True)
        assert paint("5#", DayState.APPROVED, False) == "\x1b[31m5#\x1b[0m"
        assert "\x1b[7m" in paint("9.", DayState.FREE, True)  # today in reverse video
        assert painter(False)("5#", DayState.APPROVED, True) == "5#"


class TestCommand:
    """calendar reads rentals and maintenance and draws them."""

    @pytest.fixture
    def busy(self, seeded: rentcal.Rentcal) -> rentcal.Rentcal:
        r = seeded.book("tractor", d(15), d(16), member="bob", today=d(9))
        seeded.approve(r.id, acting="ada", today=d(9))
        seeded.book("tractor", d(18), d(18), member="dan", today=d(9))
        seeded.add_maintenance("saw", d(20), d(21), acting="ada", today=d(9))
        seeded.book("tractor", date(2030, 2, 2), date(2030, 2, 3), member="dan", today=d(9))
        return seeded

    def test_one_machine(self, busy: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "calendar", "tractor")
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].strip() == "January 2030 - tractor"
        assert lines[4] == "14. 15# 16# 17. 18? 19. 20."
        assert lines[-1] == "# approved   ? pending   M maintenance   . free"
        assert "\x1b" not in result.stdout  # not a terminal: no ANSI codes

    def test_all_machines(self, busy: rentcal.Rentcal, db_url: str) -> None:
        lines = cli(db_url, "calendar").stdout.splitlines()
        rows = {line.split()[0]: line.split()[1:] for line in lines[3:5]}
        assert rows["saw"][19:21] == ["M", "M"]
        assert rows["tractor"][14:18] == ["#", "#", ".", "?"]

    def test_other_month(self, busy: rentcal.Rentcal, db_url: str) -> None:
        lines = cli(db_url, "calendar", "tractor", "--month", "2030-02").stdout.splitlines()
        assert lines[0].strip() == "February 2030 - tractor"
        assert lines[2] == "                 1.  2?  3?"
        assert cli(db_url, "calendar", "--month", "next").stdout.startswith("February 2030")

    def test_json(self, busy: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "calendar")
        assert (data["month"], data["start"], data["end"]) == (
            "2030-01",
            "2030-01-01",
            "2030-01-31",
        )
        by_name = {m["machine"]: m["days"] for m in data["machines"]}
        assert list(by_name) == ["saw", "tractor"]
        assert len(by_name["tractor"]) == 31
        assert by_name["tractor"]["2030-01-15"] == "approved"
        assert by_name["tractor"]["2030-01-18"] == "pending"
        assert by_name["saw"]["2030-01-20"] == "maintenance"
        assert by_name["saw"]["2030-01-01"] == "free"

    def test_no_machines(self, cal: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "calendar")
        assert result.exit_code == 0
        assert "No machines yet" in result.stdout
        assert json.loads(cli(db_url, "calendar", "--json").stdout)["machines"] == []

    def test_last_month_of_the_calendar(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.add_maintenance("saw", date(9999, 12, 29), date(9999, 12, 30), acting="ada")
        one = cli(db_url, "calendar", "saw", "--month", "9999-12")
        assert one.exit_code == 0, one.stderr
        assert one.stderr == ""
        lines = one.stdout.splitlines()
        assert lines[0].strip() == "December 9999 - saw"
        assert lines[6] == "27. 28. 29M 30M 31."
        every = cli(db_url, "calendar", "--month", "9999-12")
        assert every.exit_code == 0, every.stderr
        assert every.stderr == ""
        assert every.stdout.startswith("December 9999 ")
        data = ok_json(db_url, "calendar", "--month", "9999-12")
        assert (data["month"], data["start"], data["end"]) == (
            "9999-12",
            "9999-12-01",
            "9999-12-31",
        )
        saw = data["machines"][0]["days"]
        assert (saw["9999-12-30"], saw["9999-12-31"]) == ("maintenance", "free")

    def test_first_month_of_the_calendar(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        one = cli(db_url, "calendar", "saw", "--month", "0001-01")
        assert one.exit_code == 0, one.stderr
        assert one.stderr == ""
        assert one.stdout.splitlines()[0].strip() == "January 0001 - saw"
        every = cli(db_url, "calendar", "--month", "0001-01")
        assert every.exit_code == 0, every.stderr
        assert every.stdout.startswith("January 0001 ")
        data = ok_json(db_url, "calendar", "--month", "0001-01")
        assert (data["month"], data["start"], data["end"]) == (
            "0001-01",
            "0001-01-01",
            "0001-01-31",
        )

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(["nope"], "machine 'nope' not found", id="machine"),
            pytest.param(["--month", "2030-13"], "invalid month '2030-13'", id="month"),
            pytest.param(["--month", "January"], "expected YYYY-MM", id="word"),
        ],
    )
    def test_bad_input(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], message: str
    ) -> None:
        failed(cli(db_url, "calendar", *args), 2, message)


class TestDistinctLabels:
    """Shortened row labels never make two machines look the same."""

    def test_names_differing_only_at_the_end(self) -> None:
        names = ["excavator-komatsu-pc-01", "excavator-komatsu-pc-02", "saw"]
        labels = grid.distinct_labels(names)
        assert len(set(labels)) == 3
        assert labels[2] == "saw"
        free = grid.classify_days(d(1), d(2), [], [])
        lines = grid.month_rows(d(1), d(2), [(n, free) for n in names], title="T")
        assert len({line.split()[0] for line in lines[3:]}) == 3

    def test_widest_case_shows_full_names(self) -> None:
        names = ["a" * 63 + "1", "a" * 63 + "2"]
        assert grid.distinct_labels(names) == names

    def test_short_when_enough(self) -> None:
        assert grid.distinct_labels(["a" * 30, "b" * 30]) == ["a" * 19 + "~", "b" * 19 + "~"]

    def test_calendar_command(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        for suffix in ("1", "2"):
            seeded.add_machine("tractor-john-deere-6120-" + suffix, acting="ada")
        out = cli(db_url, "calendar", "--month", "2030-01").stdout.splitlines()
        labels = [line.split()[0] for line in out[3:] if line and not line.startswith("#")]
        assert len(labels) == len(set(labels)) == 4, out


def test_tables_never_cut_names(seeded: rentcal.Rentcal, db_url: str) -> None:
    """Machine names of 61-64 characters sharing a prefix stay apart in every table."""
    long = ["m" * 60 + "-001", "m" * 60 + "-002"]
    for name in long:
        seeded.add_machine(name, acting="ada")
        seeded.book(name, d(20), d(20), member="bob", today=d(9))
        seeded.add_maintenance(name, d(25), d(25), acting="ada", today=d(9))
    for args in (["rentals"], ["machine", "list"], ["maintenance", "list"], ["events"]):
        out = cli(db_url, *args).stdout
        for name in long:
            assert name in out, (args, out)
