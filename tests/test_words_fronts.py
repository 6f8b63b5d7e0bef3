"""Words and dates for people (issue #21) in each front end: the currency setting and
its command, prices and days in the CLI's tables (JSON unchanged), pages, e-mails, and
the API's validation errors. The words themselves: tests/test_words.py.

What the backend cannot change (words) runs on SQLite only, except the setting, which
is stored (both backends).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import rentcal
from rentcal.service.smtp_sender import SmtpSender
from tests.cli_support import cli, failed, ok_json
from tests.conftest import BOTH, TODAY, d
from tests.mail_support import SmtpServer, smtp_server
from tests.web_support import Web, error_of

T = {"today": TODAY}


class TestCurrencySetting:
    """``currency`` is an org setting: none until an admin sets it, with its history."""

    pytestmark = BOTH

    def test_set_show_history_and_none_again(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.currency() is None and seeded.currency_history() == []
        assert seeded.set_currency("eur", acting="ada") == "EUR"
        assert seeded.set_currency("EUR", acting="ada") == "EUR"  # unchanged: not recorded
        assert seeded.set_currency(None, acting="ada") is None
        assert [(c, by) for c, by, _at in seeded.currency_history()] == [
            (None, "ada"),
            ("EUR", "ada"),
        ]

    def test_only_admins(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(rentcal.PermissionDenied, match="only admins can set the currency"):
            seeded.set_currency("USD", acting="bob")
        assert seeded.currency_history() == []


class TestCurrencyCommand:
    """``rentcal currency show | set``: words for people, JSON for programs."""

    def test_show_and_set(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        shown = cli(db_url, "currency", "show")
        assert shown.exit_code == 0
        assert shown.stdout.split("\n")[:2] == ["currency     none", "prices read  120.00"]
        assert ok_json(db_url, "currency", "set", "chf") == {"currency": "CHF"}
        assert "prices read  CHF 120.00" in cli(db_url, "currency", "show").stdout
        assert "prices read  €120.00" in cli(db_url, "currency", "set", "EUR").stdout
        assert "prices read  €120.00" in cli(db_url, "currency", "show").stdout
        data = ok_json(db_url, "currency", "show", "--history")
        assert data["currency"] == "EUR"
        assert [(h["currency"], h["changed_by"]) for h in data["history"]] == [
            ("EUR", "ada"),
            ("CHF", "ada"),
        ]
        assert ok_json(db_url, "currency", "set", "none") == {"currency": None}

    def test_an_unknown_code_names_value_and_reason(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        failed(
            cli(db_url, "currency", "set", "EURO"),
            2,
            "currency 'EURO' is not an ISO 4217 currency code (three letters like EUR, USD "
            "or CHF), or none",
        )
        failed(cli(db_url, "currency", "set", "USD", as_="bob"), 3, "only admins")
        assert seeded.currency() is None


@pytest.fixture
def euros(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """The seeded database priced in euros, with bob's approved tractor (2 days, 240.00)."""
    seeded.set_currency("EUR", acting="ada")
    rental = seeded.book("tractor", d(20), d(21), member="bob", **T)
    seeded.approve(rental.id, acting="ada", **T)
    return seeded


class TestCliWords:
    """Tables and messages say days and prices in words; ``--json`` stays ISO and bare."""

    def test_show_and_rentals(self, euros: rentcal.Rentcal, db_url: str) -> None:
        human = cli(db_url, "show", "1").stdout
        assert "dates       Sun 20 – Mon 21 Jan 2030 (2 days)" in human
        assert "price       €240.00" in human
        assert "approved" in human.split("history:")[1]
        listed = cli(db_url, "rentals").stdout
        assert "Sun 20 Jan 2030  Mon 21 Jan 2030" in listed and "€240.00" in listed
        assert "€120.00" in cli(db_url, "machine", "list").stdout

    def test_json_is_unchanged(self, euros: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "show", "1")
        assert (data["start"], data["end"], data["price"]) == ("2030-01-20", "2030-01-21", "240.00")
        assert data["history"][0]["at"].startswith("2030-01-09T")
        assert ok_json(db_url, "machine", "list")[0]["daily_price"] in ("15.50", "120.00")


