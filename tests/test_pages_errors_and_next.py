"""Issue 21: back to the very link after logging in, and error pages a browser can read.

``next`` survives the login page, its form and failed attempts, and is only ever a
path of this site (open-redirect attempts land on the booking page). A browser
asking for a missing or refused page gets the site's layout; scripts and /api keep
the JSON of rentcal.web.error_responses, unchanged.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

import rentcal
from rentcal.web import Settings, create_app
from rentcal.web.accept import prefers_html
from rentcal.web.next_path import local_path, next_or_home

PASSWORD = "correct horse battery"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
EVIL = [
    pytest.param("https://evil.example/", id="absolute-url"),
    pytest.param("//evil.example/", id="scheme-relative"),
    pytest.param("/\\evil.example/", id="slash-backslash"),
    pytest.param("\\\\evil.example/", id="backslashes"),
    pytest.param("/ok\\..\\x", id="backslash-inside"),
    pytest.param("/\t/evil.example/", id="tab-dropped-by-browsers"),
    pytest.param("/\n/evil.example/", id="newline"),
    pytest.param("evil.example", id="no-slash"),
    pytest.param("", id="empty"),
    pytest.param("/" + "a" * 2001, id="too-long"),
]


@pytest.fixture
def app(seeded: rentcal.Rentcal) -> TestClient:
    seeded.set_password("bob", PASSWORD, acting="ada")
    return TestClient(create_app(seeded, Settings()), follow_redirects=False)


def login_form(client: TestClient, next_: str, password: str = PASSWORD) -> object:
    return client.post(
        "/login",
        data={"handle": "bob", "password": password, "next": next_},
        headers={**BROWSER, "Origin": "http://testserver"},
    )


class TestNextPath:
    """Only a path of this site is ever followed after logging in."""

    @pytest.mark.parametrize("target", ["/", "/?machine=tractor", "/me#feeds", "/rentals/5"])
    def test_site_paths_are_kept(self, target: str) -> None:
        assert local_path(target) == target

    @pytest.mark.parametrize("target", EVIL)
    def test_other_hosts_are_refused(self, target: str) -> None:
        assert local_path(target) is None
        assert next_or_home(target) == "/"


class TestLoginComesBack:
    """A stranger following a link logs in and lands on that link, query included."""

    def test_link_to_login_and_back_with_its_query(self, app: TestClient) -> None:
        sent = app.get("/?machine=tractor&month=2030-02", headers=BROWSER)
        assert sent.status_code == 303
        location = urlsplit(sent.headers["location"])
        assert location.path == "/login"
        (target,) = parse_qs(location.query)["next"]
        assert target == "/?machine=tractor&month=2030-02"
        page = app.get(sent.headers["location"])
        assert f'name="next" value="{target.replace("&", "&amp;")}"' in page.text
        done = login_form(app, target)
        assert done.status_code == 303
        assert done.headers["location"] == "/?machine=tractor&month=2030-02"

    def test_a_failed_attempt_keeps_next(self, app: TestClient) -> None:
        wrong = login_form(app, "/?machine=tractor", password="not it")
        assert wrong.status_code == 401
        assert 'name="next" value="/?machine=tractor"' in wrong.text
        assert login_form(app, "/?machine=tractor").headers["location"] == "/?machine=tractor"

    @pytest.mark.parametrize("target", EVIL)
    def test_open_redirects_are_refused(self, app: TestClient, target: str) -> None:
        page = app.get("/login", params={"next": target})
        assert 'name="next" value="/"' in page.text
        assert login_form(app, target).headers["location"] == "/"


class TestAccept:
    """HTML only when the client ranks it at least as high as JSON."""

    @pytest.mark.parametrize(
        ("accept", "html"),
        [
            (BROWSER["Accept"], True),
            ("text/html", True),
            ("application/json", False),
            ("*/*", False),
            ("", False),
            ("application/json, text/html;q=0.5", False),
            ("text/html;q=0", False),
            ("text/html;q=0.9, application/json;q=0.9", True),
        ],
    )
    def test_preference(self, accept: str, html: bool) -> None:
        assert prefers_html(accept) is html


class TestErrorPages:
    """A browser gets the site's layout; scripts and /api the JSON they always got."""

    def _as_bob(self, app: TestClient) -> TestClient:
        assert login_form(app, "/").status_code == 303  # the client keeps the cookie
        return app

    def test_missing_page_for_a_browser_and_json_for_a_script(self, app: TestClient) -> None:
        client = self._as_bob(app)
        page = client.get("/no-such-page", headers=BROWSER)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Page not found</h1>" in page.text
        assert 'aria-label="Main"' in page.text  # the member's own menu, as on every page
        assert "content-security-policy" in page.headers
        script = client.get("/no-such-page", headers={"Accept": "application/json"})
        assert script.status_code == 404
        assert script.json()["code"] == "not_found"
        assert client.get("/no-such-page").json()["code"] == "not_found"  # Accept: */*
        api = client.get("/api/no-such-thing", headers=BROWSER)
        assert api.status_code == 404 and api.json()["error"] == "no such page or endpoint"

    def test_method_not_allowed_page(self, app: TestClient) -> None:
        page = self._as_bob(app).get("/logout", headers=BROWSER)
        assert page.status_code == 405
        assert "<h1>Not possible here</h1>" in page.text

    def test_refused_page_for_a_browser(self, app: TestClient) -> None:
        client = self._as_bob(app)
        page = client.post("/api/rentals", headers=BROWSER)  # /api: JSON even for a browser
        assert page.headers["content-type"].startswith("application/json")
        refused = client.post("/admin/machines", headers={**BROWSER, "Origin": "https://evil"})
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "<h1>Not allowed</h1>" in refused.text

    def test_a_stranger_is_sent_to_login_with_next(self, app: TestClient) -> None:
        sent = app.get("/me", headers=BROWSER)
        assert (sent.status_code, sent.headers["location"]) == (303, "/login?next=/me")
        script = app.get("/me", headers={"Accept": "application/json"})
        assert script.status_code == 401 and script.json()["code"] == "unauthenticated"
