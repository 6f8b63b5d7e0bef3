"""Time passes (rentcal.service.housekeeping): expiry, completion, lazily and idempotently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.service.housekeeping import ENDED_REASON, EXPIRED_REASON, HousekeepingResult
from tests.cli_support import cli, ok_json
from tests.conftest import BOTH, TODAY, d, make_clock
from tests.processes import Start, in_processes
from tests.web_support import Web

pytestmark = BOTH

T = {"today": TODAY}


def at(day: date, hour: int = 12) -> Callable[[], datetime]:
    """A ticking clock starting on ``day`` at ``hour`` UTC."""
    return make_clock(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


@pytest.fixture
def later(db_url: str, seeded: rentcal.Rentcal) -> Iterator[Callable[..., rentcal.Rentcal]]:
    """Connections to the seeded database whose clock says another day (or hour)."""
    opened: list[rentcal.Rentcal] = []

    def connect(day: date, hour: int = 12) -> rentcal.Rentcal:
        opened.append(rentcal.connect(db_url, clock=at(day, hour), busy_timeout=5))
        return opened[-1]

    yield connect
    for cal in opened:
        cal.close()


class TestHousekeeping:
    """housekeeping(): pending past its first day expires, approved past its last completes."""

    def test_expiry_and_completion_recorded_as_the_system(self, seeded: rentcal.Rentcal) -> None:
        pending = seeded.book("tractor", d(10), d(12), member="bob", **T)
        approved = seeded.book("saw", d(9), d(10), member="dan", **T)
        future = seeded.book("tractor", d(20), d(21), member="dan", **T)
        assert seeded.housekeeping(**T) == HousekeepingResult(0, 0)
        assert seeded.housekeeping(today=d(10)) == HousekeepingResult(0, 0)  # may still approve
        assert seeded.housekeeping(today=d(11)) == HousekeepingResult(expired=1, completed=1)
        gone, done = seeded.rental(pending.id), seeded.rental(approved.id)
        assert (gone.status, gone.reason, gone.status_changed_by) == ("rejected", "expired", None)
        assert (done.status, done.reason, done.status_changed_by) == (
            "completed",
            ENDED_REASON,
            None,
        )
        assert gone.sequence == pending.sequence + 1
        assert seeded.history(pending.id)[-1] | {"at": None} == {
            "from": "pending",
            "to": "rejected",
            "by": None,
            "reason": EXPIRED_REASON,
            "at": None,
        }
        assert seeded.history(approved.id)[-1]["by"] is None
        assert seeded.notifications("bob")[-1].message == (
            "Your request to book Tractor 6120 for Thu 10 – Sat 12 Jan 2030 expired: "
            f"no admin decided it in time (rental {pending.id})."
        )
        dan = [n.message for n in seeded.notifications("dan")]
        assert not any("completed" in m for m in dan)  # completion is not news
        assert seeded.rental(future.id).status == "pending"

    def test_idempotent(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(10), d(10), member="bob", **T)
        assert seeded.housekeeping(today=d(11)).expired == 1
        revision = seeded.revision()[0]
        assert seeded.housekeeping(today=d(11)) == HousekeepingResult(0, 0)
        assert seeded.revision()[0] == revision  # nothing stale: nothing written
        assert not seeded.housekeeping_due(today=d(11))

    def test_expiry_hours(
        self, db_url: str, seeded: rentcal.Rentcal, later: Callable[..., rentcal.Rentcal]
    ) -> None:
        seeded.add_machine("baler", daily_price="90", request_expiry_hours=2, acting="ada")
        assert seeded.machine("baler").request_expiry_hours == 2
        r = seeded.book("baler", d(20), d(21), member="bob", **T)  # at 12:00 and some seconds
        assert later(TODAY, 13).housekeeping() == HousekeepingResult(0, 0)
        assert later(TODAY, 15).housekeeping_due()
        assert later(TODAY, 15).housekeeping() == HousekeepingResult(expired=1)
        assert seeded.rental(r.id).reason == "expired"

    def test_cli(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        seeded.book("tractor", d(9), d(9), member="bob", **T)
        seeded.book("saw", d(9), d(9), member="bob", **T)
        env = {"RENTCAL_TODAY": "2030-01-10"}
        result = cli(db_url, "housekeeping", env=env)
        assert result.exit_code == 0, result.output
        assert result.stdout == (
            "Housekeeping: 1 request expired, 1 rental completed, 0 reminders queued.\n"
        )
        assert cli(db_url, "housekeeping", "--json", env=env).stdout.split() == [
            "{",
            '"expired":',
            "0,",
            '"completed":',
            "0,",
            '"no_shows":',
            "0,",
            '"unpaid":',
            "0,",
            '"reminders":',
            "0,",
            '"invoice_reminders":',
            "0",
            "}",
        ]
        shown = cli(db_url, "show", "1", env=env).stdout
        assert "rejected   (system)  expired" in shown
        assert ok_json(db_url, "show", "1")["history"][-1]["by"] is None


class TestLazily:
    """Nobody runs housekeeping: the next write or read that meets a stale row does it."""

    def test_booking_over_an_expired_request(self, seeded: rentcal.Rentcal) -> None:
        stale = seeded.book("tractor", d(10), d(12), member="bob", **T)
        new = seeded.book("tractor", d(11), d(12), member="dan", today=d(11))
        assert new.status == "pending"
        assert seeded.rental(stale.id).reason == "expired"

    def test_explicit_decision_beats_the_system(self, seeded: rentcal.Rentcal) -> None:
        """Completing an ended rental yourself, or cancelling a stale request, is yours."""
        ended = seeded.book("saw", d(9), d(9), member="bob", **T)
        done = seeded.complete(ended.id, acting="ada", today=d(12))
        assert (done.status, done.status_changed_by) == ("completed", "ada")
        stale = seeded.book("tractor", d(9), d(9), member="bob", **T)
        cancelled = seeded.cancel(stale.id, acting="bob", today=d(12))
        assert (cancelled.status, cancelled.status_changed_by) == ("cancelled", "bob")

    def test_reads_see_no_stale_row(
        self, seeded: rentcal.Rentcal, later: Callable[..., rentcal.Rentcal]
    ) -> None:
        pending = seeded.book("tractor", d(10), d(12), member="bob", **T)
        seeded.book("saw", d(9), d(9), member="bob", **T)
        tomorrow = later(d(11))
        assert tomorrow.check("tractor", d(11), d(12)).available
        assert seeded.rental(pending.id).status == "rejected"
        assert {r.status.value for r in later(d(11)).rentals()} == {"rejected", "completed"}

    @pytest.mark.parametrize(
        "read", ["rentals", "rental", "events", "ical", "free_windows", "check_many"]
    )
    def test_each_read(
        self, read: str, seeded: rentcal.Rentcal, later: Callable[..., rentcal.Rentcal]
    ) -> None:
        pending = seeded.book("tractor", d(10), d(12), member="bob", **T)
        cal = later(d(11))
        calls: dict[str, Callable[[], object]] = {
            "rentals": cal.rentals,
            "rental": lambda: cal.rental(pending.id),
            "events": lambda: cal.events("tractor"),
            "ical": lambda: cal.ical("tractor"),
            "free_windows": lambda: cal.free_windows("tractor", d(11), d(20)),
            "check_many": lambda: list(cal.check_many([("tractor", d(11), d(12))])),
        }
        answer = calls[read]()
        if read == "check_many":
            assert isinstance(answer, list) and answer[0].available  # answered afresh
        assert seeded.rental(pending.id).status == "rejected"
        assert len(seeded.history(pending.id)) == 2

    def test_plain_reads_write_nothing(self, seeded: rentcal.Rentcal) -> None:
        seeded.book("tractor", d(20), d(21), member="bob", **T)
        revision = seeded.revision()
        seeded.rentals()
        seeded.check("tractor", d(20), d(21), **T)
        seeded.ical("tractor")
        assert seeded.revision() == revision


class TestFeedCaching:
    """A cached feed or events answer never outlives an expiry (housekeeping first)."""

    def test_no_304_for_a_feed_showing_an_expired_request(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        pending = seeded.book("tractor", d(10), d(12), member="bob", **T)
        _, secret = seeded.create_feed("ada", machine="tractor")
        web = Web(seeded)
        first = web.anonymous().get(f"/feeds/{secret}.ics")
        assert first.status_code == 200 and pending.uid in first.text
        etag = first.headers["etag"]
        with rentcal.connect(db_url, clock=at(d(11)), busy_timeout=5) as tomorrow:
            again = (
                Web(tomorrow)
                .anonymous()
                .get(f"/feeds/{secret}.ics", headers={"If-None-Match": etag})
            )
        assert again.status_code == 200
        assert pending.uid not in again.text
        assert again.headers["etag"] != etag


def _housekeep(start: Start, url: str) -> dict[str, Any]:
    with rentcal.connect(url, clock=at(d(20)), busy_timeout=30) as cal:
        cal.machine("tractor")
        start()
        return cal.housekeeping().as_dict()


@pytest.mark.slow
def test_concurrent_housekeeping_records_each_change_once(
    db_url: str, seeded: rentcal.Rentcal
) -> None:
    for day in range(10, 18):
        seeded.book("tractor", d(day), d(day), member="bob", **T)
        seeded.book("saw", d(day), d(day), member="dan", **T)
    outcomes = in_processes(_housekeep, [(db_url,)] * 6, timeout=120)
    assert sum(o["expired"] for o in outcomes) == 8
    assert sum(o["completed"] for o in outcomes) == 8
    engine = sa.create_engine(seeded.store.url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT count(*) FROM rental_history WHERE changed_by_id IS NULL")
        ).scalar_one()
        notices = conn.execute(
            sa.text("SELECT count(*) FROM notification WHERE message LIKE '%no admin decided it%'")
        ).scalar_one()
    engine.dispose()
    assert (rows, notices) == (16, 8)
