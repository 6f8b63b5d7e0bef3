"""Calendar subscriptions that work (#21): /me shows how to subscribe to a new feed URL,
and any member may subscribe to a machine's calendar, seeing others' bookings as the
pages show them (rentcal.core.privacy)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

import rentcal
from rentcal.frontend.base_url import is_loopback, webcal_url
from rentcal.frontend.subscription import subscription
from rentcal.web import Settings
from tests.conftest import d
from tests.test_pages import HTML, Pages, text_of

PUBLIC_BASE = "https://rentcal.example.org"


def _as_bob(pages: Pages) -> TestClient:
    """bob over https (an https base URL makes the flash cookie Secure)."""
    client = TestClient(pages.app, base_url="https://testserver", follow_redirects=False)
    _, secret = pages.cal.create_token("bob")
    client.headers.update({"Authorization": f"Bearer {secret}", **HTML})
    return client


def _new_feed_page(pages: Pages, **form: str) -> str:
    """/me right after bob made a feed URL (the one page that shows it)."""
    client = _as_bob(pages)
    answer = client.post("/me/feeds", data={"scope": "mine", "format": "ics", **form})
    assert answer.status_code == 303, answer.text
    return client.get("/me").text


class TestLoopback:
    """Which base URLs only this computer can reach."""

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8000/feeds/x.ics",
            "http://127.8.9.10/feeds/x.ics",
            "http://[::1]:8000/feeds/x.ics",
            "http://localhost:8000/feeds/x.ics",
            "https://LocalHost/feeds/x.ics",
            "http://app.localhost/feeds/x.ics",
        ],
    )
    def test_loopback(self, url: str) -> None:
        assert is_loopback(url)

    @pytest.mark.parametrize(
        "url",
        [
            "https://rentcal.example.org/feeds/x.ics",
            "http://192.168.1.20:8000/feeds/x.ics",
            "http://[2001:db8::1]/feeds/x.ics",
            "http://localhost.example.org/feeds/x.ics",
            "http://[::1/feeds/x.ics",  # not a URL at all
            "",
        ],
    )
    def test_not_loopback(self, url: str) -> None:
        assert not is_loopback(url)

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("http://127.0.0.1:8000/feeds/x.ics", "webcal://127.0.0.1:8000/feeds/x.ics"),
            (
                "https://rentcal.example.org/r/feeds/x.ics",
                "webcal://rentcal.example.org/r/feeds/x.ics",
            ),
            ("HTTPS://rentcal.example.org/feeds/x.ics", "webcal://rentcal.example.org/feeds/x.ics"),
            ("ftp://example.org/x.ics", None),
        ],
    )
    def test_webcal(self, url: str, expected: str | None) -> None:
        assert webcal_url(url) == expected

    def test_json_feeds_get_no_webcal_link(self) -> None:
        assert subscription(PUBLIC_BASE + "/feeds/x.json").webcal is None


class TestSubscribeSteps:
    """The page beside a new .ics feed URL: webcal link, copy button, steps, warning."""

    def test_public_base_url(self, seeded: rentcal.Rentcal) -> None:
        page = _new_feed_page(Pages(seeded, Settings(base_url=PUBLIC_BASE)))
        url = text_of(page, "flash-secret")
        assert re.fullmatch(PUBLIC_BASE + r"/feeds/[\w-]{43}\.ics", url)
        webcal = "webcal://" + url.removeprefix("https://")
        assert f'id="webcal-link" href="{webcal}"' in page
        assert 'id="copy-url" data-copy="flash-secret" hidden' in page  # shown by the script
        assert "/static/subscribe.js" in page
        steps = text_of(page, "subscribe-steps")
        for app in ("Google Calendar", "Outlook", "Apple Calendar"):
            assert app in steps
        assert "From URL" in steps and "Subscribe from web" in steps
        assert "loopback-warning" not in page

    @pytest.mark.parametrize(
        "base", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]
    )
    def test_loopback_base_url_warns(self, seeded: rentcal.Rentcal, base: str) -> None:
        page = _new_feed_page(Pages(seeded, Settings(base_url=base)))
        warning = text_of(page, "loopback-warning")
        assert "Only this computer can open this URL" in warning
        assert base.removeprefix("http://") in warning
        assert "--base-url" in warning
        assert "webcal-link" in page  # still usable on this computer

    def test_json_feed_has_no_calendar_steps(self, seeded: rentcal.Rentcal) -> None:
        page = _new_feed_page(Pages(seeded, Settings(base_url=PUBLIC_BASE)), format="json")
        assert text_of(page, "flash-secret").endswith(".json")
        assert "webcal-link" not in page and "subscribe-steps" not in page
        assert "event source" in text_of(page, "subscribe")

    def test_shown_once(self, seeded: rentcal.Rentcal) -> None:
        pages = Pages(seeded, Settings(base_url=PUBLIC_BASE))
        client = _as_bob(pages)
        client.post("/me/feeds", data={"scope": "mine", "format": "ics"})
        assert "subscribe-steps" in client.get("/me").text
        assert "subscribe-steps" not in client.get("/me").text


class TestMachineFeedsForMembers:
    """A member's feed of a machine: others' bookings without purpose and price."""

    @pytest.fixture
    def pages(self, seeded: rentcal.Rentcal) -> Pages:
        seeded.book("tractor", d(12), d(13), member="bob", purpose="bob hay")
        dan = seeded.book("tractor", d(20), d(22), member="dan", purpose="dan gravel")
        seeded.approve(dan.id, acting="ada")
        seeded.add_maintenance("tractor", d(25), d(25), notes="new hydraulics", acting="ada")
        return Pages(seeded)

    def _feed(self, pages: Pages, handle: str, **form: str) -> str:
        client = pages.as_(handle)
        answer = client.post("/me/feeds", data={"format": "ics", **form})
        assert answer.status_code == 303, answer.text
        return text_of(client.get("/me").text, "flash-secret")

    @staticmethod
    def _get(pages: Pages, url: str) -> tuple[int, str]:
        answer = TestClient(pages.app).get(url)
        return answer.status_code, answer.content.replace(b"\r\n ", b"").decode()

    @pytest.mark.parametrize(
        "form",
        [{"scope": "machine", "machine": "tractor"}, {"scope": "all"}],
        ids=["machine", "all"],
    )
    def test_others_private_details_left_out(self, pages: Pages, form: dict[str, str]) -> None:
        status, body = self._get(pages, self._feed(pages, "bob", **form))
        assert status == 200
        assert "Rented by Dan Driver" in body  # when the tractor is taken, and by whom
        assert "dan gravel" not in body and "Price: 360.00" not in body  # dan's, private
        assert "Member: Bob Baker (bob)\\nPurpose: bob hay\\nPrice: 240.00" in body  # own
        assert "Maintenance: Preventive" in body and "new hydraulics" not in body  # admins'
        (feed,) = pages.cal.feed_tokens("bob")
        assert feed.scope.value == form["scope"]

    def test_an_admins_machine_feed_shows_everything(self, pages: Pages) -> None:
        _, body = self._get(pages, self._feed(pages, "ada", scope="machine", machine="tractor"))
        assert "dan gravel" in body and "bob hay" in body and "new hydraulics" in body

    def test_stops_when_revoked(self, pages: Pages) -> None:
        url = self._feed(pages, "bob", scope="machine", machine="tractor")
        (feed,) = pages.cal.feed_tokens("bob")
        pages.as_("bob").post(f"/me/feeds/{feed.id}/revoke", data={})
        assert self._get(pages, url)[0] == 404

    def test_stops_when_the_member_is_deactivated(self, pages: Pages) -> None:
        url = self._feed(pages, "bob", scope="all")
        assert self._get(pages, url)[0] == 200
        pages.cal.deactivate_member("bob", acting="ada")
        assert self._get(pages, url)[0] == 404
        pages.cal.reactivate_member("bob", acting="ada")
        assert self._get(pages, url)[0] == 404  # revoked for good

    def test_the_form_offers_machines_to_members(self, pages: Pages) -> None:
        page = pages.as_("bob").get("/me").text
        assert '<option value="machine">One machine</option>' in page
        assert '<option value="all">All machines</option>' in page
        assert 'id="feed-machine"' in page
        assert "other members' purposes and prices stay private" in page

    def test_one_machine_needs_a_machine(self, pages: Pages) -> None:
        answer = pages.as_("bob").post("/me/feeds", data={"scope": "machine", "machine": ""})
        assert answer.status_code == 400
        assert text_of(answer.text, "feed-machine-error") == "choose the machine the feed shows"
        assert pages.cal.feed_tokens("bob") == []
