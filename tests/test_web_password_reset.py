"""Forgotten passwords on the web (issue #20): /forgot, /api/password-reset, /reset/{secret}.

The pages' answers, CSRF on every form that sets a session, the errors beside
the form, and the log in after a new password. The service's rules (limits,
expiry, what a change revokes) are in tests/test_password_reset.py; nothing
here depends on the backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from unittest import mock

import pytest

import rentcal
from rentcal.web.routes.password_reset import SENT
from tests.conftest import BUSY_TIMEOUT, SQLITE_ONLY, make_clock, seed
from tests.web_support import PASSWORD, SAME_ORIGIN, Web, error_of

pytestmark = SQLITE_ONLY

SECRET = "s" * 43
NEW = "a brand new password"
HTML = {"Accept": "text/html", **SAME_ORIGIN}


@pytest.fixture
def web(db_url: str) -> Iterator[Web]:
    """bob has an address and a password."""
    with rentcal.connect(db_url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        seed(cal)
        cal.edit_member("bob", email="bob@example.org", acting="ada")
        cal.set_password("bob", PASSWORD, acting="ada")
        yield Web(cal)


def resets(web: Web) -> int:
    return sum(i.kind == "password-reset" for i in web.cal.outbox(acting="ada"))


def notice(page: str) -> str:
    found = re.search(r'id="forgot-sent"[^>]*>([^<]*)<', page)
    return found.group(1) if found else ""


def asked(web: Web) -> str:
    """Ask for bob's link with a known secret; that secret."""
    with mock.patch("rentcal.service.password_reset.new_secret", return_value=SECRET):
        web.cal.request_password_reset("bob")
    return SECRET


class TestForgot:
    """The login page links to /forgot; it answers the same whatever was typed."""

    def test_the_login_page_links_to_it(self, web: Web) -> None:
        page = web.anonymous().get("/login").text
        assert 'href="/forgot">Forgot password?</a>' in page

    def test_the_form(self, web: Web) -> None:
        answer = web.anonymous().get("/forgot")
        assert answer.status_code == 200
        assert 'name="who"' in answer.text
        assert "script-src" not in answer.headers["content-security-policy"]

    @pytest.mark.parametrize("who", ["bob", "bob@example.org", "nobody", "carol"])
    def test_the_same_answer(self, web: Web, who: str) -> None:
        answer = web.anonymous().post("/forgot", data={"who": who}, headers=HTML)
        assert answer.status_code == 200
        assert notice(answer.text).startswith(SENT)
        assert resets(web) == (1 if who.startswith("bob") else 0)

    def test_nothing_typed(self, web: Web) -> None:
        answer = web.anonymous().post("/forgot", data={"who": " "}, headers=HTML)
        assert answer.status_code == 400
        assert "type a handle or address" in answer.text and not notice(answer.text)

    @pytest.mark.parametrize(
        "headers", [{}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
    )
    def test_csrf(self, web: Web, headers: dict[str, str]) -> None:
        answer = web.anonymous().post("/forgot", data={"who": "bob"}, headers=headers)
        assert answer.status_code == 403 and error_of(answer)["code"] == "csrf"
        assert resets(web) == 0


class TestApi:
    """``POST /api/password-reset``: JSON in, the same 202 out."""

    @pytest.mark.parametrize("who", ["bob", "nobody"])
    def test_the_same_answer(self, web: Web, who: str) -> None:
        answer = web.anonymous().post(
            "/api/password-reset", json={"handle_or_email": who}, headers=SAME_ORIGIN
        )
        assert (answer.status_code, answer.json()) == (202, {"status": SENT})
        assert resets(web) == (who == "bob")

    @pytest.mark.parametrize("body", [{}, {"handle_or_email": 5}, [], {"handle_or_email": ""}])
    def test_missing(self, web: Web, body: object) -> None:
        answer = web.anonymous().post("/api/password-reset", json=body, headers=SAME_ORIGIN)
        assert answer.status_code == 400
        assert error_of(answer)["field"] == "handle_or_email"


class TestReset:
    """/reset/{secret}: the form, its errors beside it, then logged in and home."""

    def test_the_form_sends_no_referrer(self, web: Web) -> None:
        answer = web.anonymous().get(f"/reset/{SECRET}")
        assert answer.status_code == 200
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert f'action="/reset/{SECRET}"' in answer.text

    def test_a_new_password_logs_in_and_ends_the_old_sessions(self, web: Web) -> None:
        before = web.login("bob")
        secret = asked(web)
        client = web.anonymous(follow_redirects=False)
        answer = client.post(
            f"/reset/{secret}", data={"password": NEW, "password2": NEW}, headers=HTML
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/")
        assert client.get("/api/me").json()["handle"] == "bob"
        assert before.get("/api/me").status_code == 401
        web.login("bob", NEW)

    @pytest.mark.parametrize(
        ("secret", "fields", "words"),
        [
            (SECRET, {"password": NEW, "password2": NEW + "x"}, "the passwords differ"),
            (SECRET, {"password": "short", "password2": "short"}, "password"),
            ("x" * 43, {"password": NEW, "password2": NEW}, "already used or expired"),
        ],
        ids=["differ", "short", "unknown"],
    )
    def test_errors_beside_the_form(
        self, web: Web, secret: str, fields: dict[str, str], words: str
    ) -> None:
        asked(web)
        answer = web.anonymous().post(f"/reset/{secret}", data=fields, headers=HTML)
        assert answer.status_code == 400
        error = re.search(r'id="reset-error"[^>]*>([^<]+)<', answer.text)
        assert error is not None and words in error.group(1)
        assert "set-cookie" not in answer.headers or "rentcal_session" not in str(
            answer.headers.get_list("set-cookie")
        )

    def test_csrf(self, web: Web) -> None:
        secret = asked(web)
        answer = web.anonymous().post(
            f"/reset/{secret}",
            data={"password": NEW, "password2": NEW},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
        web.login("bob")  # the password did not change
