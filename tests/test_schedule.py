"""The month of every machine (issue 21): the shared model and the ``/schedule`` page.

The model (:mod:`rentcal.frontend.schedule`) is pure and tested with values; the page
is tested through Starlette's TestClient without a browser (it works without
JavaScript). The browser itself is in tests/test_browser_schedule.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import rentcal
from rentcal.core.types import MachineStatus, MaintenanceKind, MaintenanceStatus, RentalStatus
from rentcal.core.values import Machine, Maintenance, Rental
from rentcal.frontend import schedule
from rentcal.frontend.schedule import Bar, DayState
from rentcal.web.pages.schedule import MonthError, parse_month
from tests.conftest import TODAY, d
from tests.test_pages import Pages, text_of

AT = datetime(2030, 1, 1, tzinfo=UTC)


def machine(name: str = "tractor", status: MachineStatus = MachineStatus.ACTIVE) -> Machine:
    return Machine(1, name, name.title(), Decimal("10"), None, status, False, AT)


def rental(
    start: date,
    end: date,
    status: str = "approved",
    rid: int = 1,
    on: str = "tractor",
    who: str = "Bob Baker",
) -> Rental:
    return Rental(
        rid, f"u{rid}", on, on.title(), "bob", who, start, end, RentalStatus(status),
        "secret purpose", Decimal("1"), AT, AT, 0, None, None,
    )  # fmt: skip


def block(start: date, end: date, status: str = "scheduled", mid: int = 1) -> Maintenance:
    return Maintenance(
        mid, f"m{mid}", "tractor", "Tractor", start, end, MaintenanceKind.REPAIR,
        MaintenanceStatus(status), None, AT, AT, 0,
    )  # fmt: skip


def january(*items: Rental | Maintenance, today: date = TODAY) -> schedule.Schedule:
    rentals = [i for i in items if isinstance(i, Rental)]
    upkeep = [i for i in items if isinstance(i, Maintenance)]
    return schedule.build(d(1), d(31), [machine()], rentals, upkeep, today=today)


class TestModel:
    """Bars on the right days, clipped to the month, in lanes; the days' states."""

    def test_a_bar_covers_exactly_its_days(self) -> None:
        (row,) = january(rental(d(15), d(20))).rows
        (bar,) = row.bars
        assert (bar.start, bar.end, bar.span, bar.lane) == (d(15), d(20), 6, 0)
        assert (bar.starts_before, bar.ends_after) == (False, False)
        assert (bar.kind, bar.status, bar.state) == ("rental", "approved", DayState.APPROVED)
        assert bar.title == "Rented by Bob Baker" and bar.label == "Bob Baker"
        assert bar.css == "st-rental-approved"
        slots = row.slots(0)
        assert [s.day for s in slots][:16] == [d(n) for n in range(1, 16)] + [d(21)]
        assert slots[14] == schedule.Slot(d(15), 6, bar)
        assert slots[15].day == d(21) and slots[15].bar is None
        assert sum(s.span for s in slots) == 31
        taken = [day for day, state in row.days.items() if state is not DayState.FREE]
        assert taken == [d(n) for n in range(15, 21)]

    def test_bookings_of_several_months_are_clipped(self) -> None:
        (row,) = january(
            rental(date(2029, 12, 20), d(3), rid=1),
            rental(d(28), date(2030, 3, 1), "pending", rid=2),
        ).rows
        first, last = row.bars
        assert (first.start, first.end, first.starts_before, first.ends_after) == (
            d(1), d(3), True, False,
        )  # fmt: skip
        assert (last.start, last.end, last.starts_before, last.ends_after) == (
            d(28), d(31), False, True,
        )  # fmt: skip
        assert first.state is DayState.APPROVED and last.state is DayState.PENDING
        assert sum(s.span for s in row.slots(0)) == 31

    def test_maintenance_is_a_bar_and_beats_rentals_on_the_day(self) -> None:
        (row,) = january(block(d(10), d(11)), rental(d(11), d(12), "pending")).rows
        upkeep, request = row.bars
        assert (upkeep.kind, upkeep.state, upkeep.lane) == ("maintenance", DayState.MAINTENANCE, 0)
        assert upkeep.title == upkeep.label == "Maintenance: Repair"
        assert request.lane == 1  # they overlap on the 11th: one above the other
        assert row.lanes == 2
        assert row.days[d(11)] is DayState.MAINTENANCE
        assert row.days[d(12)] is DayState.PENDING

    def test_history_does_not_occupy(self) -> None:
        (row,) = january(
            rental(d(5), d(6), "cancelled", rid=1),
            rental(d(7), d(8), "rejected", rid=2),
            block(d(9), d(9), "done"),
        ).rows
        assert row.bars == () and row.lanes == 1
        assert set(row.days.values()) == {DayState.FREE}

    def test_lanes_are_reused_when_bars_do_not_meet(self) -> None:
        (row,) = january(
            rental(d(1), d(5), "pending", rid=1),
            rental(d(3), d(8), "pending", rid=2),
            rental(d(6), d(9), "pending", rid=3),
        ).rows
        assert [b.lane for b in row.bars] == [0, 1, 0]
        assert row.lanes == 2
        for lane in range(row.lanes):
            assert sum(s.span for s in row.slots(lane)) == 31

    def test_today_and_the_days(self) -> None:
        month = january(today=d(9))
        assert month.today == d(9)
        assert month.days == [d(n) for n in range(1, 32)]

    def test_each_machine_its_own_items_and_the_limit(self) -> None:
        machines = [machine("saw"), machine("tractor")]
        month = schedule.build(
            d(1), d(31), machines, [rental(d(2), d(2), on="tractor")], [], today=TODAY, limit=1
        )
        assert [r.machine.name for r in month.rows] == ["saw"]
        assert month.rows[0].bars == () and month.machine_count == 2

    @pytest.mark.parametrize(
        ("kind", "label", "span", "shown"),
        [
            pytest.param("rental", "Bob Baker", 3, "Bob Baker", id="fits"),
            pytest.param("rental", "Bob Baker", 2, "Bob", id="first-name"),
            pytest.param("rental", "Bob Baker", 1, "Bob", id="short-first-name"),
            pytest.param("rental", "Bartholomew Baker", 1, "BB", id="long-initials"),
            pytest.param("maintenance", "Maintenance: Repair", 3, "Maintenance", id="word"),
            pytest.param("maintenance", "Maintenance: Repair", 1, "M", id="letter"),
        ],
    )
    def test_a_label_is_never_cut(self, kind: str, label: str, span: int, shown: str) -> None:
        bar = Bar(
            kind, 1, "approved", DayState.APPROVED, label, label,
            d(1), d(span), False, False, 0,
        )  # fmt: skip
        assert bar.short(4) == shown
        assert len(shown) <= span * 4 - 1

    def test_the_terminal_calendar_uses_the_same_states(self) -> None:
        from rentcal.cli import grid

        assert grid.DayState is DayState and grid.classify_days is schedule.classify_days


