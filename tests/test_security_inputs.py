"""No input gets a 500: the listed regressions, then hypothesis over every page and form.

The JSON API is fuzzed against its schema (tests/test_web_schema.py); the HTML
pages, their forms, query strings and cookies have no schema, so here
hypothesis sends them arbitrary text through Starlette's TestClient and every
answer must be below 500. Examples are bounded so the suite stays fast.
"""

from __future__ import annotations

import base64
import json

import pytest

import rentcal
from tests.web_support import PASSWORD, SAME_ORIGIN, Web

HTML = {"Accept": "text/html"}
#: JSON nested deeper than the parser's recursion limit, as a cookie could hold it.
DEEP = base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode()


@pytest.fixture
def web(seeded: rentcal.Rentcal) -> Web:
    seeded.set_password("bob", PASSWORD, acting="ada")
    return Web(seeded)


class TestLoginBodies:
    """``POST /login`` reads a body before anything is checked: every shape gets a 4xx."""

    def test_eleven_form_fields(self, web: Web) -> None:
        body = "&".join(f"f{i}=x" for i in range(11))
        answer = web.anonymous().post(
            "/login",
            content=body,
            headers={**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 400, answer.text
        assert "fields" in answer.text

    def test_json_nested_twenty_thousand_deep(self, web: Web) -> None:
        body = "[" * 20_000 + "]" * 20_000
        answer = web.anonymous().post(
            "/login",
            content=body,
            headers={**SAME_ORIGIN, "Content-Type": "application/json"},
        )
        assert answer.status_code == 400, answer.text

    @pytest.mark.parametrize("where", ["password", "handle"])
    def test_a_lone_surrogate(self, web: Web, where: str) -> None:
        data = {"handle": "bob", "password": PASSWORD, where: "x\ud800y"}
        answer = web.anonymous().post(
            "/login",
            content=json.dumps(data),
            headers={**SAME_ORIGIN, "Content-Type": "application/json"},
        )
        assert answer.status_code in (400, 401), answer.text

    def test_a_lone_surrogate_in_a_form(self, web: Web) -> None:
        answer = web.anonymous().post(
            "/login",
            content="handle=bob&password=%ED%A0%80",
            headers={**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code < 500, answer.text


class TestCalendarEdges:
    """The first and last months and days of the calendar, on the booking page."""

    @pytest.mark.parametrize("month", ["0001-01", "9999-12", "0001-01-01", "9999-12-31"])
    def test_a_month_at_either_end(self, web: Web, month: str) -> None:
        answer = web.as_("bob", headers=HTML).get("/", params={"month": month})
        assert answer.status_code == 200, answer.text

    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
    def test_checking_the_last_and_first_day(self, web: Web, day: str) -> None:
        query = {"machine": "saw", "start": day, "end": day}
        answer = web.as_("bob", headers=HTML).get("/", params=query)
        assert answer.status_code == 200, answer.text

    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
    def test_booking_the_last_and_first_day(self, web: Web, day: str) -> None:
        form = {"machine": "saw", "start": day, "end": day, "purpose": "edge"}
        answer = web.as_("bob", headers=HTML, follow_redirects=False).post("/", data=form)
        assert answer.status_code < 500, answer.text


class TestFlashCookie:
    """``rentcal_flash`` is ours, but a browser sends back whatever it holds."""

    @pytest.mark.parametrize(
        "value",
        [
            [1, 2],
            None,
            7,
            "text",
            {"kind": "feed", "value": {"nested": 1}, "id": "1"},
            {"kind": ["feed"], "value": "v", "id": "1"},
            {"a": [1]},
            {"x": None},
        ],
        ids=repr,
    )
    def test_unexpected_json(self, web: Web, value: object) -> None:
        raw = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
        client = web.as_("bob", headers=HTML)
        client.cookies.set("rentcal_flash", raw, path="/me")
        answer = client.get("/me")
        assert answer.status_code == 200, answer.text

    @pytest.mark.parametrize(
        "raw", ["%%%", "aGVsbG8", "/w==", "gA==", "7aCA", DEEP], ids=lambda raw: raw[:10]
    )
    def test_not_base64_json(self, web: Web, raw: str) -> None:
        client = web.as_("bob", headers=HTML)
        client.cookies.set("rentcal_flash", raw, path="/me")
        assert client.get("/me").status_code == 200
