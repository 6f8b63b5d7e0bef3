"""The rental limits: the longest rental and the booking horizon, everywhere.

A booking from 2030-01-10 to 9999-12-30 must not block a machine for 8,000
years: the rule (rentcal.core.limits) is applied by book, move, the imports,
check, check_many and free_windows; the CLI answers exit 2, the API 400, the
booking page shows it next to the end date — and a real ``rentcal serve``
refuses it. Defaults: 90 days, 730 days ahead; admins change them (with
history), nobody books past them (admins neither).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import httpx2
import pytest

import rentcal
from rentcal.core.limits import (
    DEFAULT_HORIZON_DAYS,
    DEFAULT_MAX_DAYS,
    RentalLimits,
    check_rental_days,
)
from rentcal.errors import ImportFailed, InvalidRequest, PermissionDenied
from rentcal.imports import read_rentals_csv
from tests.cli_support import cli, every_table, failed
from tests.conftest import BOTH, TODAY, d
from tests.web_support import Web, error_of

pytestmark = BOTH

TYPO = date(9999, 12, 30)
#: The last day the default horizon allows, seen from TODAY.
HORIZON_END = TODAY + timedelta(days=DEFAULT_HORIZON_DAYS)


def days_from(start: date, days: int) -> date:
    """The last day of a rental of ``days`` days from ``start``."""
    return start + timedelta(days=days - 1)


def refused(err: pytest.ExceptionInfo[InvalidRequest], reason: str, end: date) -> str:
    """The refusal's fields checked; its message returned."""
    assert (err.value.field, err.value.reason, err.value.value) == ("end", reason, end)
    return err.value.message


class TestTheRule:
    """check_rental_days: the one spelling of both limits (pure)."""

    LIMITS = RentalLimits(max_days=3, horizon_days=10)

    def test_the_longest_rental_and_the_last_day_pass(self) -> None:
        check_rental_days(d(10), d(12), d(9), self.LIMITS)  # 3 days
        check_rental_days(d(19), d(19), d(9), self.LIMITS)  # ends 10 days ahead

    def test_one_day_too_long_is_refused_naming_both_numbers(self) -> None:
        with pytest.raises(InvalidRequest) as err:
            check_rental_days(d(10), d(13), d(9), self.LIMITS)
        message = refused(err, "too-long", d(13))
        assert message == "a rental may last at most 3 days: 2030-01-10..2030-01-13 is 4 days"

    def test_one_day_too_far_is_refused_naming_the_last_day(self) -> None:
        with pytest.raises(InvalidRequest) as err:
            check_rental_days(d(20), d(20), d(9), self.LIMITS)
        message = refused(err, "too-far-ahead", d(20))
        assert "at most 10 days ahead (on 2030-01-19 at the latest" in message
        assert "ends 11 days ahead" in message

    def test_a_huge_horizon_near_the_end_of_time_does_not_overflow(self) -> None:
        limits = RentalLimits(max_days=36_500, horizon_days=36_500)
        check_rental_days(date(9999, 12, 1), date(9999, 12, 30), date(9999, 11, 30), limits)