class TestMonthParameter:
    """``?month=`` is YYYY-MM or nothing; anything else is refused by name."""

    def test_valid(self) -> None:
        assert parse_month("2030-02", TODAY) == date(2030, 2, 1)
        assert parse_month("", TODAY) == parse_month(None, TODAY) == d(1)
        assert parse_month("0001-01", TODAY) == date(1, 1, 1)
        assert parse_month("9999-12", TODAY) == date(9999, 12, 1)

    @pytest.mark.parametrize("text", ["2030-13", "2030-00", "0000-05", "2030-1", "next", "२०३०-०१"])
    def test_refused(self, text: str) -> None:
        with pytest.raises(MonthError, match=re.escape(repr(text)) + ".*YYYY-MM"):
            parse_month(text, TODAY)


@pytest.fixture
def pages(seeded: rentcal.Rentcal) -> Pages:
    return Pages(seeded)


def bars(html: str) -> list[tuple[str, str, str, str]]:
    """(machine, first day, last day, status) of every bar on the page."""
    found = []
    for row in re.findall(r'<tr data-machine="([^"]+)"[^>]*>(.*?)</tr>', html, flags=re.S):
        for start, end, status in re.findall(
            r'class="bar-cell" data-start="([\d-]+)" data-end="([\d-]+)" '
            r'data-kind="\w+" data-status="(\w+)"',
            row[1],
        ):
            found.append((row[0], start, end, status))
    return found


