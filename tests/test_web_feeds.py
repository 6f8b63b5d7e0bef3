"""Events for FullCalendar and secret feed URLs: windows, ETag / 304 / Last-Modified, bytes."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from typer.testing import CliRunner

import rentcal
from rentcal.cli.app import app as cli_app
from tests.conftest import BOTH, TODAY, d
from tests.web_support import Web, error_of

pytestmark = BOTH

MONTH = {"start": "2030-01-01", "end": "2030-02-01"}


@pytest.fixture
def booked(web: Web) -> Web:
    """bob's pending tractor rental, dan's approved saw rental, a tractor maintenance."""
    web.cal.book("tractor", d(20), d(22), member="bob", purpose="hay")
    web.cal.book("saw", d(15), d(15), member="dan")
    web.cal.add_maintenance("tractor", d(25), d(26), acting="ada")
    return web


class TestEventWindows:
    """FullCalendar's start/end (end exclusive, any format it sends) as inclusive days."""

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            pytest.param("2030-01-20", "2030-01-21", id="dates"),
            pytest.param("2030-01-20T00:00:00+01:00", "2030-01-21T00:00:00+01:00", id="offset"),
            pytest.param("2030-01-20T00:00:00Z", "2030-01-21T00:00:00Z", id="utc"),
            pytest.param("2030-01-20T00:00:00 01:00", "2030-01-21T00:00:00 01:00", id="raw-plus"),
            pytest.param("2030-01-20T00:00:00-05:00", "2030-01-21T00:00:00-05:00", id="minus"),
        ],
    )
    def test_formats(self, booked: Web, start: str, end: str) -> None:
        found = (
            booked.as_("bob")
            .get(
                "/api/machines/tractor/events",
                params={"start": start, "end": end, "timeZone": "Europe/Paris"},
            )
            .json()
        )
        assert [e["id"] for e in found] == ["rental-1"]  # the 20th only, not the 21st

    def test_end_is_exclusive(self, booked: Web) -> None:
        client = booked.as_("bob")
        before = client.get("/api/machines/tractor/events?start=2030-01-19&end=2030-01-20")
        assert before.json() == []
        after = client.get("/api/machines/tractor/events?start=2030-01-22&end=2030-01-23")
        assert [e["id"] for e in after.json()] == ["rental-1"]

    def test_events_are_the_cli_json(self, booked: Web) -> None:
        client = booked.as_("bob")
        one = client.get("/api/machines/tractor/events", params=MONTH).json()
        assert one == booked.cal.events("tractor", None, d(1), d(31))
        every = client.get("/api/events", params=MONTH).json()
        assert every == booked.cal.events(None, None, d(1), d(31))
        assert {e["resourceId"] for e in every} == {"tractor", "saw"}
        mine = client.get("/api/events", params={**MONTH, "member": "bob"}).json()
        assert [e["id"] for e in mine] == ["rental-1"]

    def test_all_statuses(self, booked: Web) -> None:
        booked.cal.cancel(1, acting="bob")
        client = booked.as_("bob")
        assert "rental-1" not in {e["id"] for e in client.get("/api/events", params=MONTH).json()}
        every = client.get("/api/events", params={**MONTH, "all_statuses": "true"}).json()
        assert "rental-1" in {e["id"] for e in every}

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            pytest.param({}, "start", id="no-window"),
            pytest.param({"start": "2030-01-01"}, "end", id="no-end"),
            pytest.param({"start": "soon", "end": "2030-01-02"}, "start", id="not-a-date"),
            pytest.param({"start": "2030-13-01", "end": "2031-01-02"}, "start", id="month-13"),
            pytest.param({"start": "2030-01-05", "end": "2030-01-05"}, "end", id="empty"),
            pytest.param({"start": "2030-01-01", "end": "2040-01-01"}, "end", id="too-long"),
        ],
    )
    def test_refusals(self, web_sqlite: Web, query: dict[str, str], field: str) -> None:
        answer = web_sqlite.as_("bob").get("/api/events", params=query)
        assert answer.status_code == 400
        assert error_of(answer)["field"] == field

    def test_resources(self, web: Web) -> None:
        found = web.as_("bob").get("/api/resources").json()
        assert found == [
            {"id": "saw", "title": "Band saw"},
            {"id": "tractor", "title": "Tractor 6120"},
        ]


