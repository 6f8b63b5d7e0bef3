"""One error shape for every failure, the request log, and the metrics.

The web layer decides all of this without the database, so these tests run
on SQLite only (``web_sqlite``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import rentcal
from rentcal import errors as lib
from rentcal.core.availability import Conflict
from rentcal.core.types import ConflictKind
from rentcal.web import Settings
from rentcal.web.error_responses import classify
from tests.conftest import d
from tests.web_support import Web, error_of

CHECK = {"machine": "saw", "start": "2030-01-20", "end": "2030-01-20"}
CONFLICT = Conflict(ConflictKind.RENTAL, 7, d(20), d(21), "approved")


class TestClassification:
    """THE table from library errors to status and code."""

    @pytest.mark.parametrize(
        ("error", "status", "code"),
        [
            (lib.InvalidRequest("x"), 400, "invalid_request"),
            (lib.ImportFailed([]), 400, "invalid_request"),
            (lib.AuthFailed(), 401, "unauthenticated"),
            (lib.PermissionDenied("x"), 403, "permission_denied"),
            (lib.NotFound("x"), 404, "not_found"),
            (lib.Unavailable("x", [CONFLICT]), 409, "unavailable"),
            (lib.InvalidTransition("x"), 409, "invalid_transition"),
            (lib.IdempotencyMismatch("x"), 422, "idempotency_mismatch"),
            (lib.Throttled("x", 42), 429, "throttled"),
            (lib.Busy("x"), 503, "busy"),
            (lib.DatabaseError("x"), 503, "database_unavailable"),
            (lib.RentcalError("x"), 400, "invalid_request"),
        ],
        ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
    )
    def test_table(self, error: lib.RentcalError, status: int, code: str) -> None:
        problem = classify(error)
        assert (problem.status, problem.code) == (status, code)

    def test_retry_after(self) -> None:
        assert classify(lib.Throttled("x", 42)).headers == {"Retry-After": "42"}
        assert classify(lib.Busy("x")).headers["Retry-After"] == "1"


@pytest.fixture
def client(web_sqlite: Web) -> Any:
    return web_sqlite.as_("bob")


def _raising(web: Web, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(web.cal, "check", fail)


class TestAnswers:
    """What a client receives for each failure."""

    def test_busy_is_503_with_retry_after(
        self, web_sqlite: Web, client: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _raising(web_sqlite, monkeypatch, rentcal.Busy("the database stayed locked"))
        answer = client.post("/api/check-availability", json=CHECK)
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert error_of(answer)["code"] == "busy"

    def test_database_error_is_503(
        self, web_sqlite: Web, client: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _raising(web_sqlite, monkeypatch, rentcal.DatabaseError("database error: gone"))
        answer = client.post("/api/check-availability", json=CHECK)
        assert answer.status_code == 503
        assert error_of(answer)["code"] == "database_unavailable"

    def test_a_bug_is_500_without_a_traceback(
        self,
        web_sqlite: Web,
        client: Any,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        _raising(web_sqlite, monkeypatch, ZeroDivisionError("secret detail"))
        with caplog.at_level(logging.INFO, logger="rentcal.web"):
            answer = client.post(
                "/api/check-availability", json=CHECK, headers={"X-Request-ID": "req-42"}
            )
        assert answer.status_code == 500
        assert answer.json() == {
            "error": "internal error",
            "code": "internal",
            "request_id": "req-42",
        }
        assert "secret detail" not in answer.text
        assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text
        assert "request_id=req-42" in caplog.text

    @pytest.mark.parametrize("length", [65 * 1024, 1024 * 1024])
    def test_too_large(self, client: Any, length: int) -> None:
        answer = client.post(
            "/api/check-availability",
            content=b"{" + b" " * length + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 413
        assert error_of(answer)["code"] == "too_large"

    def test_too_large_without_a_length(self, client: Any) -> None:
        def chunks() -> Any:
            for _ in range(100):
                yield b" " * 1024

        answer = client.post(
            "/api/check-availability",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 413

    def test_not_json(self, client: Any) -> None:
        answer = client.post(
            "/api/check-availability",
            content=b"machine=saw",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 415
        assert error_of(answer)["code"] == "unsupported_media_type"

    def test_broken_json(self, client: Any) -> None:
        answer = client.post(
            "/api/check-availability",
            content=b'{"machine": ',
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 400
        assert error_of(answer)["code"] == "invalid_request"

    def test_not_an_object(self, client: Any) -> None:
        answer = client.post("/api/check-availability", json=[1, 2])
        assert answer.status_code == 400

    def test_unknown_path_and_method(self, client: Any) -> None:
        assert error_of(client.get("/api/nothing"))["code"] == "not_found"
        answer = client.delete("/api/machines")
        assert answer.status_code == 405
        assert error_of(answer)["code"] == "method_not_allowed"

    def test_security_headers(self, client: Any) -> None:
        answer = client.get("/api/me")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"


class TestRequestLog:
    """One line per request: method, route template, status, duration, member, request id."""

    def test_line(self, web_sqlite: Web, caplog: pytest.LogCaptureFixture) -> None:
        # A threshold no loaded CI machine reaches: the line's level must not
        # depend on how busy the machine is (a 4 s request once made it a WARNING).
        web = Web(web_sqlite.cal, Settings(slow_request_ms=600_000))
        with caplog.at_level(logging.INFO, logger="rentcal.web"):
            answer = web.as_("bob").get("/api/rentals/12345")
        rid = answer.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid)
        lines = [r for r in caplog.records if rid in r.getMessage()]
        assert len(lines) == 1
        assert lines[0].levelno == logging.INFO
        assert re.fullmatch(
            rf"GET /api/rentals/{{rental_id}} 404 \d+\.\dms member=bob request_id={rid}",
            lines[0].getMessage(),
        )

    @pytest.mark.parametrize(
        ("given", "kept"), [("abc-123", True), ("x" * 65, False), ("a b", False)]
    )
    def test_request_id_is_honoured_when_tame(self, client: Any, given: str, kept: bool) -> None:
        answer = client.get("/api/me", headers={"X-Request-ID": given})
        assert (answer.headers["x-request-id"] == given) is kept

    def test_slow_requests_are_warnings(
        self, web_sqlite: Web, caplog: pytest.LogCaptureFixture
    ) -> None:
        web = Web(web_sqlite.cal, Settings(slow_request_ms=0.001))
        with caplog.at_level(logging.INFO, logger="rentcal.web"):
            web.as_("bob").get("/api/me")
        (line,) = [r for r in caplog.records if "/api/me" in r.getMessage()]
        assert line.levelno == logging.WARNING
        assert line.getMessage().endswith(" SLOW")


def _sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


class TestMetrics:
    """/metrics only when enabled, for loopback clients and admins; the counters count."""

    def test_off_by_default(self, web_sqlite: Web) -> None:
        assert web_sqlite.as_("ada").get("/metrics").status_code == 404

    def test_admins_and_loopback_only(self, web_sqlite: Web) -> None:
        web = Web(web_sqlite.cal, Settings(metrics=True))
        assert web.as_("bob").get("/metrics").status_code == 403
        assert web.anonymous().get("/metrics").status_code == 403
        assert web.as_("ada").get("/metrics").status_code == 200
        local = web.anonymous(client=("127.0.0.1", 50000)).get("/metrics")
        assert local.status_code == 200
        assert local.headers["content-type"].startswith("text/plain")

    def test_counters(self, web_sqlite: Web) -> None:
        web = Web(web_sqlite.cal, Settings(metrics=True))
        admin = web.as_("ada")
        before = admin.get("/metrics").text
        bob = web.as_("bob")
        body = {"machine": "saw", "start": "2030-01-20", "end": "2030-01-20"}
        assert bob.post("/api/rentals", json=body).status_code == 201
        assert bob.post("/api/rentals", json=body).status_code == 409
        assert web.as_("carol").post("/api/rentals", json=body).status_code == 403
        assert bob.post("/api/check-availability", json=body).json()["available"] is False
        feed, secret = web.cal.create_feed("bob")
        etag = web.anonymous().get(feed.path(secret)).headers["etag"]
        web.anonymous().get(feed.path(secret), headers={"If-None-Match": etag})
        after = admin.get("/metrics").text

        def delta(name: str, **labels: str) -> float:
            return _sample(after, name, **labels) - _sample(before, name, **labels)

        assert delta("rentcal_bookings_total", outcome="booked") == 1
        assert delta("rentcal_bookings_total", outcome="unavailable") == 1
        assert delta("rentcal_bookings_total", outcome="denied") == 1
        assert delta("rentcal_availability_checks_total", result="unavailable") == 1
        assert delta("rentcal_feed_requests_total", kind="ics", code="200") == 1
        assert delta("rentcal_feed_requests_total", kind="ics", code="304") == 1
        assert delta("http_requests_total", method="POST", route="/api/rentals", status="409") == 1
        assert (
            delta(
                "http_request_duration_seconds_count",
                method="POST",
                route="/api/rentals",
                status="201",
            )
            == 1
        )
        assert 'route="/feeds/{secret}.ics"' in after
        assert secret not in after
