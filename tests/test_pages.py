"""The HTML pages without a browser: what the server renders, redirects and refuses.

Each page's core job works without JavaScript, so it can be checked here
through Starlette's TestClient: forms POST, the server answers 303 after a
change (a reload never repeats it) or the page again with the errors next to
their fields. The browser itself is in tests/test_browser_pages.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

import rentcal
from rentcal.feeds.fullcalendar import GREY, ORANGE, RED, YELLOW
from rentcal.web import Settings, create_app
from rentcal.web.pages import grid
from rentcal.web.pages.render import FULLCALENDAR_CDN, FULLCALENDAR_SRI
from tests.conftest import TODAY, d

PAGES = Path(rentcal.__file__).resolve().parent / "web"
HTML = {"Accept": "text/html"}
PASSWORD = "correct horse battery"


class Pages:
    """An app over ``cal``; clients act as a member through an API token (no CSRF needed)."""

    def __init__(self, cal: rentcal.Rentcal, settings: Settings | None = None) -> None:
        self.cal = cal
        self.app = create_app(cal, settings or Settings())

    def as_(self, handle: str) -> TestClient:
        client = TestClient(self.app, base_url="http://testserver", follow_redirects=False)
        _, secret = self.cal.create_token(handle)
        client.headers.update({"Authorization": f"Bearer {secret}", **HTML})
        return client


@pytest.fixture
def pages(seeded: rentcal.Rentcal) -> Pages:
    return Pages(seeded)


class _Text(HTMLParser):
    """The text inside the element with one id (tags stripped), nesting included."""

    VOID = frozenset({"br", "input", "meta", "link", "img", "hr"})

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.parts: list[str] = []
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def shown_after(client: TestClient, answer: object, path: str, anchor: str) -> str:
    """The page a refused form redirected to (303 to ``path?flash=ID#anchor``, so a reload
    never resends it), read twice: a reload shows the same message and typed values."""
    assert getattr(answer, "status_code", None) == 303, getattr(answer, "text", answer)
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(rf"{re.escape(path)}\?flash=[\w-]+#{re.escape(anchor)}", location), location
    first, again = client.get(location), client.get(location)
    assert first.status_code == again.status_code == 200
    assert first.text.count('class="error"') == again.text.count('class="error"')
    return str(first.text)


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with this id (tags stripped, spaces squeezed)."""
    parser = _Text(element_id)
    parser.feed(html)
    assert parser.found, f"no element #{element_id}"
    return " ".join("".join(parser.parts).split())


class TestSecurityHeaders:
    """No inline script anywhere; the CSP allows this site and the one pinned CDN file."""

    def test_cdn_script_with_integrity_and_a_style_nonce(self, pages: Pages) -> None:
        answer = pages.as_("bob").get("/")
        assert answer.status_code == 200
        csp = answer.headers["content-security-policy"]
        assert f"script-src 'self' {FULLCALENDAR_CDN};" in csp
        nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)">', answer.text)
        assert nonce and f"style-src 'self' 'nonce-{nonce.group(1)}'" in csp
        assert "unsafe" not in csp and "default-src 'none'" in csp
        assert (
            f'<script src="{FULLCALENDAR_CDN}" integrity="{FULLCALENDAR_SRI}" '
            'crossorigin="anonymous" defer></script>'
        ) in answer.text
        assert answer.headers["cache-control"] == "no-store"
        again = pages.as_("bob").get("/")
        assert again.headers["content-security-policy"] != csp  # a fresh nonce per page

    def test_assets_dir_serves_the_local_copy(
        self, seeded: rentcal.Rentcal, tmp_path: Path
    ) -> None:
        (tmp_path / "index.global.min.js").write_text("/* fullcalendar */", encoding="utf-8")
        local = Pages(seeded, Settings(assets_dir=str(tmp_path)))
        answer = local.as_("bob").get("/")
        assert "script-src 'self';" in answer.headers["content-security-policy"]
        assert '<script src="/assets/fullcalendar/index.global.min.js" defer>' in answer.text
        served = local.as_("bob").get("/assets/fullcalendar/index.global.min.js")
        assert served.status_code == 200 and served.text == "/* fullcalendar */"
        assert served.headers["content-type"].startswith("text/javascript")

    def test_without_assets_dir_the_local_path_is_404(self, pages: Pages) -> None:
        assert pages.as_("bob").get("/assets/fullcalendar/index.global.min.js").status_code == 404

    def test_templates_have_no_inline_script_handler_or_style(self) -> None:
        class Audit(HTMLParser):
            def __init__(self) -> None:
                super().__init__()
                self.problems: list[str] = []
                self.in_script = False

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                names = {name for name, _ in attrs}
                if tag == "script" and "src" not in names:
                    self.problems.append("<script> without src")
                self.in_script = tag == "script"
                self.problems += [
                    f"{tag} {n}=" for n in names if n.startswith("on") or n == "style"
                ]

            def handle_data(self, data: str) -> None:
                if self.in_script and data.strip():
                    self.problems.append("inline script text")

            def handle_endtag(self, tag: str) -> None:
                self.in_script = False

        templates = sorted((PAGES / "templates").glob("*.html"))
        assert len(templates) >= 7
        for template in templates:
            audit = Audit()
            audit.feed(
                re.sub(r"{[{%#].*?[}%#]}", "", template.read_text(encoding="utf-8"), flags=re.S)
            )
            assert audit.problems == [], (template.name, audit.problems)

    def test_stylesheet_colours_are_the_feeds(self) -> None:
        css = (PAGES / "static" / "rentcal.css").read_text(encoding="utf-8")
        for name, style in (
            ("approved", RED),
            ("pending", YELLOW),
            ("maintenance", ORANGE),
            ("finished", GREY),
        ):
            assert f"--{name}: {style.background};" in css