class TestPages:
    """Pages show the currency (``€240.00``) and days in words; the login field is for people."""

    @staticmethod
    def client(cal: rentcal.Rentcal, handle: str) -> TestClient:
        web = Web(cal)
        client = web.as_(handle)
        client.headers["Accept"] = "text/html"
        return client

    def test_rental_me_and_admin(self, euros: rentcal.Rentcal) -> None:
        page = self.client(euros, "bob").get("/rentals/1").text
        assert '<dd id="rental-price">€240.00</dd>' in page
        assert ">Sun 20</time> – <time" in page and ">Mon 21 Jan 2030</time>" in page
        assert '<td data-label="Change">approved</td>' in page
        assert "€240.00" in self.client(euros, "bob").get("/me").text
        assert "€120.00" in self.client(euros, "ada").get("/admin").text

    def test_booking_quote(self, euros: rentcal.Rentcal) -> None:
        page = self.client(euros, "bob").get(
            "/", params={"machine": "tractor", "start": "2030-01-23", "end": "2030-01-24"}
        )
        assert "Tractor 6120 — €120.00 a day" in page.text
        assert 'data-money-prefix="€"' in page.text
        assert "<strong>€240.00</strong>" in page.text

    def test_login_label(self, seeded: rentcal.Rentcal) -> None:
        page = Web(seeded).anonymous().get("/login").text
        assert '<label for="handle">Your user name (handle)</label>' in page
        assert 'name="handle"' in page


class TestApiErrors:
    """A refused body names the field, the value and the reason, in the one error shape."""

    @pytest.mark.parametrize(
        ("body", "field", "words"),
        [
            pytest.param(
                {"start": "2026-13-01"},
                "start",
                "start: '2026-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2026-12-15",
                id="no-such-month",
            ),
            pytest.param(
                {"end": "15.12.2026"},
                "end",
                "end: '15.12.2026' is not a date; write it as YYYY-MM-DD, e.g. 2026-12-15",
                id="other-format",
            ),
            pytest.param(
                {"start": 20261215},
                "start",
                "start: 20261215 is not a date: send a string; write it as YYYY-MM-DD",
                id="number",
            ),
            pytest.param(
                {"machine": None},
                "machine",
                "machine: null is not text: send it in quotes",
                id="null-text",
            ),
            pytest.param(
                {"colour": "red"}, "colour", "colour is not a field of this request", id="extra"
            ),
        ],
    )
    def test_booking(
        self, seeded: rentcal.Rentcal, body: dict[str, Any], field: str, words: str
    ) -> None:
        sent = {"machine": "tractor", "start": "2030-01-20", "end": "2030-01-21", **body}
        answer = Web(seeded).as_("bob").post("/api/rentals", json=sent)
        assert answer.status_code == 400
        error = error_of(answer)
        assert set(error) == {"error", "code", "field", "request_id"}
        assert (error["code"], error["field"]) == ("invalid_request", field)
        assert error["error"].startswith(words), error["error"]
        assert "Value error" not in error["error"] and "Input should" not in error["error"]

    def test_missing_field_and_bad_numbers(self, seeded: rentcal.Rentcal) -> None:
        client = Web(seeded).as_("ada")
        missing = error_of(
            client.post("/api/rentals", json={"machine": "tractor", "end": "2030-01-21"})
        )
        assert (missing["field"], missing["error"]) == (
            "start",
            "start is missing: this request needs it",
        )
        booked = seeded.book("tractor", d(20), d(21), member="bob", **T)
        move = f"/api/rentals/{booked.id}/move"
        text = error_of(client.post(move, json={"days": "two"}))
        assert text["error"] == "days: 'two' is not a whole number"
        small = error_of(client.post(move, json={"days": 0}))
        assert small["error"] == "days: 0 is too small: the least is 1"
        kind = error_of(
            client.post(
                "/api/maintenance",
                json={"machine": "saw", "start": "2030-01-20", "end": "2030-01-20", "kind": "oil"},
            )
        )
        assert kind["error"] == "kind: 'oil' is not one of 'preventive', 'repair' or 'inspection'"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


class TestMail:
    """E-mails say prices and days in the words of the pages and the CLI."""

    def test_booked_and_moved_in_euros(self, seeded: rentcal.Rentcal, smtp: SmtpServer) -> None:
        seeded.set_currency("EUR", acting="ada")
        seeded.edit_member("bob", email="bob@example.org", acting="ada")
        booked = seeded.book("tractor", d(20), d(21), member="bob", **T)
        seeded.move(booked.id, start=d(24), days=3, acting="ada", **T)
        seeded.deliver_mail(SmtpSender(smtp.url, "rentcal@example.org"))
        (got,) = smtp.to("bob@example.org")
        text = got.text()
        assert (
            "Ada Admin moved Bob Baker's booking of Tractor 6120 from Sun 20 – Mon 21 Jan 2030"
            in text
        )
        assert "to Thu 24 – Sat 26 Jan 2030; new price €360.00 (rental 1)." in text
        assert "Days: Thu 24 – Sat 26 Jan 2030 (3 days)" in text
        assert "Price: €360.00" in text
        assert "Price: €360.00" in got.html()
