"""The fast lane and the per-worker caches: the same answers as the ordinary routes, never stale.

Two apps over two connections to one database stand for two workers (or two
hosts): a change made through one is seen by the other's next request,
because every cached answer carries the revision it was read at and each
request reads the revisions first. A spy on the ordinary route's library
call proves which path answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import rentcal
from rentcal.service import Rentcal
from tests.conftest import BOTH, BUSY_TIMEOUT, TODAY, d, seed
from tests.web_support import PASSWORD, SAME_ORIGIN, Web

pytestmark = BOTH

NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 0, tzinfo=UTC)
#: Headers that differ between two answers to the same question.
VOLATILE = {"x-request-id", "date"}


class Clock:
    """A clock the test moves (both workers share it)."""

    def __init__(self) -> None:
        self.now = NOON

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workers(db_url: str, clock: Clock) -> Iterator[tuple[Web, Web]]:
    """Two apps (two workers) over two connections to one seeded database."""
    with (
        rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as one,
        rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as two,
    ):
        seed(one)
        one.set_password("bob", PASSWORD, acting="bob")
        yield Web(one), Web(two)


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    """Calls of ``Rentcal.<name>`` (the ordinary routes' library call)."""
    calls: list[object] = []
    original = getattr(Rentcal, name)

    def wrapper(self: Rentcal, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Rentcal, name, wrapper)
    return calls


def same(first: Any, second: Any) -> None:
    """Two answers identical but for the request id and date."""
    assert first.status_code == second.status_code
    assert first.content == second.content
    strip = lambda a: {k: v for k, v in a.headers.items() if k not in VOLATILE}  # noqa: E731
    assert strip(first) == strip(second)


DAY_20 = d(20)


def check(client: TestClient, machine: str = "tractor", start: date = DAY_20) -> Any:
    end = start + timedelta(days=1)
    body = {"machine": machine, "start": start.isoformat(), "end": end.isoformat()}
    return client.post("/api/check-availability", json=body)


def cookie_check(client: TestClient) -> Any:
    """A check by a logged-in browser (session cookie, same-origin)."""
    body = {"machine": "saw", "start": "2030-01-20", "end": "2030-01-21"}
    return client.post("/api/check-availability", json=body, headers=SAME_ORIGIN)


WINDOW = {"start": "2030-01-01", "end": "2030-02-01"}


class TestSameAnswers:
    """The fast lane answers exactly what the ordinary route answered."""

    def test_check(self, workers: tuple[Web, Web], monkeypatch: pytest.MonkeyPatch) -> None:
        web, _ = workers
        client = web.as_("bob")
        web.cal.book("tractor", d(20), d(21), member="dan", today=TODAY)
        calls = spy(monkeypatch, "check")
        first = check(client)  # the ordinary route: resolves the token, warms the caches
        second = check(client)
        assert len(calls) == 1
        same(first, second)
        assert second.json()["available"] is False
        free = check(client, start=d(25))
        assert free.json()["available"] is True
        assert len(calls) == 1

    def test_check_with_a_session_cookie(self, workers: tuple[Web, Web]) -> None:
        web, _ = workers
        client = web.login("bob")
        headers = SAME_ORIGIN
        answers = [
            client.post(
                "/api/check-availability",
                json={"machine": "saw", "start": "2030-01-20", "end": "2030-01-21"},
                headers=headers,
            )
            for _ in range(3)
        ]
        same(answers[0], answers[2])

    def test_events_and_their_304(
        self, workers: tuple[Web, Web], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        web, _ = workers
        web.cal.book("saw", d(20), d(21), member="dan", today=TODAY)
        client = web.as_("bob")
        calls = spy(monkeypatch, "events")
        first = client.get("/api/machines/saw/events", params=WINDOW)
        second = client.get("/api/machines/saw/events", params=WINDOW)
        assert len(calls) == 1
        same(first, second)
        assert [e["start"] for e in second.json()] == ["2030-01-20"]
        tag = second.headers["etag"]
        again = client.get(
            "/api/machines/saw/events", params=WINDOW, headers={"If-None-Match": tag}
        )
        assert again.status_code == 304 and len(calls) == 1

    def test_feed_304(self, workers: tuple[Web, Web], monkeypatch: pytest.MonkeyPatch) -> None:
        web, _ = workers
        _, secret = web.cal.create_feed("bob")
        client = web.anonymous()
        full = client.get(f"/feeds/{secret}.ics")
        calls = spy(monkeypatch, "feed_by_secret")
        tag = {"If-None-Match": full.headers["etag"]}
        answers = [client.get(f"/feeds/{secret}.ics", headers=tag) for _ in range(3)]
        assert [a.status_code for a in answers] == [304, 304, 304]
        assert len(calls) <= 1  # the first may resolve the secret; the rest are cached
        same(answers[1], answers[2])

    def test_odd_requests_take_the_ordinary_route(self, workers: tuple[Web, Web]) -> None:
        """What the route's validation judges is answered by the route: 400s, 401s, 404s."""
        web, _ = workers
        client = web.as_("bob")
        check(client)  # warm
        bad = [
            client.post("/api/check-availability", json={"machine": "saw", "start": "2030-01-20"}),
            client.post(
                "/api/check-availability",
                json={"machine": "saw", "start": "2030-1-20", "end": "2030-01-21"},
            ),
            client.post(
                "/api/check-availability",
                json={"machine": "saw", "start": "2030-01-22", "end": "2030-01-21"},
            ),
            client.post(
                "/api/check-availability",
                json={"machine": "nope", "start": "2030-01-20", "end": "2030-01-21", "x": 1},
            ),
            check(client, machine="no-such-machine"),
            client.get("/api/machines/saw/events", params={"start": "2030-01-01"}),
        ]
        assert [b.status_code for b in bad] == [400, 400, 400, 400, 404, 400]
        assert check(web.anonymous()).status_code == 401


class TestNeverStale:
    """A change through one worker is seen by the other's very next request."""

    def test_revoked_token(self, workers: tuple[Web, Web]) -> None:
        one, two = workers
        token = one.token("bob")
        client = one.anonymous()
        client.headers["Authorization"] = f"Bearer {token}"
        assert check(client).status_code == 200
        assert check(client).status_code == 200  # cached now
        (found,) = [t for t in two.cal.tokens("bob") if t.member == "bob"][-1:]
        two.cal.revoke_token(found.id, "bob")
        assert check(client).status_code == 401

    @pytest.mark.parametrize(
        ("change", "status"),
        [
            pytest.param(lambda c: c.deactivate_member("bob", acting="ada"), 401, id="deactivate"),
            pytest.param(
                lambda c: c.set_password("bob", "a brand new password", acting="bob"),
                401,
                id="password",
            ),
        ],
    )
    def test_session_after_a_change(
        self, workers: tuple[Web, Web], change: Callable[[Rentcal], object], status: int
    ) -> None:
        one, two = workers
        client = one.login("bob")
        ask = lambda: cookie_check(client)  # noqa: E731
        assert ask().status_code == ask().status_code == 200
        change(two.cal)
        assert ask().status_code == status

    def test_booking_elsewhere_changes_the_answer(self, workers: tuple[Web, Web]) -> None:
        one, two = workers
        client = one.as_("bob")
        assert check(client, "saw").json()["available"] is True
        assert check(client, "saw").json()["available"] is True
        two.cal.book("saw", d(20), d(21), member="dan", today=TODAY)
        assert check(client, "saw").json()["available"] is False
        events = client.get("/api/machines/saw/events", params=WINDOW)
        assert len(events.json()) == 1

    def test_revoked_feed_is_gone(self, workers: tuple[Web, Web]) -> None:
        one, two = workers
        feed, secret = one.cal.create_feed("bob")
        client = one.anonymous()
        tag = {"If-None-Match": client.get(f"/feeds/{secret}.ics").headers["etag"]}
        assert client.get(f"/feeds/{secret}.ics", headers=tag).status_code == 304
        two.cal.revoke_feed(feed.id, "bob")
        assert client.get(f"/feeds/{secret}.ics", headers=tag).status_code == 404

    def test_request_expiring_by_the_clock(self, workers: tuple[Web, Web], clock: Clock) -> None:
        """A pending request that expires by age ends the cache's trust at that moment."""
        one, two = workers
        one.cal._cases.accounts.touch_interval = timedelta(days=1)  # the token stays known
        two.cal.edit_machine("tractor", acting="ada", request_expiry_hours=2)
        one.cal.book("tractor", d(20), d(21), member="dan", today=TODAY)
        client = one.as_("bob")
        window = {"start": "2030-01-01", "end": "2030-02-01"}
        first = client.get("/api/machines/tractor/events", params=window)
        assert [e["extendedProps"]["status"] for e in first.json()] == ["pending"]
        tag = {"If-None-Match": first.headers["etag"]}
        assert (
            client.get("/api/machines/tractor/events", params=window, headers=tag).status_code
            == 304
        )
        clock.now = NOON + timedelta(hours=3)
        late = client.get("/api/machines/tractor/events", params=window, headers=tag)
        assert late.status_code == 200 and late.json() == []
        assert check(client).json()["available"] is True

    def test_session_touch_comes_due(self, workers: tuple[Web, Web], clock: Clock) -> None:
        """A cached session is trusted only until its next "last seen" touch is due."""
        one, _ = workers
        client = one.login("bob")
        ask = lambda: cookie_check(client)  # noqa: E731
        ask()
        ask()
        clock.now = NOON + timedelta(minutes=5)
        assert ask().status_code == 200
        sessions = one.cal._context.read(
            lambda conn: conn.exec_driver_sql(
                "SELECT max(last_seen_at) FROM login_session"
            ).scalar()
        )
        seen = sessions if isinstance(sessions, datetime) else datetime.fromisoformat(str(sessions))
        assert seen.replace(tzinfo=UTC) >= clock.now - timedelta(seconds=1)
