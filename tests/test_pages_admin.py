"""Administration in the browser (#21), without a browser: booking for a member, the
rentals table and its CSV, redirects to the item acted on, refused forms kept (PRG)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response as StarletteResponse

import rentcal
from rentcal.web.pages import admin_rentals, flash
from rentcal.web.pages.admin_rentals import CSV_COLUMNS, Filters, safe_cell, select
from tests.conftest import TODAY, d
from tests.test_pages import Pages, shown_after, text_of


@pytest.fixture
def pages(seeded: rentcal.Rentcal) -> Pages:
    return Pages(seeded)


def _key(page: str) -> str:
    found = re.search(r'<input type="hidden" name="key" value="([^"]+)">', page)
    assert found, "the book-for form has no idempotency key"
    return found.group(1)


class TestBookForAMember:
    """An admin books for a member through THE booking path; the member is the renter."""

    def test_the_rental_is_the_members_and_they_are_told(self, pages: Pages) -> None:
        client = pages.as_("ada")
        key = _key(client.get("/admin").text)
        form = {"member": "bob", "machine": "saw", "start": "2030-01-20", "end": "2030-01-21"}
        answer = client.post("/admin/book", data={**form, "purpose": "fence posts", "key": key})
        (rental,) = pages.cal.rentals(member="bob")
        assert answer.status_code == 303
        assert answer.headers["location"] == (f"/admin?done=booked-for&rental={rental.id}#book-for")
        assert (rental.machine, rental.start, rental.purpose) == ("saw", d(20), "fence posts")
        assert rental.status == "approved"  # the saw approves its bookings itself
        told = [n.message for n in pages.cal.notifications("bob") if n.rental_id == rental.id]
        said = "Your booking of Band saw for Sun 20 – Mon 21 Jan 2030 is approved"
        said += f" (rental {rental.id})."
        assert told == [said]
        assert pages.cal.history(rental.id)[0]["by"] == "ada"
        page = client.get(answer.headers["location"]).text
        assert f"rental {rental.id} for Bob Baker (bob)" in text_of(page, "booked-for")
        again = client.post("/admin/book", data={**form, "purpose": "fence posts", "key": key})
        assert again.headers["location"] == answer.headers["location"]  # a resend books once
        assert len(pages.cal.rentals(member="bob")) == 1

    def test_a_pending_booking_waits_like_the_members_own(self, pages: Pages) -> None:
        client = pages.as_("ada")
        form = {"member": "dan", "machine": "tractor", "start": "2030-01-20", "end": "2030-01-20"}
        assert client.post("/admin/book", data=form).status_code == 303
        (rental,) = pages.cal.rentals(member="dan")
        assert rental.status == "pending"
        assert f'id="rental-{rental.id}"' in client.get("/admin").text  # in the queue

    def test_a_refusal_is_beside_the_form_with_what_was_typed(self, pages: Pages) -> None:
        taken = pages.cal.book("tractor", d(15), d(17), member="bob")
        client = pages.as_("ada")
        form = {
            "member": "dan",
            "machine": "tractor",
            "start": "2030-01-16",
            "end": "2030-01-18",
            "purpose": "hay & straw",
        }
        answer = client.post("/admin/book", data=form)
        page = shown_after(client, answer, "/admin", "book-for")
        assert f"rental {taken.id}" in text_of(page, "book-for-form-error")
        assert '<option value="dan" selected>' in page
        assert '<option value="tractor" selected>' in page
        assert 'value="2030-01-16"' in page and 'value="hay &amp; straw"' in page
        assert pages.cal.rentals(member="dan") == []

    def test_missing_fields_are_named(self, pages: Pages) -> None:
        client = pages.as_("ada")
        answer = client.post("/admin/book", data={"start": "2030-02-30", "end": ""})
        page = shown_after(client, answer, "/admin", "book-for")
        assert "choose the member" in text_of(page, "book-for-member-error")
        assert "choose a machine" in text_of(page, "book-for-machine-error")
        assert "not a date" in text_of(page, "book-for-start-error")
        assert "end date is required" in text_of(page, "book-for-end-error")

    def test_members_may_not_book_for_others(self, pages: Pages) -> None:
        form = {"member": "dan", "machine": "saw", "start": "2030-01-20", "end": "2030-01-20"}
        answer = pages.as_("bob").post("/admin/book", data=form)
        assert answer.status_code == 403 and "for admins" in answer.text
        assert pages.cal.rentals(member="dan") == [] and pages.cal.rentals(member="bob") == []


class TestRedirectAnchors:
    """Every admin action lands back at the item it acted on (see also test_pages_edits)."""

    def test_queue_decisions_and_verifying(self, pages: Pages) -> None:
        first = pages.cal.book("tractor", d(20), d(21), member="bob")
        second = pages.cal.book("tractor", d(25), d(26), member="dan")
        client = pages.as_("ada")
        rejected = client.post(f"/admin/rentals/{second.id}/reject", data={"reason": "no"})
        assert rejected.headers["location"] == "/admin?done=rejected#pending"
        verified = client.post("/admin/members/carol/verify", data={})
        assert verified.headers["location"] == "/admin?done=verified#members"
        pages.cal.approve(first.id, acting="ada")
        late = client.post(f"/admin/rentals/{first.id}/approve", data={})
        page = shown_after(client, late, "/admin", f"rental-{first.id}")
        # decided meanwhile: no longer in the queue, so the message is at the queue's top
        assert "approved" in text_of(page, "pending-form-error")

    def test_retire_refused_and_cancel_refused(self, pages: Pages) -> None:
        client = pages.as_("ada")
        retire = client.post("/admin/machines/nope/retire", data={})
        page = shown_after(client, retire, "/admin", "machines")
        assert "nope" in text_of(page, "machines-form-error")
        cancel = client.post("/admin/maintenance/999/cancel", data={})
        page = shown_after(client, cancel, "/admin", "maintenance-999")
        assert "999" in text_of(page, "maintenance-form-error")


class TestRefusedFormsKept:
    """The flash cookie: one page URL, this session, a few minutes, bounded, no secrets."""

    def _refused(self, pages: Pages, client: TestClient, notes: str = "x") -> Any:
        form = {"machine": "tractor", "start": "2030-01-08", "end": "2030-01-08", "notes": notes}
        return client.post("/admin/maintenance", data=form)

    def test_shown_only_at_its_own_url(self, pages: Pages) -> None:
        client = pages.as_("ada")
        answer = self._refused(pages, client)
        page = shown_after(client, answer, "/admin", "schedule-maintenance")
        assert "is in the past" in text_of(page, "maintenance-start-error")
        for other in ("/admin", "/admin?flash=someone-else"):
            assert text_of(client.get(other).text, "maintenance-start-error") == ""

    def test_another_session_cannot_read_or_plant_it(self, pages: Pages) -> None:
        client = pages.as_("ada")
        location = self._refused(pages, client).headers["location"]
        stolen = client.cookies.get(flash.FLASH_COOKIE)
        assert stolen
        other = pages.as_("ada")  # the same admin, another token: another key
        other.cookies.set(flash.FLASH_COOKIE, stolen)
        assert text_of(other.get(location).text, "maintenance-start-error") == ""
        body, signature = stolen.rsplit(".", 1)
        client.cookies.delete(flash.FLASH_COOKIE)
        client.cookies.set(flash.FLASH_COOKIE, body + "." + signature[::-1])
        assert text_of(client.get(location).text, "maintenance-start-error") == ""

    def test_expires(self, pages: Pages) -> None:
        client = pages.as_("ada")
        location = self._refused(pages, client).headers["location"]
        request = _request(client, location)
        now = pages.cal.now()
        assert flash.read(request, now) is not None
        assert flash.read(request, now + flash.MAX_AGE + timedelta(seconds=5)) is None

    def test_bounded_and_without_secrets(self, pages: Pages) -> None:
        client = pages.as_("ada")
        answer = self._refused(pages, client, notes="n" * 2000)
        value = client.cookies.get(flash.FLASH_COOKIE) or ""
        assert 0 < len(value) <= flash.MAX_BYTES
        page = shown_after(client, answer, "/admin", "schedule-maintenance")
        assert "is in the past" in text_of(page, "maintenance-start-error")
        request = _request(client, answer.headers["location"])
        response = StarletteResponse()
        big = flash.Flash(
            "x", {"form": "m"}, {"password": "hunter22", **{f"f{i}": "v" * 400 for i in range(40)}}
        )
        flash.keep(request, response, big, pages.cal.now(), "id")
        cookie = response.headers["set-cookie"]
        assert "hunter22" not in cookie
        assert len(cookie.split(";")[0]) <= len(flash.FLASH_COOKIE) + 1 + flash.MAX_BYTES


def _request(client: TestClient, location: str) -> Request:
    """A GET of ``location`` as ``client`` sends it (its token and its flash cookie)."""
    parts = urlsplit(location)
    cookie = f"{flash.FLASH_COOKIE}={client.cookies.get(flash.FLASH_COOKIE)}"
    headers = [
        (b"authorization", client.headers["authorization"].encode()),
        (b"cookie", cookie.encode()),
    ]
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": parts.path,
        "root_path": "",
        "query_string": parts.query.encode(),
        "headers": headers,
    }
    return Request(scope)


def _rentals(cal: rentcal.Rentcal) -> list[rentcal.Rental]:
    """Bob: tractor in January (pending) and February; Dan: saw in January (approved)."""
    return [
        cal.book("tractor", d(20), d(21), member="bob", purpose="=1+2"),
        cal.book("tractor", d(3, 2), d(4, 2), member="bob"),
        cal.book("saw", d(12), d(12), member="dan", purpose='bolts, "nuts"\nand washers'),
    ]


class TestRentalsTable:
    """Filters by machine, member, status and month; one month at a time; paged."""

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            pytest.param("", [2, 0], id="this-month"),  # by first day
            pytest.param("?month=2030-02", [1], id="february"),
            pytest.param("?machine=saw", [2], id="machine"),
            pytest.param("?member=bob&month=2030-01", [0], id="member"),
            pytest.param("?status=approved", [2], id="status"),
            pytest.param("?status=rejected", [], id="none"),
        ],
    )
    def test_filters(self, pages: Pages, query: str, expected: list[int]) -> None:
        made = _rentals(pages.cal)
        page = pages.as_("ada").get("/admin/rentals" + query)
        assert page.status_code == 200
        shown = [int(n) for n in re.findall(r'<tr id="rental-(\d+)">', page.text)]
        assert shown == [made[i].id for i in expected]

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            pytest.param("?month=2030-13", "month '2030-13' is not a month", id="month"),
            pytest.param("?month=soon", "month 'soon' is not a month", id="word"),
            pytest.param("?status=lost", "status 'lost' is not one of", id="status"),
            pytest.param("?machine=plough", "plough", id="machine"),
            pytest.param("?member=ghost", "ghost", id="member"),
        ],
    )
    def test_invalid_filters_are_said_in_the_page(
        self, pages: Pages, query: str, words: str
    ) -> None:
        for path in ("/admin/rentals", "/admin/rentals.csv"):
            answer = pages.as_("ada").get(path + query)
            assert answer.status_code == 400
            assert words in text_of(answer.text, "filter-error")

    def test_a_month_is_always_a_bounded_window(self, pages: Pages) -> None:
        asked: dict[str, Any] = {}

        class Spy:
            def rentals(self, **kwargs: Any) -> list[rentcal.Rental]:
                asked.update(kwargs)
                return []

        select(Spy(), Filters.of({"month": "2030-02"}, TODAY))  # type: ignore[arg-type]
        assert (asked["start"], asked["end"]) == (d(1, 2), d(28, 2))
        select(Spy(), Filters.of({}, TODAY))  # type: ignore[arg-type]
        assert (asked["start"], asked["end"]) == (d(1), d(31))

    def test_pages(self, pages: Pages, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(admin_rentals, "PAGE_SIZE", 2)
        made = [pages.cal.book("saw", d(n), d(n), member="dan") for n in (10, 11, 12)]
        client = pages.as_("ada")
        first = client.get("/admin/rentals?machine=saw").text
        assert "Page 1 of 2" in first and f'id="rental-{made[2].id}"' not in first
        link = re.search(r'<a href="\?([^"]+)" rel="next">', first)
        assert link and parse_qs(link.group(1).replace("&amp;", "&"))["page"] == ["2"]
        second = client.get("/admin/rentals?" + link.group(1).replace("&amp;", "&")).text
        assert re.findall(r'<tr id="rental-(\d+)">', second) == [str(made[2].id)]
        beyond = client.get("/admin/rentals?machine=saw&page=99").text
        assert "Page 2 of 2" in beyond

    def test_members_may_not(self, pages: Pages) -> None:
        for path in ("/admin/rentals", "/admin/rentals.csv"):
            answer = pages.as_("bob").get(path)
            assert answer.status_code == 403 and "for admins" in answer.text


class TestRentalsCsv:
    """The download: stable columns, every row of the filter, spreadsheet-safe cells."""

    def test_columns_rows_and_headers(self, pages: Pages) -> None:
        made = _rentals(pages.cal)
        answer = pages.as_("ada").get("/admin/rentals.csv?month=2030-01&machine=saw")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == (
            'attachment; filename="rentals-2030-01-saw.csv"'
        )
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert rows[0] == list(CSV_COLUMNS)
        assert len(rows) == 2
        row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
        saw = made[2]
        assert row["id"] == str(saw.id) and row["member_name"] == "Dan Driver"
        assert (row["start"], row["end"], row["days"]) == ("2030-01-12", "2030-01-12", "1")
        assert (row["status"], row["price"]) == ("approved", "15.50")
        assert row["purpose"] == 'bolts, "nuts"\nand washers'  # quoted, read back whole
        assert datetime.fromisoformat(row["created_at"]) == saw.created_at

    def test_formulas_are_defused(self, pages: Pages) -> None:
        _rentals(pages.cal)
        answer = pages.as_("ada").get("/admin/rentals.csv?member=bob")
        (header, row) = list(csv.reader(io.StringIO(answer.text)))
        assert dict(zip(header, row, strict=True))["purpose"] == "'=1+2"

    @pytest.mark.parametrize(
        ("value", "cell"),
        [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("a=b", "a=b"),
            (None, ""),
            (12, "12"),
        ],
    )
    def test_safe_cell(self, value: object, cell: str) -> None:
        assert safe_cell(value) == cell

    def test_the_page_links_the_same_filter(self, pages: Pages) -> None:
        page = pages.as_("ada").get("/admin/rentals?machine=saw&status=approved").text
        assert 'href="/admin/rentals.csv?machine=saw&amp;status=approved&amp;month=2030-01"' in (
            page
        )


class TestRentalPageRefusals:
    """The rental page's forms answer a refusal the same way: 303, message and typed kept."""

    def test_a_conflicting_move_keeps_what_was_typed(self, pages: Pages) -> None:
        moving = pages.cal.book("tractor", d(15), d(16), member="bob")
        taken = pages.cal.book("tractor", d(20), d(22), member="dan")
        client = pages.as_("ada")
        form = {"start": "2030-01-21", "end": "2030-01-23", "machine": "tractor"}
        answer = client.post(f"/rentals/{moving.id}/move", data=form)
        page = shown_after(client, answer, f"/rentals/{moving.id}", "action-error")
        assert f"rental {taken.id}" in text_of(page, "action-error")
        assert 'id="move-start" name="start" type="date" value="2030-01-21"' in page
        assert 'id="move-end" name="end" type="date" value="2030-01-23"' in page
        assert (pages.cal.rental(moving.id).start, pages.cal.rental(moving.id).end) == (
            d(15),
            d(16),
        )
        clean = client.get(f"/rentals/{moving.id}").text  # the page itself: as stored
        assert 'id="move-start" name="start" type="date" value="2030-01-15"' in clean

    def test_a_refusal_of_another_rental_is_not_shown_here(self, pages: Pages) -> None:
        one = pages.cal.book("tractor", d(15), d(16), member="bob")
        two = pages.cal.book("saw", d(15), d(16), member="bob")
        client = pages.as_("ada")
        pages.cal.cancel(one.id, acting="ada")
        answer = client.post(f"/rentals/{one.id}/approve", data={})
        flash_id = parse_qs(urlsplit(answer.headers["location"]).query)["flash"][0]
        elsewhere = client.get(f"/rentals/{two.id}?flash={flash_id}").text
        assert 'id="action-error"' not in elsewhere


def test_admin_page_in_place_shows_the_given_errors(pages: Pages) -> None:
    """Without a redirect (``errors``/``forms``/``status``), the page shows them as given."""
    from rentcal.web.pages.admin import admin_page

    request = Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/admin",
            "root_path": "",
            "query_string": b"",
            "headers": [],
            "app": pages.app,
        }
    )
    ada = pages.cal.member("ada")
    errors = {"book-for": {"form": "the line dropped", "end": "end date is required"}}
    answer = admin_page(
        request, pages.cal, ada, errors=errors, forms={"book-for": {"purpose": "hay"}}, status=400
    )
    page = answer.body.decode()
    assert answer.status_code == 400
    assert text_of(page, "book-for-form-error") == "the line dropped"
    assert text_of(page, "book-for-end-error") == "end date is required"
    assert 'value="hay"' in page