class TestEventCaching:
    """The revision is the ETag: 304 until something changes what the calendar shows."""

    def test_etag_and_304(self, booked: Web, monkeypatch: pytest.MonkeyPatch) -> None:
        client = booked.as_("bob")
        first = client.get("/api/events", params=MONTH)
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert first.headers["cache-control"] == "private, no-cache"

        def never(*_args: Any, **_kwargs: Any) -> None:
            raise AssertionError("a 304 must not build the events")

        monkeypatch.setattr(booked.cal, "events", never)
        again = client.get("/api/events", params=MONTH, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        monkeypatch.undo()
        other = client.get("/api/events", params={**MONTH, "machine": "saw"})
        assert other.headers["etag"] != etag  # another representation
        booked.cal.book("saw", d(28), d(28), member="bob")
        changed = client.get("/api/events", params=MONTH, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag

    def test_notifications_do_not_change_it(self, booked: Web) -> None:
        client = booked.as_("bob")
        etag = client.get("/api/events", params=MONTH).headers["etag"]
        booked.cal.mark_read("bob")
        answer = client.get("/api/events", params=MONTH, headers={"If-None-Match": etag})
        assert answer.status_code == 304

    def test_revision(self, booked: Web) -> None:
        client = booked.as_("bob")
        before = client.get("/api/revision").json()["revision"]
        booked.cal.book("saw", d(28), d(28), member="bob")
        assert client.get("/api/revision").json() == {"revision": before + 1}


def _cli(db_url: str, *args: str) -> bytes:
    result = CliRunner().invoke(
        cli_app,
        ["--db", db_url, "events", *args],
        env={"RENTCAL_TODAY": TODAY.isoformat(), "RENTCAL_USER": "ada"},
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


class TestFeedURLs:
    """/feeds/{secret}.ics|.json: the CLI's bytes, conditional GETs, 404 when unknown."""

    @pytest.mark.parametrize(
        ("scope", "args"),
        [
            pytest.param({"machine": "tractor"}, ("--machine", "tractor"), id="machine"),
            pytest.param({"member": "bob"}, ("--member", "bob"), id="member"),
            pytest.param({"all_rentals": True}, (), id="all"),
        ],
    )
    def test_ics_is_the_cli_ics(
        self, booked: Web, db_url: str, scope: dict[str, Any], args: tuple[str, ...]
    ) -> None:
        feed, secret = booked.cal.create_feed("ada", **scope)
        answer = booked.anonymous().get(feed.path(secret))
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
        # an admin's feed: every detail, as on the admin's pages
        assert answer.content == _cli(db_url, "--ics", "--private", *args)
        assert b"BEGIN:VEVENT" in answer.content

    def test_json_is_the_cli_json(self, booked: Web, db_url: str) -> None:
        feed, secret = booked.cal.create_feed("ada", machine="tractor", fmt="json")
        answer = booked.anonymous().get(feed.path(secret))
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == _cli(db_url, "--json", "--machine", "tractor")
        assert json.loads(answer.content)[0]["id"] == "rental-1"

    def test_headers(self, booked: Web) -> None:
        feed, secret = booked.cal.create_feed("bob")
        answer = booked.anonymous().get(feed.path(secret))
        assert answer.headers["cache-control"] == "private, max-age=300"
        assert answer.headers["referrer-policy"] == "no-referrer"
        _, changed_at = booked.cal.revision()
        modified = parsedate_to_datetime(answer.headers["last-modified"])
        assert modified == changed_at.replace(microsecond=0)

    def test_conditional_gets_build_nothing(
        self, booked: Web, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        feed, secret = booked.cal.create_feed("bob")
        client = booked.anonymous()
        first = client.get(feed.path(secret))

        def never(*_args: Any, **_kwargs: Any) -> None:
            raise AssertionError("a 304 must not build the feed")

        monkeypatch.setattr(booked.cal, "ical", never)
        by_etag = client.get(feed.path(secret), headers={"If-None-Match": first.headers["etag"]})
        assert by_etag.status_code == 304
        assert by_etag.headers["referrer-policy"] == "no-referrer"
        weak = client.get(
            feed.path(secret), headers={"If-None-Match": "W/" + first.headers["etag"]}
        )
        assert weak.status_code == 304
        by_date = client.get(
            feed.path(secret), headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        assert by_date.status_code == 304
        monkeypatch.undo()
        stale = client.get(feed.path(secret), headers={"If-None-Match": '"0-nope"'})
        assert stale.status_code == 200
        old = client.get(
            feed.path(secret), headers={"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"}
        )
        assert old.status_code == 200
        junk = client.get(feed.path(secret), headers={"If-Modified-Since": "yesterday"})
        assert junk.status_code == 200

    def test_last_modified_moves_forward_with_changes(self, booked: Web) -> None:
        feed, secret = booked.cal.create_feed("bob")
        client = booked.anonymous()
        first = client.get(feed.path(secret))
        booked.cal.book("saw", d(28), d(28), member="bob")
        second = client.get(feed.path(secret), headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 200
        assert second.headers["etag"] != first.headers["etag"]
        before = parsedate_to_datetime(first.headers["last-modified"])
        assert parsedate_to_datetime(second.headers["last-modified"]) >= before
        assert b"Band saw" in second.content

    def test_head(self, booked: Web) -> None:
        feed, secret = booked.cal.create_feed("bob")
        client = booked.anonymous()
        head = client.head(feed.path(secret))
        get = client.get(feed.path(secret))
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == get.headers["etag"]
        assert head.headers["content-length"] == str(len(get.content))
        assert client.head("/healthz").status_code == 200

    def test_unknown_revoked_and_wrong_extension_are_404(self, booked: Web) -> None:
        feed, secret = booked.cal.create_feed("bob")
        client = booked.anonymous()
        assert client.get(f"/feeds/{secret}.json").status_code == 404  # made as .ics
        assert client.get("/feeds/" + "A" * 43 + ".ics").status_code == 404
        booked.cal.revoke_feed(feed.id, "bob")
        gone = client.get(feed.path(secret))
        assert gone.status_code == 404
        assert secret not in gone.text

    def test_secrets_never_reach_the_log(
        self, booked: Web, caplog: pytest.LogCaptureFixture
    ) -> None:
        feed, secret = booked.cal.create_feed("bob")
        with caplog.at_level("INFO", logger="rentcal.web"):
            booked.anonymous().get(feed.path(secret))
            booked.anonymous().get("/feeds/" + secret + "/nothing-here")
        assert "/feeds/{secret}.ics 200" in caplog.text
        assert "/feeds/[redacted] 404" in caplog.text
        assert secret not in caplog.text


def test_feed_bytes_are_independent_of_the_reader(web: Web, db_url: str) -> None:
    """Anyone holding the URL gets the same document (it is the URL that grants it)."""
    web.cal.book("tractor", d(20), d(22), member="bob", purpose="hay")
    feed, secret = web.cal.create_feed("bob")
    anonymous = web.anonymous().get(feed.path(secret)).content
    with rentcal.connect(db_url) as other:
        assert other.ical(None, "bob", viewer="bob") == anonymous