class TestBook:
    """book refuses what breaks a limit, whoever books, and writes nothing."""

    def test_the_typo_of_the_issue_is_refused_on_an_auto_approve_machine(
        self, seeded: rentcal.Rentcal
    ) -> None:
        before = every_table(seeded)
        with pytest.raises(InvalidRequest) as err:
            seeded.book("saw", d(10), TYPO, member="bob")
        message = refused(err, "too-long", TYPO)
        assert message == (
            "a rental may last at most 90 days: 2030-01-10..9999-12-30 is 2,910,972 days"
        )
        assert every_table(seeded) == before

    def test_the_longest_rental_books_and_one_day_more_does_not(
        self, seeded: rentcal.Rentcal
    ) -> None:
        longest = seeded.book("saw", d(10), days_from(d(10), DEFAULT_MAX_DAYS), member="bob")
        assert longest.days == 90
        start = longest.end + timedelta(days=1)
        with pytest.raises(InvalidRequest) as err:
            seeded.book("saw", start, days_from(start, 91), member="bob")
        assert refused(err, "too-long", days_from(start, 91)).endswith("is 91 days")

    def test_the_horizon_last_day_books_and_the_next_does_not(
        self, seeded: rentcal.Rentcal
    ) -> None:
        assert seeded.book("saw", HORIZON_END, HORIZON_END, member="bob").end == HORIZON_END
        beyond = HORIZON_END + timedelta(days=1)
        with pytest.raises(InvalidRequest) as err:
            seeded.book("tractor", beyond, beyond, member="bob")
        refused(err, "too-far-ahead", beyond)

    def test_an_admin_is_held_to_the_limits_too(self, seeded: rentcal.Rentcal) -> None:
        for acting in ("ada", None):  # for a member, and for herself
            with pytest.raises(InvalidRequest, match="at most 90 days"):
                seeded.book("tractor", d(10), TYPO, member="ada" if acting is None else "bob")
        assert seeded.rentals() == []