class TestPage:
    """/schedule without a browser: the table, its links, privacy, errors."""

    def test_bars_links_and_states(self, pages: Pages) -> None:
        cal = pages.cal
        taken = cal.book("tractor", d(15), d(20), member="bob", purpose="secret hay")
        cal.approve(taken.id, acting="ada")
        cal.add_maintenance("saw", d(12), d(13), acting="ada")
        answer = pages.as_("dan").get("/schedule?month=2030-01")
        assert answer.status_code == 200
        html = answer.text
        assert bars(html) == [
            ("saw", "2030-01-12", "2030-01-13", "scheduled"),
            ("tractor", "2030-01-15", "2030-01-20", "approved"),
        ]
        assert f'href="/rentals/{taken.id}"' in html
        assert "Rented by Bob Baker (approved), 2030-01-15 to 2030-01-20" in html
        # free days from today (9 January) on link to the booking form; earlier ones do not
        assert 'href="/?machine=tractor&amp;start=2030-01-09&amp;end=2030-01-09"' in html
        assert "start=2030-01-08" not in html
        assert "machine=tractor&amp;start=2030-01-15" not in html  # taken
        assert "machine=saw&amp;start=2030-01-15" in html
        assert re.search(r'<th scope="col" data-date="2030-01-09" class="day today"', html)
        assert 'aria-current="date"' in html
        assert '<a href="?month=2029-12" rel="prev">' in html
        assert '<a href="?month=2030-02" rel="next">' in html
        assert '<link rel="stylesheet" href="/static/schedule.css">' in html
        assert 'aria-current="page">Schedule</a>' in html

    def test_members_see_what_the_booking_page_shows_never_purpose_or_price(
        self, pages: Pages
    ) -> None:
        cal = pages.cal
        cal.book("tractor", d(15), d(16), member="bob", purpose="secret hay")
        for viewer in ("dan", "ada", "bob"):
            html = pages.as_(viewer).get("/schedule?month=2030-01").text
            assert "Requested by Bob Baker" in html  # as the booking page's calendar shows it
            assert "secret hay" not in html and "240.00" not in html
        booking_page = pages.as_("dan").get("/?machine=tractor&month=2030-01").text
        assert "Requested by Bob Baker" in booking_page

    def test_an_unverified_member_gets_no_booking_links(self, pages: Pages) -> None:
        html = pages.as_("carol").get("/schedule?month=2030-01").text
        assert "/?machine=" not in html
        assert 'data-state="free"' in html

    def test_a_retired_machine_is_shown_but_not_bookable(self, pages: Pages) -> None:
        pages.cal.retire_machine("saw", acting="ada")
        html = pages.as_("bob").get("/schedule?month=2030-01").text
        assert "saw, retired" in html
        assert "machine=saw" not in html and "machine=tractor" in html

    @pytest.mark.parametrize("month", ["2030-13", "jan", "2030-1", "x" * 500])
    def test_a_bad_month_is_a_clear_400(self, pages: Pages, month: str) -> None:
        answer = pages.as_("bob").get("/schedule", params={"month": month})
        assert answer.status_code == 400
        message = text_of(answer.text, "main")
        assert "is not a month: give ?month=YYYY-MM, e.g. ?month=2030-01" in message
        assert repr(month[:40]) in message.replace("&#39;", "'")

    def test_the_ends_of_the_calendar(self, pages: Pages) -> None:
        first = pages.as_("bob").get("/schedule?month=0001-01")
        last = pages.as_("bob").get("/schedule?month=9999-12")
        assert first.status_code == last.status_code == 200
        assert 'rel="prev"' not in first.text and 'rel="next"' in first.text
        assert 'rel="next"' not in last.text and 'data-date="9999-12-31"' in last.text

    def test_no_machines(self, cal: rentcal.Rentcal) -> None:
        cal.add_member("ada", name="Ada Admin", admin=True)
        html = Pages(cal).as_("ada").get("/schedule").text
        assert "No machines yet." in html

    def test_works_without_javascript(self, pages: Pages) -> None:
        html = pages.as_("bob").get("/schedule").text
        # a real table with headers, and nothing needing a script to be shown
        assert '<table class="schedule">' in html and '<th scope="row"' in html
        assert html.count('<th scope="col"') == 1 + 31
        assert '<script src="/static/schedule.js" defer></script>' in html

    def test_strangers_go_to_login(self, pages: Pages) -> None:
        from fastapi.testclient import TestClient

        answer = TestClient(pages.app, follow_redirects=False).get(
            "/schedule", headers={"Accept": "text/html"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/schedule"

    def test_past_the_cap_the_page_says_how_many_it_shows(
        self, pages: Pages, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(schedule, "MAX_MACHINES", 1)
        html = pages.as_("bob").get("/schedule?month=2030-01").text
        assert "Showing the first 1 of 2 machines." in html
        assert html.count('<th scope="row"') == 1
