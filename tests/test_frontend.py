"""The rules both front ends share (rentcal.frontend), and proof that each front end follows them.

The CLI and the web used to carry their own copies of these rules, and the
copies disagreed: ``feed create`` accepted a base URL with a user that
``serve`` refused, the page's booking form was missing from the bookings
metric, the page's month grid failed at the end of the calendar. Each class
checks the one rule, then every front end that applies it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import rentcal
from rentcal.core.types import MachineStatus
from rentcal.errors import InvalidRequest, PermissionDenied, Unavailable
from rentcal.frontend import booking, month
from rentcal.frontend.base_url import DEFAULT_BASE_URL, base_url_or_default, clean_base_url
from rentcal.frontend.iso_day import iso_day, looks_like_iso_day
from rentcal.web import Settings, create_app
from rentcal.web.app import connect
from tests.cli_support import cli, failed
from tests.conftest import d
from tests.web_support import Web

FORM = {"Accept": "text/html"}


class TestBaseUrl:
    """One base URL rule: the stricter one (no user, query or fragment) everywhere."""

    @pytest.mark.parametrize(
        ("value", "words"),
        [
            pytest.param("https://user@x.org", "user", id="user"),
            pytest.param("https://u:p@x.org", "user", id="user-and-password"),
            pytest.param("https://x.org/?a=1", "query", id="query"),
            pytest.param("https://x.org/#top", "fragment", id="fragment"),
            pytest.param("ftp://x.org", "http", id="scheme"),
            pytest.param("x.org", "http", id="no-scheme"),
            pytest.param("http://[::1", "http", id="unparsable"),
        ],
    )
    def test_refused(self, value: str, words: str) -> None:
        with pytest.raises(InvalidRequest, match=words) as caught:
            clean_base_url(value)
        assert (caught.value.field, caught.value.reason) == ("base_url", "bad-url")

    def test_cleaned(self) -> None:
        assert clean_base_url(" https://x.org/sub/ ") == "https://x.org/sub"
        assert clean_base_url("  ") is None
        assert base_url_or_default(None) == DEFAULT_BASE_URL

    def test_cli_feed_create_refuses_a_user(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "feed", "create", "--all", "--base-url", "https://user@x.org")
        failed(result, 2, "must not have a user")
        assert seeded.feed_tokens("ada") == []

    def test_server_settings_refuse_a_user(self) -> None:
        with pytest.raises(InvalidRequest, match="must not have a user"):
            Settings(base_url="https://user@x.org")

    def test_both_front_ends_print_the_same_url(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        given = "https://cal.example.org/sub/"
        printed = cli(db_url, "feed", "create", "--all", "--base-url", given).stdout
        assert printed.startswith(f"{Settings(base_url=given).base_url}/feeds/")


def _bookings(web: Web) -> dict[str, float]:
    """The ``rentcal_bookings_total`` samples by outcome."""
    text = web.as_("ada").get("/metrics").text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "rentcal_bookings_total":
                found[sample.labels["outcome"]] = float(sample.value)
    return found


def _counted(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k) != before.get(k)}


class TestOneBookingPath:
    """CLI, API and form all book through rentcal.frontend.booking.book."""

    def test_book_counts_each_outcome(self, seeded: rentcal.Rentcal) -> None:
        counted: list[str] = []
        wanted = booking.BookingInput("saw", d(20), d(21), member="bob", acting="bob")
        rental = booking.book(seeded, wanted, count=counted.append)
        assert rental.member == "bob" and rental.days == 2
        with pytest.raises(Unavailable):
            booking.book(seeded, wanted, count=counted.append)
        backwards = booking.BookingInput("saw", d(25), d(24), member="bob", acting="bob")
        with pytest.raises(InvalidRequest):
            booking.book(seeded, backwards, count=counted.append)
        carol = booking.BookingInput("saw", d(25), d(25), member="carol", acting="carol")
        with pytest.raises(PermissionDenied, match="an admin must verify you"):
            booking.book(seeded, carol, asker=seeded.member("carol"), count=counted.append)
        assert counted == ["booked", "unavailable", "invalid", "denied"]
        assert seeded.rentals() == [rental]

    def test_outcomes(self) -> None:
        assert booking.outcome(Unavailable("x")) == "unavailable"
        assert booking.outcome(PermissionDenied("x")) == "denied"
        assert booking.outcome(InvalidRequest("x")) == "invalid"
        assert set(booking.OUTCOMES) == {"booked", "unavailable", "invalid", "denied"}

    def test_the_form_is_counted_like_the_api(self, seeded: rentcal.Rentcal) -> None:
        web = Web(seeded, Settings(metrics=True))
        before = _bookings(web)
        form = {"machine": "saw", "start": "2030-01-20", "end": "2030-01-20"}
        bob = web.as_("bob", headers=FORM, follow_redirects=False)
        assert bob.post("/", data={**form, "key": "k1"}).status_code == 303
        assert bob.post("/", data={**form, "key": "k2"}).status_code == 409
        assert web.as_("carol", headers=FORM).post("/", data=form).status_code == 403
        api = web.as_("bob").post("/api/rentals", json={**form, "end": "2030-01-21"})
        assert api.status_code == 409
        assert _counted(before, _bookings(web)) == {"booked": 1, "unavailable": 2, "denied": 1}

    def test_the_cli_books_through_the_path(
        self, seeded: rentcal.Rentcal, db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen: list[booking.BookingInput] = []
        real = booking.book

        def spy(cal: rentcal.Rentcal, wanted: booking.BookingInput, **kwargs: Any) -> Any:
            seen.append(wanted)
            return real(cal, wanted, **kwargs)

        monkeypatch.setattr("rentcal.frontend.booking.book", spy)
        result = cli(db_url, "book", "saw", "2030-01-20", "--days", "2", "--for", "bob")
        assert result.exit_code == 0, result.stderr
        assert seen == [booking.BookingInput("saw", d(20), d(21), member="bob", acting="ada")]


class TestMemberAndMachineRules:
    """Who may book and which machine can be booked: one wording on every front end."""

    def test_may_book(self, seeded: rentcal.Rentcal) -> None:
        assert booking.may_book(seeded.member("bob"))
        assert not booking.may_book(seeded.member("carol"))

    def test_retired_machine(self, seeded: rentcal.Rentcal) -> None:
        assert booking.retired_problem(seeded.machine("saw")) is None
        retired = seeded.retire_machine("saw", acting="ada")
        assert retired.status is MachineStatus.RETIRED
        problem = booking.retired_problem(retired)
        assert problem == "machine 'saw' is retired and cannot be booked"
        with pytest.raises(InvalidRequest) as caught:
            seeded.book("saw", d(20), d(20), member="bob")
        assert caught.value.message == problem  # the service's own words

    def test_the_page_names_a_retired_machine(self, seeded: rentcal.Rentcal) -> None:
        seeded.retire_machine("saw", acting="ada")
        page = Web(seeded).as_("bob", headers=FORM).get("/?machine=saw").text
        assert "is retired and cannot be booked" in page


class TestMonth:
    """The month arithmetic of both grids, safe from 0001-01 to 9999-12."""

    def test_weeks(self) -> None:
        weeks = month.month_weeks(d(17))
        assert (weeks[0][0], weeks[-1][-1]) == (date(2029, 12, 31), date(2030, 2, 3))
        assert all(len(week) == 7 for week in weeks)
        assert month.grid_window(d(1)) == (date(2029, 12, 31), date(2030, 2, 3))

    def test_the_ends_of_the_calendar(self) -> None:
        assert month.month_weeks(date(1, 1, 1))[0][0] == date(1, 1, 1)
        last = month.month_weeks(date(9999, 12, 1))[-1]
        assert last[:5] == [date(9999, 12, 27) + timedelta(days=n) for n in range(5)]
        assert last[5:] == [None, None]
        assert month.shift_month(date(9999, 12, 1), 1) == date(9999, 12, 1)
        assert month.shift_month(date(1, 1, 1), -1) == date(1, 1, 1)
        assert month.shift_month(date(2030, 1, 1), -13) == date(2028, 12, 1)

    def test_names(self) -> None:
        assert month.month_title(date(1, 1, 1)) == "January 0001"
        assert month.month_key(date(1, 2, 1)) == "0001-02"
        assert month.month_end(date(2028, 2, 10)) == date(2028, 2, 29)

    def test_the_page_draws_december_9999(self, seeded: rentcal.Rentcal) -> None:
        answer = Web(seeded).as_("bob", headers=FORM).get("/?month=9999-12")
        assert answer.status_code == 200  # was a 500: year 10000 is out of range
        assert 'data-date="9999-12-31"' in answer.text

    def test_the_cli_draws_december_9999(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "calendar", "saw", "--month", "9999-12")
        assert result.exit_code == 0, result.stderr
        assert "31." in result.stdout


class TestSessionIdle:
    """The server configures the connection it owns, never the one it is handed."""

    def test_create_app_leaves_the_callers_connection_alone(self, cal: rentcal.Rentcal) -> None:
        before = cal.session_idle
        create_app(cal, Settings(session_idle_days=2))
        assert cal.session_idle == before

    def test_the_servers_own_connection_follows_the_settings(self, tmp_path: Path) -> None:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'idle.db'}", session_idle_days=2)
        own = connect(settings)
        try:
            assert own.session_idle == timedelta(days=2)
        finally:
            own.close()


class TestIsoDay:
    """Exactly YYYY-MM-DD wherever a strict date is read (3.11's fromisoformat reads more)."""

    @pytest.mark.parametrize(
        "text", ["20300115", "2030-W03-2", "2030-01-15T00:00", "2030-02-30", "٢٠٣٠-٠١-١٥", ""]
    )
    def test_refused(self, text: str) -> None:
        assert iso_day(text) is None

    def test_read(self) -> None:
        assert iso_day("2030-01-15") == d(15)
        assert looks_like_iso_day("2030-02-30") and not looks_like_iso_day("20300230")

    def test_the_form_refuses_a_basic_format_date(self, seeded: rentcal.Rentcal) -> None:
        form = {"machine": "saw", "start": "20300120", "end": "2030-01-20"}
        answer = Web(seeded).as_("bob", headers=FORM).post("/", data=form)
        assert answer.status_code == 400
        assert "is not a date (YYYY-MM-DD)" in answer.text
        assert seeded.rentals() == []

    def test_the_api_refuses_a_basic_format_date(self, seeded: rentcal.Rentcal) -> None:
        body = {"machine": "saw", "start": "20300120", "end": "2030-01-20"}
        answer = Web(seeded).as_("bob").post("/api/rentals", json=body)
        assert answer.status_code == 400
        assert "YYYY-MM-DD" in answer.json()["error"]

    def test_the_cli_refuses_a_basic_format_today(self, db_url: str) -> None:
        result = cli(db_url, "rentals", env={"RENTCAL_TODAY": "20300115"})
        failed(result, 2, "RENTCAL_TODAY='20300115' is not a YYYY-MM-DD date")
