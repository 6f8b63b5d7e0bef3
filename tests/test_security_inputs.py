"""No input gets a 500: the listed regressions, then hypothesis over every page and form.

The JSON API is fuzzed against its schema (tests/test_web_schema.py); the HTML
pages, their forms, query strings and cookies have no schema, so here
hypothesis sends them arbitrary text through Starlette's TestClient and every
answer must be below 500. Examples are bounded so the suite stays fast.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rentcal
from tests.conftest import TODAY
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


# --- fuzzing: every page route and form -------------------------------------------------

#: The GET pages (their query strings are fuzzed); {id} is a real rental's.
PAGES = ("/", "/schedule", "/me", "/admin", "/login", "/rentals/{id}", "/rentals/999999")
#: Every form a page posts to; {id}, {machine}, {handle} name real rows.
FORMS = (
    "/",
    "/login",
    "/logout",
    "/me/notifications/read",
    "/me/feeds",
    "/me/feeds/1/revoke",
    "/me/tokens",
    "/me/tokens/1/revoke",
    "/me/password",
    "/rentals/{id}/cancel",
    "/rentals/{id}/approve",
    "/rentals/{id}/edit",
    "/admin/rentals/{id}/approve",
    "/admin/rentals/{id}/reject",
    "/admin/members/{handle}/verify",
    "/admin/members/{handle}/edit",
    "/admin/members/{handle}/role",
    "/admin/members/{handle}/deactivate",
    "/admin/machines",
    "/admin/machines/{machine}/edit",
    "/admin/machines/{machine}/retire",
    "/admin/machines/{machine}/reactivate",
    "/admin/maintenance",
    "/admin/maintenance/1/edit",
    "/admin/maintenance/1/cancel",
)
#: The field names our forms and pages read, and a few they do not.
NAMES = (
    "machine", "start", "end", "month", "purpose", "next", "done", "handle", "password",
    "new_password", "current_password", "name", "email", "role", "daily_price", "title",
    "notes", "kind", "reason", "request_expiry_hours", "requires_approval", "form_key",
    "status", "x",
)  # fmt: skip
#: Values at the edges of what the fields take.
EDGES = (
    "", " ", "0", "-1", "1e309", "nan", "9" * 30, "0001-01-01", "9999-12-31", "0001-01",
    "9999-12", "10000-01-01", "2030-02-30", "saw", "tractor", "bob", "ada", "admin", "\x00",
    "a" * 3000, "../", "%", "＄", "٣", "2030-01-09T00:00",
)  # fmt: skip
KINDS = (
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/json",
    "multipart/form-data; boundary=x",
    "text/plain",
)
#: Text a browser can send (no lone surrogates: they cannot be encoded).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUES = st.one_of(st.sampled_from(EDGES), TEXT, st.dates().map(date.isoformat))
FIELDS = st.dictionaries(st.one_of(st.sampled_from(NAMES), TEXT), VALUES, max_size=8)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Fuzz:
    """One app with a rental, and an admin's client (bearer: no CSRF in the way)."""

    def __init__(self, cal: rentcal.Rentcal) -> None:
        self.web = Web(cal)
        rental = cal.book(
            "tractor", TODAY + timedelta(days=3), TODAY + timedelta(days=4), member="bob"
        )
        self.names = {"id": str(rental.id), "machine": "saw", "handle": "carol"}
        self.client = self.web.as_("ada", headers=HTML, follow_redirects=False)

    def path(self, template: str) -> str:
        return template.format(**self.names)


@pytest.fixture
def fuzz(web: Web) -> Fuzz:
    return Fuzz(web.cal)


def _fine(answer: Any) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:2000])


@FUZZ
@given(page=st.sampled_from(PAGES), query=FIELDS)
def test_page_query_strings(fuzz: Fuzz, page: str, query: dict[str, str]) -> None:
    _fine(fuzz.client.get(fuzz.path(page), params=query))


@FUZZ
@given(form=st.sampled_from(FORMS), fields=FIELDS)
def test_form_fields(fuzz: Fuzz, form: str, fields: dict[str, str]) -> None:
    _fine(fuzz.client.post(fuzz.path(form), data=fields))


@FUZZ
@given(form=st.sampled_from(FORMS), body=st.binary(max_size=200), kind=st.sampled_from(KINDS))
def test_raw_form_bodies(fuzz: Fuzz, form: str, body: bytes, kind: str) -> None:
    """Bytes no browser sends: invalid UTF-8, broken percent escapes, other types."""
    answer = fuzz.client.post(
        fuzz.path(form), content=body, headers={"Content-Type": kind, **SAME_ORIGIN}
    )
    _fine(answer)


#: Any JSON, small.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
#: Cookie-safe text (what a browser stores and sends back unquoted).
COOKIE_TEXT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';,\\"'),
    max_size=60,
)


@FUZZ
@given(
    page=st.sampled_from(PAGES),
    name=st.sampled_from(("rentcal_session", "csrftoken", "rentcal_flash", "x")),
    value=COOKIE_TEXT,
)
def test_cookies(fuzz: Fuzz, page: str, name: str, value: str) -> None:
    """Whatever a browser sends back in our cookies' names."""
    client = fuzz.web.anonymous(headers=HTML, follow_redirects=False)
    client.headers["Authorization"] = fuzz.client.headers["Authorization"]
    client.cookies.set(name, value)
    _fine(client.get(fuzz.path(page)))


@FUZZ
@given(
    data=st.one_of(
        JSON, st.dictionaries(st.sampled_from(("kind", "value", "id", "x")), JSON, min_size=1)
    )
)
def test_flash_cookie_json(fuzz: Fuzz, data: object) -> None:
    """The flash cookie decodes to JSON of any shape: /me shows it or ignores it."""
    client = fuzz.web.anonymous(headers=HTML, follow_redirects=False)
    client.headers["Authorization"] = fuzz.client.headers["Authorization"]
    client.cookies.set(
        "rentcal_flash", base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    )
    _fine(client.get("/me"))