class TestLoginRedirect:
    def test_pages_send_strangers_to_login_and_back(self, pages: Pages) -> None:
        client = TestClient(pages.app, follow_redirects=False)
        for path in ("/", "/me", "/admin", "/rentals/1"):
            answer = client.get(path, headers=HTML)
            assert answer.status_code == 303
            assert answer.headers["location"] == f"/login?next={path}"

    def test_login_page_is_styled_and_scriptless(self, pages: Pages) -> None:
        answer = TestClient(pages.app).get("/login?next=/me")
        assert '<link rel="stylesheet" href="/static/rentcal.css">' in answer.text
        assert "<script" not in answer.text
        assert 'name="next" value="/me"' in answer.text


class TestMonthGrid:
    """The server-rendered grid: one cell per day with its date and its state in words."""

    def test_a_six_day_rental_marks_exactly_six_cells(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(15), d(20), member="bob")
        pages.cal.approve(rental.id, acting="ada")
        html = pages.as_("bob").get("/?machine=tractor&month=2030-01").text
        cells = dict(re.findall(r'<td data-date="([\d-]+)" data-state="([^"]*)"', html))
        assert len(cells) == 35  # Monday 30 Dec 2029 .. Sunday 3 Feb 2030
        taken = sorted(day for day, state in cells.items() if state == "approved")
        assert taken == [f"2030-01-{n}" for n in range(15, 21)]
        assert cells["2030-01-14"] == cells["2030-01-21"] == "free"
        assert "Rented by Bob Baker" in html

    def test_grid_function_weeks_and_states(self) -> None:
        weeks = grid.month_grid(d(1), [], today=TODAY)
        assert [len(w) for w in weeks] == [7] * len(weeks)
        assert weeks[0][0].day.weekday() == 0
        assert all(cell.state == "free" for week in weeks for cell in week)
        assert grid.parse_month("2030-13", TODAY) == d(1)
        assert grid.shift_month(d(1), -1) == d(1, 12, 2029)

    def test_all_machines_label_each_event_with_its_machine(self, pages: Pages) -> None:
        pages.cal.book("tractor", d(15), d(15), member="bob")
        html = pages.as_("bob").get("/?month=2030-01").text
        assert "Tractor 6120 — Requested by Bob Baker" in html
        assert '<option value="" >' not in html and "All machines" in html


