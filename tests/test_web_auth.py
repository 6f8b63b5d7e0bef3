"""Browser sessions and CSRF: login, logout, expiry, throttling across app instances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest

import rentcal
from rentcal.web import Settings
from tests.conftest import BOTH, TODAY, seed
from tests.web_support import BASE, PASSWORD, SAME_ORIGIN, Web, error_of

pytestmark = BOTH

JSON = {"Accept": "application/json"}
CHECK = {"machine": "saw", "start": "2030-01-20", "end": "2030-01-20"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cals(db_url: str, clock: Clock) -> Iterator[tuple[rentcal.Rentcal, rentcal.Rentcal]]:
    """Two connections to one database: two servers (workers or hosts)."""
    with (
        rentcal.connect(db_url, clock=clock, busy_timeout=5) as one,
        rentcal.connect(db_url, clock=clock, busy_timeout=5) as two,
    ):
        seed(one)
        one.set_password("bob", PASSWORD, acting="bob")
        yield one, two


@pytest.fixture
def pair(cals: tuple[rentcal.Rentcal, rentcal.Rentcal]) -> tuple[Web, Web]:
    return Web(cals[0]), Web(cals[1])


def _cookies(answer: object) -> dict[str, SimpleCookie]:
    found: dict[str, SimpleCookie] = {}
    for header in answer.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


def _login(client: object, password: str = PASSWORD, handle: str = "bob", **headers: str) -> object:
    return client.post(  # type: ignore[attr-defined]
        "/login",
        data={"handle": handle, "password": password},
        headers={**SAME_ORIGIN, **JSON, **headers},
    )


class TestLogin:
    """POST /login sets a strict session cookie; the answer never tells what was wrong."""

    @pytest.fixture
    def db_url(self, sqlite_url: str) -> str:
        """Decided by the web layer alone: SQLite is enough."""
        return sqlite_url

    def test_form_login_redirects_with_the_cookies(self, pair: tuple[Web, Web]) -> None:
        web, _ = pair
        client = web.anonymous(follow_redirects=False)
        answer = client.post(
            "/login",
            data={"handle": "bob", "password": PASSWORD, "next": "/rentals/3"},
            headers={**SAME_ORIGIN, "Accept": "text/html"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/rentals/3"
        cookies = _cookies(answer)
        session = cookies["rentcal_session"]["rentcal_session"]
        assert session["httponly"] is True
        assert session["samesite"] == "lax"
        assert session["path"] == "/"
        assert not session["secure"]
        assert len(session.value) >= 43  # 256 bits, URL-safe base64
        csrf = cookies["csrftoken"]["csrftoken"]
        assert not csrf["httponly"]  # the page's script reads it
        assert client.get("/api/me").json()["handle"] == "bob"

    @pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "x", "/\\x"])
    def test_next_stays_on_this_site(self, pair: tuple[Web, Web], target: str) -> None:
        client = pair[0].anonymous(follow_redirects=False)
        answer = client.post(
            "/login",
            data={"handle": "bob", "password": PASSWORD, "next": target},
            headers={**SAME_ORIGIN, "Accept": "text/html"},
        )
        assert answer.headers["location"] == "/"

    def test_json_login_answers_who(self, pair: tuple[Web, Web]) -> None:
        client = pair[0].anonymous()
        answer = client.post(
            "/login", json={"handle": "bob", "password": PASSWORD}, headers=SAME_ORIGIN
        )
        assert answer.status_code == 200
        assert answer.json()["handle"] == "bob"

    def test_https_base_url_makes_cookies_secure(
        self, cals: tuple[rentcal.Rentcal, rentcal.Rentcal]
    ) -> None:
        web = Web(cals[0], Settings(base_url="https://rentcal.example.org"))
        answer = _login(web.anonymous(), Origin="https://rentcal.example.org")
        assert answer.status_code == 200
        for name, cookie in _cookies(answer).items():
            assert cookie[name]["secure"] is True

    def test_wrong_handle_and_wrong_password_look_the_same(self, pair: tuple[Web, Web]) -> None:
        client = pair[0].anonymous()
        wrong_password = _login(client, "not the password")
        wrong_handle = _login(client, PASSWORD, handle="nobody")
        assert wrong_password.status_code == wrong_handle.status_code == 401
        one, two = error_of(wrong_password), error_of(wrong_handle)
        assert {**one, "request_id": ""} == {**two, "request_id": ""}
        assert one["code"] == "unauthenticated"
        assert "set-cookie" not in wrong_password.headers

    def test_a_failed_browser_login_shows_the_form_again(self, pair: tuple[Web, Web]) -> None:
        client = pair[0].anonymous()
        answer = client.post(
            "/login",
            data={"handle": "bob", "password": "nope-nope"},
            headers={**SAME_ORIGIN, "Accept": "text/html"},
        )
        assert answer.status_code == 401
        assert "text/html" in answer.headers["content-type"]
        assert "wrong handle or password" in answer.text
        assert 'value="bob"' in answer.text

    def test_the_login_page(self, pair: tuple[Web, Web]) -> None:
        answer = pair[0].anonymous().get("/login?next=/x")
        assert answer.status_code == 200
        assert 'action="/login"' in answer.text
        assert 'name="password"' in answer.text
        assert 'name="next" value="/x"' in answer.text
        assert "<script" not in answer.text
        assert "script-src" not in answer.headers["content-security-policy"]
        assert "csrftoken" in _cookies(answer)

    def test_missing_fields_and_other_bodies(self, pair: tuple[Web, Web]) -> None:
        client = pair[0].anonymous()
        answer = client.post("/login", data={"handle": "bob"}, headers={**SAME_ORIGIN, **JSON})
        assert answer.status_code == 400
        assert error_of(answer)["field"] == "password"
        plain = client.post(
            "/login",
            content=b"bob",
            headers={**SAME_ORIGIN, "Content-Type": "text/plain"},
        )
        assert plain.status_code == 415


class TestSessions:
    """Sessions live in the database: any app instance honours them; logout and idling end them."""

    def test_a_session_works_on_the_other_instance(self, pair: tuple[Web, Web]) -> None:
        one, two = pair
        client = one.anonymous()
        assert _login(client).status_code == 200
        other = two.anonymous(cookies=dict(client.cookies))
        assert other.get("/api/me").json()["handle"] == "bob"

    def test_logout_revokes_everywhere(self, pair: tuple[Web, Web]) -> None:
        one, two = pair
        client = one.anonymous()
        _login(client)
        cookies = dict(client.cookies)
        answer = two.anonymous(cookies=cookies).post("/logout", headers=SAME_ORIGIN)
        assert answer.status_code == 200
        assert one.anonymous(cookies=cookies).get("/api/me").status_code == 401

    def test_idle_sessions_expire(self, pair: tuple[Web, Web], clock: Clock) -> None:
        one, two = pair
        client = one.anonymous()
        _login(client)
        cookies = dict(client.cookies)
        clock.advance(days=13)
        assert two.anonymous(cookies=cookies).get("/api/me").status_code == 200  # slides
        clock.advance(days=13)
        assert one.anonymous(cookies=cookies).get("/api/me").status_code == 200
        clock.advance(days=14, seconds=1)
        answer = one.anonymous(cookies=cookies).get("/api/me")
        assert answer.status_code == 401

    def test_throttling_holds_across_instances(self, pair: tuple[Web, Web], clock: Clock) -> None:
        one, two = pair
        for _ in range(5):
            assert _login(one.anonymous(), "wrong password").status_code == 401
        answer = _login(two.anonymous())  # the right password, another server
        assert answer.status_code == 429
        assert error_of(answer)["code"] == "throttled"
        assert 1 <= int(answer.headers["retry-after"]) <= 15 * 60
        one.cal.set_password("dan", PASSWORD, acting="ada")
        assert _login(two.anonymous(), handle="dan").status_code == 200  # others unaffected
        clock.advance(minutes=15, seconds=1)
        assert _login(one.anonymous()).status_code == 200


class TestCrossOrigin:
    """Unsafe session requests must come from this site; bearer-token requests need not."""

    @pytest.fixture
    def db_url(self, sqlite_url: str) -> str:
        """Decided by the web layer alone: SQLite is enough."""
        return sqlite_url

    @pytest.fixture
    def browser(self, pair: tuple[Web, Web]) -> object:
        client = pair[0].anonymous()
        assert _login(client).status_code == 200
        return client

    def _check(self, client: object, headers: dict[str, str]) -> int:
        answer = client.post("/api/check-availability", json=CHECK, headers=headers)  # type: ignore[attr-defined]
        if answer.status_code == 403:
            assert error_of(answer)["code"] == "csrf"
        return int(answer.status_code)

    @pytest.mark.parametrize(
        ("headers", "status"),
        [
            pytest.param({"Origin": BASE}, 200, id="same-origin"),
            pytest.param({"Origin": "http://evil.example"}, 403, id="cross-site-origin"),
            pytest.param({"Origin": "null"}, 403, id="null-origin"),
            pytest.param({}, 403, id="no-origin"),
            pytest.param({"Referer": BASE + "/rentals"}, 200, id="same-referer"),
            pytest.param({"Referer": "http://evil.example/"}, 403, id="cross-referer"),
            pytest.param({"Sec-Fetch-Site": "same-origin"}, 200, id="fetch-same-origin"),
            pytest.param({"Sec-Fetch-Site": "none"}, 200, id="fetch-none"),
            pytest.param({"Sec-Fetch-Site": "cross-site", "Origin": BASE}, 403, id="fetch-cross"),
            pytest.param({"Sec-Fetch-Site": "same-site"}, 403, id="fetch-same-site"),
        ],
    )
    def test_session_requests(self, browser: object, headers: dict[str, str], status: int) -> None:
        assert self._check(browser, headers) == status

    def test_the_design_csrf_header(self, browser: object) -> None:
        token = browser.cookies["csrftoken"]  # type: ignore[attr-defined]
        assert self._check(browser, {"X-CSRFToken": token}) == 200
        assert self._check(browser, {"X-CSRFToken": token + "x"}) == 403

    def test_bearer_tokens_need_no_origin(self, pair: tuple[Web, Web]) -> None:
        assert self._check(pair[0].as_("bob"), {}) == 200

    def test_login_itself_is_checked(self, pair: tuple[Web, Web]) -> None:
        answer = _login(pair[0].anonymous(), Origin="http://evil.example")
        assert answer.status_code == 403
        assert error_of(answer)["code"] == "csrf"

    def test_the_base_url_origin_is_this_site(
        self, cals: tuple[rentcal.Rentcal, rentcal.Rentcal]
    ) -> None:
        web = Web(cals[0], Settings(base_url="https://rentcal.example.org/"))
        client = web.anonymous(base_url="https://backend.internal")  # Secure cookies: https
        assert _login(client, Origin="https://rentcal.example.org").status_code == 200
        assert self._check(client, {"Origin": "https://rentcal.example.org"}) == 200
        assert self._check(client, {"Origin": "http://rentcal.example.org"}) == 403

    def test_refusals_leave_nothing_behind(self, browser: object, pair: tuple[Web, Web]) -> None:
        answer = browser.post(  # type: ignore[attr-defined]
            "/api/rentals", json=CHECK, headers={"Origin": "http://evil.example"}
        )
        assert answer.status_code == 403
        assert pair[0].cal.rentals() == []