class TestSettings:
    """limits / set_limits / limits_history: defaults, admins only, recorded."""

    def test_defaults_until_an_admin_sets_them(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.limits() == RentalLimits(DEFAULT_MAX_DAYS, DEFAULT_HORIZON_DAYS)
        assert (DEFAULT_MAX_DAYS, DEFAULT_HORIZON_DAYS) == (90, 730)
        assert seeded.limits().source == "default"
        assert seeded.limits_history() == []

    def test_a_member_cannot_set_them(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can set the rental limits"):
            seeded.set_limits(max_days=365, acting="bob")
        assert seeded.limits().source == "default"

    def test_nothing_to_set_is_refused(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="nothing to set") as err:
            seeded.set_limits(acting="ada")
        assert err.value.reason == "unchanged"

    def test_a_change_applies_at_once_and_is_kept_with_who_and_when(
        self, seeded: rentcal.Rentcal
    ) -> None:
        found = seeded.set_limits(max_days=7, acting="ada")
        assert (found.max_days, found.horizon_days, found.source) == (7, 730, "database")
        assert found.changed_by == "ada" and found.changed_at is not None
        with pytest.raises(InvalidRequest, match="at most 7 days"):
            seeded.book("saw", d(10), d(17), member="bob")
        seeded.set_limits(max_days=7, horizon_days=30, acting="ada")  # 7 again: no row
        history = [(k, v, by) for k, v, by, _at in seeded.limits_history()]
        assert history == [("horizon_days", 30, "ada"), ("max_days", 7, "ada")]
        with pytest.raises(InvalidRequest, match="at most 30 days ahead"):
            seeded.book("saw", d(9, 2), d(9, 2), member="bob")

    def test_another_connection_sees_the_new_limits_at_once(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        with rentcal.connect(db_url, busy_timeout=5) as other:
            assert other.limits().max_days == 90
            seeded.set_limits(max_days=2, acting="ada")
            with pytest.raises(InvalidRequest, match="at most 2 days"):
                other.book("saw", d(10), d(12), member="bob", today=TODAY)


class TestMove:
    """move gives a rental new days: the new days are held to the limits."""

    def test_stretching_past_the_longest_rental_is_refused(self, seeded: rentcal.Rentcal) -> None:
        rental = seeded.book("saw", d(10), d(12), member="bob")
        with pytest.raises(InvalidRequest) as err:
            seeded.move(rental.id, end=TYPO, acting="ada")
        refused(err, "too-long", TYPO)
        with pytest.raises(InvalidRequest, match="at most 90 days"):
            seeded.move(rental.id, days=91, acting="ada")
        assert seeded.rental(rental.id).end == d(12)

    def test_moving_beyond_the_horizon_is_refused(self, seeded: rentcal.Rentcal) -> None:
        rental = seeded.book("tractor", d(10), d(10), member="bob")
        beyond = HORIZON_END + timedelta(days=1)
        with pytest.raises(InvalidRequest) as err:
            seeded.move(rental.id, start=beyond, acting="bob")
        refused(err, "too-far-ahead", beyond)

    def test_a_rental_longer_than_a_new_limit_may_still_change_machine(
        self, seeded: rentcal.Rentcal
    ) -> None:
        rental = seeded.book("tractor", d(10), d(19), member="bob")
        seeded.set_limits(max_days=5, acting="ada")
        moved = seeded.move(rental.id, machine="saw", acting="ada")
        assert (moved.machine, moved.start, moved.end) == ("saw", d(10), d(19))


class TestImport:
    """History is exempt; what has not ended yet is held to both limits."""

    HEADER = "machine,member,start,end,status,purpose"

    def rows(self, *lines: str) -> list[object]:
        return list(read_rentals_csv([self.HEADER, *lines]))

    def test_a_long_rental_in_the_past_is_history_and_imports(
        self, seeded: rentcal.Rentcal
    ) -> None:
        rows = self.rows("tractor,bob,2028-01-01,2028-12-31,completed,a year of hay")
        assert seeded.import_rentals(rows, acting="ada").imported == 1  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("line", "words"),
        [
            pytest.param("saw,bob,2030-01-10,9999-12-30,approved,", "at most 90 days", id="long"),
            pytest.param("saw,bob,2029-12-01,2030-03-31,approved,", "at most 90 days", id="begun"),
            pytest.param(
                "saw,bob,2035-01-10,2035-01-11,pending,", "at most 730 days ahead", id="far"
            ),
        ],
    )
    def test_what_has_not_ended_is_refused_naming_its_line(
        self, seeded: rentcal.Rentcal, line: str, words: str
    ) -> None:
        rows = self.rows("saw,bob,2030-02-01,2030-02-02,approved,fine", line)
        with pytest.raises(ImportFailed) as err:
            seeded.import_rentals(rows, acting="ada")  # type: ignore[arg-type]
        assert "line 3" in str(err.value) and words in str(err.value)
        assert seeded.rentals() == []


class TestQuestions:
    """check, check_many, free_windows answer "not bookable" like book does."""

    def test_check_refuses_what_book_would(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest) as err:
            seeded.check("saw", d(10), TYPO)
        refused(err, "too-long", TYPO)
        beyond = HORIZON_END + timedelta(days=1)
        with pytest.raises(InvalidRequest) as far:
            seeded.check("saw", beyond, beyond)
        refused(far, "too-far-ahead", beyond)

    def test_check_many_yields_the_refusal_in_its_place(self, seeded: rentcal.Rentcal) -> None:
        answers = list(
            seeded.check_many([("saw", d(10), d(11)), ("saw", d(10), TYPO), ("saw", d(12), d(12))])
        )
        assert [type(a).__name__ for a in answers] == [
            "Availability",
            "InvalidRequest",
            "Availability",
        ]
        assert isinstance(answers[1], InvalidRequest) and answers[1].reason == "too-long"

    def test_free_windows_end_on_the_horizon(self, seeded: rentcal.Rentcal) -> None:
        windows = seeded.free_windows("saw", d(1, 12, 2031), TYPO)
        assert windows == [(d(1, 12, 2031), HORIZON_END)]

    def test_free_windows_wholly_beyond_the_horizon_are_refused(
        self, seeded: rentcal.Rentcal
    ) -> None:
        with pytest.raises(InvalidRequest, match="at most 730 days ahead") as err:
            seeded.free_windows("saw", date(9999, 1, 1), TYPO)
        assert (err.value.field, err.value.reason) == ("start", "too-far-ahead")

    def test_free_windows_longer_than_any_rental_are_refused(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="more than the longest rental") as err:
            seeded.free_windows("saw", d(10), d(10, 6), min_days=91)
        assert err.value.field == "min_days"


class TestCli:
    """exit 2 with the limit named; rentcal limits show | set."""

    def test_book_and_check_exit_2(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        failed(
            cli(db_url, "book", "saw", "2030-01-10", "9999-12-30", as_="bob"),
            2,
            "a rental may last at most 90 days: 2030-01-10..9999-12-30 is 2,910,972 days "
            "(see rentcal limits show)",
        )
        failed(cli(db_url, "check", "saw", "2035-01-10", "2035-01-10"), 2, "730 days ahead")
        assert seeded.rentals() == []

    def test_limits_show_and_set(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        shown = cli(db_url, "limits", "show", "--json")
        assert shown.exit_code == 0, shown.output
        body = json.loads(shown.stdout)
        assert (body["max_days"], body["horizon_days"], body["source"]) == (90, 730, "default")
        done = cli(db_url, "limits", "set", "--max-days", "14", "--horizon-days", "60")
        assert done.exit_code == 0, done.output
        assert "max days      14" in done.stdout and "last day      2030-03-10" in done.stdout
        history = json.loads(cli(db_url, "limits", "show", "--history", "--json").stdout)
        assert {h["limit"] for h in history["history"]} == {"max_days", "horizon_days"}
        failed(cli(db_url, "limits", "set", "--max-days", "3", as_="bob"), 3, "not an admin")
        failed(cli(db_url, "limits", "set", "--max-days", "0"), 2, "the least is 1")
        failed(cli(db_url, "limits", "set"), 2, "pass --max-days N and/or --horizon-days N")
        assert seeded.limits().max_days == 14


class TestWeb:
    """400 with the limit named: the API, and the booking page next to the end date."""

    def test_the_api_answers_400(self, web: Web) -> None:
        body = {"machine": "saw", "start": "2030-01-10", "end": "9999-12-30"}
        answer = web.as_("bob").post("/api/rentals", json=body)
        assert answer.status_code == 400
        error = error_of(answer)
        assert (error["code"], error["field"]) == ("invalid_request", "end")
        assert "a rental may last at most 90 days" in error["error"]
        checked = web.as_("bob").post("/api/check-availability", json=body)
        assert checked.status_code == 400 and "at most 90 days" in error_of(checked)["error"]
        assert web.cal.rentals() == []

    def test_the_booking_page_shows_it_next_to_the_end_date(self, seeded: rentcal.Rentcal) -> None:
        from tests.test_pages import Pages, text_of

        pages = Pages(seeded)
        form = {"machine": "saw", "start": "2030-01-10", "end": "9999-12-30", "purpose": "x"}
        answer = pages.as_("bob").post("/", data=form)
        assert answer.status_code == 400
        assert "a rental may last at most 90 days" in text_of(answer.text, "end-error")
        assert seeded.rentals() == []


@pytest.mark.slow
def test_a_real_server_refuses_the_typo_with_400(tmp_path: Path) -> None:
    """``rentcal serve`` on a loopback port, the real clock: the 9999 booking is a 400."""
    from tests.test_web_server import _free_port, start_server, wait_ready

    db_url = f"sqlite:///{tmp_path}/limits.db"
    with rentcal.connect(db_url) as cal:
        cal.add_member("ada", admin=True)
        cal.add_member("bob", verified=True, acting="ada")
        cal.add_machine("saw", daily_price="10", auto_approve=True, acting="ada")
        _token, secret = cal.create_token("bob")
    port, log = _free_port(), tmp_path / "server.log"
    process = start_server(db_url, log, "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log)
        first = date.today() + timedelta(days=30)
        body = {"machine": "saw", "start": first.isoformat(), "end": "9999-12-30"}
        headers = {"Authorization": f"Bearer {secret}"}
        answer = httpx2.post(url + "/api/rentals", json=body, headers=headers, timeout=60)
        assert answer.status_code == 400, answer.text
        assert answer.json()["field"] == "end"
        assert "a rental may last at most 90 days" in answer.json()["error"]
        ok = {**body, "end": first.isoformat()}
        assert httpx2.post(url + "/api/rentals", json=ok, headers=headers, timeout=60).is_success
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0, log.read_text()
    assert "Traceback" not in log.read_text()
    with rentcal.connect(db_url) as cal:
        assert [r.end for r in cal.rentals()] == [first]