class TestBookingForm:
    """POST / books under the lock and answers 303; errors come back next to their field."""

    FORM: ClassVar[dict[str, str]] = {
        "machine": "tractor",
        "start": "2030-01-15",
        "end": "2030-01-17",
        "purpose": "hay",
    }

    def test_book_redirects_to_the_rental_page(self, pages: Pages) -> None:
        client = pages.as_("bob")
        answer = client.post("/", data={**self.FORM, "key": "form-1"})
        assert answer.status_code == 303
        (rental,) = pages.cal.rentals(machine="tractor")
        assert answer.headers["location"] == f"/rentals/{rental.id}?done=booked"
        page = client.get(answer.headers["location"]).text
        assert "waiting for an admin" in page
        assert text_of(page, "rental-price") == "360.00"

    def test_the_same_form_sent_twice_books_once(self, pages: Pages) -> None:
        client = pages.as_("bob")
        first = client.post("/", data={**self.FORM, "key": "form-twice"})
        second = client.post("/", data={**self.FORM, "key": "form-twice"})
        assert first.headers["location"] == second.headers["location"]
        assert len(pages.cal.rentals(machine="tractor")) == 1

    def test_a_used_key_with_other_days_asks_again(self, pages: Pages) -> None:
        client = pages.as_("bob")
        client.post("/", data={**self.FORM, "key": "form-reused"})
        answer = client.post("/", data={**self.FORM, "end": "2030-01-18", "key": "form-reused"})
        assert answer.status_code == 422
        assert "already used" in text_of(answer.text, "form-error")
        assert 'name="key" value="form-reused"' not in answer.text

    def test_unavailable_shows_the_red_box_with_the_conflict(self, pages: Pages) -> None:
        taken = pages.cal.book("tractor", d(16), d(16), member="dan")
        answer = pages.as_("bob").post("/", data=self.FORM)
        assert answer.status_code == 409
        box = text_of(answer.text, "availability")
        assert box.startswith("Not available.")
        assert f"rental {taken.id} (pending)" in box and "Wed 16 Jan 2030" in box
        assert len(pages.cal.rentals(machine="tractor")) == 1

    @pytest.mark.parametrize(
        ("change", "field", "words"),
        [
            pytest.param({"start": "15/01/2030"}, "start", "is not a date", id="bad-date"),
            pytest.param({"end": "2030-01-14"}, "end", "before start", id="end-first"),
            pytest.param({"start": "2030-01-02"}, "start", "in the past", id="past"),
            pytest.param({"machine": ""}, "machine", "choose a machine", id="no-machine"),
            pytest.param({"machine": "nope"}, "machine", "not found", id="unknown"),
            pytest.param({"purpose": "x" * 20000}, "purpose", "limit", id="long-purpose"),
        ],
    )
    def test_errors_next_to_their_field(
        self, pages: Pages, change: dict[str, str], field: str, words: str
    ) -> None:
        answer = pages.as_("bob").post("/", data={**self.FORM, **change})
        assert answer.status_code == 400
        assert words in text_of(answer.text, f"{field}-error")
        assert pages.cal.rentals(machine="tractor") == []

    def test_unverified_member_is_told_why(self, pages: Pages) -> None:
        client = pages.as_("carol")
        page = client.get("/?machine=tractor").text
        assert "an admin must verify you" in text_of(page, "not-verified")
        assert '<button type="submit" id="book" class="primary" disabled>' in page
        answer = client.post("/", data=self.FORM)
        assert answer.status_code == 403
        assert "not verified" in text_of(answer.text, "form-error")

    def test_check_without_javascript_shows_box_and_price(self, pages: Pages) -> None:
        page = pages.as_("bob").get("/?machine=tractor&start=2030-01-15&end=2030-01-17").text
        assert text_of(page, "availability").startswith("Available.")
        assert text_of(page, "quote") == "Price: 3 days × 120.00 = 360.00"

    def test_a_form_that_is_not_urlencoded_is_refused_politely(self, pages: Pages) -> None:
        answer = pages.as_("bob").post("/", content=b"{}", headers={"Content-Type": "text/plain"})
        assert answer.status_code in (400, 415)


class TestRentalPage:
    def test_member_cancels_their_rental(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(15), d(17), member="bob")
        client = pages.as_("bob")
        page = client.get(f"/rentals/{rental.id}").text
        assert "Cancel this rental" in page and "Approve" not in page
        answer = client.post(f"/rentals/{rental.id}/cancel", data={})
        assert answer.headers["location"] == f"/rentals/{rental.id}?done=cancelled"
        assert pages.cal.rental(rental.id).status == "cancelled"
        again = client.post(f"/rentals/{rental.id}/cancel", data={})
        assert again.status_code == 303  # a refusal too: a reload never resends the form
        assert again.headers["location"].startswith(f"/rentals/{rental.id}?flash=")
        assert again.headers["location"].endswith("#action-error")
        shown = client.get(again.headers["location"])
        assert "it is cancelled" in text_of(shown.text, "action-error")

    def test_others_see_no_price_purpose_or_buttons(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(15), d(17), member="bob", purpose="secret hay")
        page = pages.as_("dan").get(f"/rentals/{rental.id}").text
        assert "secret hay" not in page and "360.00" not in page
        assert "<button" not in page.split("</header>")[1]
        assert pages.as_("dan").post(f"/rentals/{rental.id}/cancel", data={}).status_code == 403

    def test_admin_rejects_with_a_reason(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(15), d(17), member="bob")
        answer = pages.as_("ada").post(f"/rentals/{rental.id}/reject", data={"reason": "broken"})
        assert answer.status_code == 303
        assert pages.cal.rental(rental.id).reason == "broken"
        history = pages.as_("bob").get(f"/rentals/{rental.id}").text
        assert '<td data-label="Change">rejected</td>' in history and "broken" in history
        assert "pending → rejected" not in history

    def test_unknown_rental_is_a_404_page(self, pages: Pages) -> None:
        for path in ("/rentals/999", "/rentals/abc"):
            answer = pages.as_("bob").get(path)
            assert answer.status_code == 404 and "not found" in answer.text


class TestMePage:
    def test_upcoming_first_then_past(self, pages: Pages) -> None:
        cal = pages.cal
        later = cal.book("tractor", d(25), d(26), member="bob")
        sooner = cal.book("saw", d(12), d(12), member="bob")
        called_off = cal.book("tractor", d(10), d(10), member="bob")
        cal.cancel(called_off.id, acting="bob")
        page = pages.as_("bob").get("/me").text
        upcoming = text_of(page, "upcoming")
        assert upcoming.index(f"Rental {sooner.id} ") < upcoming.index(f"Rental {later.id} ")
        assert f"Rental {called_off.id} " in text_of(page, "past")
        assert f"Rental {called_off.id} " not in upcoming

    def test_notifications_unread_then_mark_all_read(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(15), d(17), member="bob")
        pages.cal.approve(rental.id, acting="ada")
        client = pages.as_("bob")
        page = client.get("/me").text
        assert "(1 unread)" in page and "New:" in page
        answer = client.post("/me/notifications/read", data={})
        assert answer.headers["location"] == "/me?done=read"
        assert "New:" not in client.get("/me").text

    def test_a_new_feed_url_is_shown_once(self, pages: Pages) -> None:
        client = pages.as_("bob")
        answer = client.post("/me/feeds", data={"scope": "mine", "format": "ics", "name": "phone"})
        assert answer.status_code == 303 and answer.headers["location"] == "/me"
        assert "secret" not in answer.headers["location"]
        page = client.get("/me").text
        url = text_of(page, "flash-secret")
        assert re.fullmatch(r"http://testserver/feeds/[\w-]{43}\.ics", url)
        assert TestClient(pages.app).get(url).status_code == 200
        assert "flash-secret" not in client.get("/me").text  # once
        (feed,) = pages.cal.feed_tokens("bob")
        client.post(f"/me/feeds/{feed.id}/revoke", data={})
        assert TestClient(pages.app).get(url).status_code == 404

    def test_a_member_may_make_an_all_machines_feed(self, pages: Pages) -> None:
        answer = pages.as_("bob").post("/me/feeds", data={"scope": "all", "format": "ics"})
        assert answer.status_code == 303
        assert [f.scope.value for f in pages.cal.feed_tokens("bob")] == ["all"]

    def test_api_token_created_shown_once_and_revoked(self, pages: Pages) -> None:
        client = pages.as_("bob")
        client.post("/me/tokens", data={"name": "laptop"})
        secret = text_of(client.get("/me").text, "flash-secret")
        assert pages.cal.token_member(secret).handle == "bob"
        (token,) = [t for t in pages.cal.tokens("bob") if t.name == "laptop"]
        client.post(f"/me/tokens/{token.id}/revoke", data={})
        assert pages.cal.token_member(secret) is None

    def test_change_password(self, pages: Pages) -> None:
        pages.cal.set_password("bob", PASSWORD, acting="ada")
        client = pages.as_("bob")
        wrong = client.post(
            "/me/password", data={"current": "nope", "new": "n" * 9, "confirm": "n" * 9}
        )
        assert wrong.status_code == 400 and "not your current" in text_of(
            wrong.text, "pw-current-error"
        )
        differ = client.post(
            "/me/password", data={"current": PASSWORD, "new": "n" * 9, "confirm": "m" * 9}
        )
        assert "differ" in text_of(differ.text, "pw-confirm-error")
        short = client.post(
            "/me/password", data={"current": PASSWORD, "new": "short", "confirm": "short"}
        )
        assert short.status_code == 400 and "8" in text_of(short.text, "pw-new-error")
        done = client.post(
            "/me/password", data={"current": PASSWORD, "new": "n" * 9, "confirm": "n" * 9}
        )
        assert done.headers["location"] == "/login?next=%2Fme&done=password"
        login = TestClient(pages.app).get(done.headers["location"]).text
        assert "Password changed" in login and 'name="next" value="/me"' in login
        pages.cal.login("bob", "n" * 9)


class TestAdminPage:
    def test_members_get_a_403_page(self, pages: Pages) -> None:
        answer = pages.as_("bob").get("/admin")
        assert answer.status_code == 403 and "for admins" in answer.text

    def test_queue_oldest_first_and_approve_in_place(self, pages: Pages) -> None:
        first = pages.cal.book("tractor", d(20), d(21), member="bob")
        second = pages.cal.book("tractor", d(12), d(13), member="dan")
        client = pages.as_("ada")
        page = client.get("/admin").text
        assert page.index(f'id="rental-{first.id}"') < page.index(f'id="rental-{second.id}"')
        answer = client.post(f"/admin/rentals/{first.id}/approve", data={})
        assert answer.headers["location"] == "/admin?done=approved#pending"
        assert pages.cal.rental(first.id).status == "approved"
        assert f'id="rental-{first.id}"' not in client.get("/admin").text

    def test_verify_member_and_machines(self, pages: Pages) -> None:
        client = pages.as_("ada")
        assert client.post("/admin/members/carol/verify", data={}).status_code == 303
        assert pages.cal.member("carol").verified
        bad = client.post("/admin/machines", data={"name": "drill", "daily_price": "1.234"})
        page = shown_after(client, bad, "/admin", "add-machine")
        assert "decimal places" in text_of(page, "machine-new-daily_price-error")
        assert 'value="drill"' in page  # what was typed stays
        good = client.post(
            "/admin/machines",
            data={"name": "drill", "daily_price": "7.50", "title": "Drill", "auto_approve": "on"},
        )
        assert good.headers["location"] == "/admin?done=machine-added#machine-drill"
        assert 'id="machine-drill"' in client.get("/admin").text
        drill = pages.cal.machine("drill")
        assert drill.daily_price == Decimal("7.50") and drill.auto_approve
        retired = client.post("/admin/machines/drill/retire", data={})
        assert retired.headers["location"] == "/admin?done=retired#machine-drill"
        assert pages.cal.machine("drill").status == "retired"

    def test_maintenance_shows_its_conflicts_before_storing(self, pages: Pages) -> None:
        rental = pages.cal.book("tractor", d(15), d(17), member="bob")
        client = pages.as_("ada")
        form = {"machine": "tractor", "start": "2030-01-16", "end": "2030-01-18", "kind": "repair"}
        first = shown_after(
            client, client.post("/admin/maintenance", data=form), "/admin", "schedule-maintenance"
        )
        assert f"rental {rental.id}" in text_of(first, "clash")
        assert "Schedule anyway" in first
        assert '<input type="hidden" name="start" value="2030-01-16">' in first
        assert pages.cal.maintenance(machine="tractor") == []
        forced = client.post("/admin/maintenance", data={**form, "force": "1"})
        (block,) = pages.cal.maintenance(machine="tractor")
        assert forced.headers["location"] == (
            f"/admin?done=maintenance-added#maintenance-{block.id}"
        )
        assert f'id="maintenance-{block.id}"' in client.get("/admin").text
        cancelled = client.post(f"/admin/maintenance/{block.id}/cancel", data={})
        assert cancelled.headers["location"] == "/admin?done=maintenance-cancelled#maintenance"
        assert pages.cal.maintenance(machine="tractor")[0].status == "cancelled"
