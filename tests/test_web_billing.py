"""The ledger over HTTP: the JSON API, the CSV export and the pages, with their permissions
(issue #22). The rules themselves are tests/test_charges.py's; here, what each endpoint
and page answers whom.
"""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest

import rentcal
from tests.conftest import TODAY, d
from tests.web_support import SAME_ORIGIN, Web, error_of


def _charged(cal: rentcal.Rentcal) -> int:
    """Bob's saw rental of TODAY, completed: one use charge of 15.50."""
    rental = cal.book("saw", d(9), d(9), member="bob", today=TODAY)
    cal.complete(rental.id, acting="ada", today=TODAY)
    return rental.id


class TestApi:
    """``/api/statement``, ``/api/charges`` (+ ``.csv``), ``/api/cancellation-policy``."""

    def test_statement(self, web: Web) -> None:
        rid = _charged(web.cal)
        body = web.as_("bob").get("/api/statement").json()
        assert (body["member"], body["period"], body["total"]) == ("bob", "2030-01", "15.50")
        assert [c["rental_id"] for c in body["charges"]] == [rid]
        assert web.as_("bob").get("/api/statement?period=2030").json()["total"] == "15.50"
        assert web.as_("bob").get("/api/statement?period=2030-02").json()["charges"] == []
        assert web.as_("ada").get("/api/statement?member=bob").json()["total"] == "15.50"

    @pytest.mark.parametrize(
        ("who", "path", "status", "code"),
        [
            ("dan", "/api/statement?member=bob", 403, "permission_denied"),
            ("bob", "/api/statement?period=2030-13", 400, "invalid_request"),
            ("ada", "/api/statement?member=nobody", 404, "not_found"),
            ("bob", "/api/charges", 403, "permission_denied"),
            ("bob", "/api/charges.csv", 403, "permission_denied"),
            ("dan", "/api/rentals/1/charges", 403, "permission_denied"),
            ("ada", "/api/charges?period=x", 400, "invalid_request"),
        ],
    )
    def test_refused(self, web: Web, who: str, path: str, status: int, code: str) -> None:
        _charged(web.cal)
        answer = web.as_(who).get(path)
        assert answer.status_code == status, answer.text
        assert error_of(answer)["code"] == code

    def test_anonymous_gets_nothing(self, web: Web) -> None:
        for path in ("/api/statement", "/api/charges", "/api/charges.csv"):
            assert web.anonymous().get(path).status_code == 401

    def test_charges_and_the_export(self, web: Web) -> None:
        rid = _charged(web.cal)
        admin = web.as_("ada")
        listed = admin.get("/api/charges?period=2030-01").json()
        assert [(c["kind"], c["amount"], c["member"]) for c in listed] == [("use", "15.50", "bob")]
        assert admin.get(f"/api/rentals/{rid}/charges").json() == listed
        assert web.as_("bob").get(f"/api/rentals/{rid}/charges").json() == listed
        answer = admin.get("/api/charges.csv?period=2030-01")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert 'filename="charges-2030-01.csv"' in answer.headers["content-disposition"]
        lines = answer.text.split("\r\n")
        assert lines[0].startswith("id,charged_on,charged_at,member,member_name,kind,")
        assert f",use,{rid},saw," in lines[1]

    def test_corrections(self, web: Web) -> None:
        admin = web.as_("ada")
        answer = admin.post(
            "/api/charges", json={"member": "bob", "amount": "-2.50", "reason": "goodwill"}
        )
        assert answer.status_code == 201, answer.text
        assert (answer.json()["kind"], answer.json()["amount"]) == ("correction", "-2.50")
        refused = web.as_("bob").post(
            "/api/charges", json={"member": "bob", "amount": "-100", "reason": "mine"}
        )
        assert refused.status_code == 403
        bad = admin.post("/api/charges", json={"member": "bob", "amount": "0", "reason": "x"})
        assert bad.status_code == 400 and error_of(bad)["field"] == "amount"
        extra = admin.post("/api/charges", json={"member": "bob", "amount": "1", "why": "x"})
        assert extra.status_code == 400
        assert web.cal.statement("2030-01", "bob", acting="ada").total == Decimal("-2.50")

    def test_cancellation_policy(self, web: Web) -> None:
        assert web.as_("bob").get("/api/cancellation-policy").json() == {
            "free_days": None,
            "fee": None,
            "share": None,
        }
        admin = web.as_("ada")
        saved = admin.put("/api/cancellation-policy", json={"free_days": 7, "share": "50"})
        assert saved.json() == {"free_days": 7, "fee": None, "share": "50.00"}
        both = admin.put(
            "/api/cancellation-policy", json={"free_days": 7, "fee": "1", "share": "1"}
        )
        assert both.status_code == 400
        assert web.as_("bob").put("/api/cancellation-policy", json={}).status_code == 403
        assert admin.put("/api/cancellation-policy", json={}).json()["free_days"] is None

    def test_machine_prices_in_the_api(self, web: Web) -> None:
        admin = web.as_("ada")
        added = admin.post(
            "/api/machines",
            json={"name": "rig", "daily_price": "10", "unit_price": "1.25", "minimum_charge": "5"},
        ).json()
        assert (added["unit_price"], added["minimum_charge"]) == ("1.25", "5.00")
        edited = admin.patch("/api/machines/rig", json={"unit_price": None}).json()
        assert edited["unit_price"] is None and edited["changed"][0]["field"] == "unit_price"


class TestPages:
    """The printable statement, the member's page and the treasurer's page."""

    def test_printable_statement(self, web: Web) -> None:
        rid = _charged(web.cal)
        page = web.as_("bob").get("/statement")
        assert page.status_code == 200
        html = page.text
        assert "Bob Baker (bob)" in html and "January 2030" in html
        assert 'id="statement-total">15.50<' in html
        assert 'id="charge-1"' in html and f'<td data-label="Rental">{rid}</td>' in html
        assert "data-print" in html and 'href="/statement?period=2029-12"' in html
        year = web.as_("bob").get("/statement?period=2030").text
        assert 'href="/statement?period=2029"' in year and 'href="/statement?period=2031"' in year

    @pytest.mark.parametrize(
        ("who", "query", "status", "text"),
        [
            ("dan", "?member=bob", 403, "only admins can see the statement of"),
            ("bob", "?period=2030-13", 400, "is not a month"),
            ("ada", "?member=bob", 200, "Bob Baker (bob)"),
        ],
    )
    def test_statement_permissions(
        self, web: Web, who: str, query: str, status: int, text: str
    ) -> None:
        page = web.as_(who).get("/statement" + query)
        assert page.status_code == status and text in page.text

    def test_the_member_page_shows_this_month(self, web: Web) -> None:
        _charged(web.cal)
        html = web.as_("bob").get("/me").text
        assert 'id="charges-total">15.50<' in html and 'id="statement-link"' in html
        assert 'href="/statement?period=2029-12"' in html

    def test_the_treasurer_page(self, web: Web) -> None:
        _charged(web.cal)
        html = web.as_("ada").get("/admin/charges").text
        assert 'id="total-bob"' in html and 'id="period-total">15.50<' in html
        assert 'href="/admin/charges.csv?period=2030-01"' in html
        assert 'href="/statement?member=bob&amp;period=2030-01"' in html
        assert "cancelling is always free" in html
        assert web.as_("bob").get("/admin/charges").status_code == 403
        assert web.as_("bob").get("/admin/charges.csv").status_code == 403
        csv = web.as_("ada").get("/admin/charges.csv?period=2030-01")
        assert csv.text == web.as_("ada").get("/api/charges.csv?period=2030-01").text
        bad = web.as_("ada").get("/admin/charges?period=13")
        assert bad.status_code == 400 and 'id="period-error"' in bad.text

    def test_a_correction_and_the_policy_by_form(self, web: Web) -> None:
        admin = web.as_("ada", follow_redirects=False)
        done = admin.post(
            "/admin/charges",
            data={"member": "bob", "amount": "-3", "reason": "goodwill", "period": "2030-01"},
            headers=SAME_ORIGIN,
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/admin/charges?period=2030-01&done=charged#ledger"
        refused = admin.post(
            "/admin/charges",
            data={"member": "bob", "amount": "abc", "reason": "x", "period": "2030-01"},
            headers=SAME_ORIGIN,
        )
        assert refused.status_code == 303 and "flash=" in refused.headers["location"]
        shown = admin.get(refused.headers["location"].split("#")[0]).text
        assert 'id="correction-amount-error" aria-live="polite">amount' in shown
        assert 'value="abc"' in shown
        saved = admin.post(
            "/admin/cancellation-policy",
            data={"free_days": "7", "fee": "", "share": "50%"},
            headers=SAME_ORIGIN,
        )
        assert saved.status_code == 303
        assert web.cal.cancellation_policy().share == Decimal("50.00")
        for path, field, value in (
            ("/admin/charges", "rental", "²"),  # str.isdigit() says yes; int() says no
            ("/admin/charges", "rental", "12345678901"),
            ("/admin/cancellation-policy", "free_days", "²"),
        ):
            sent = {"member": "bob", "amount": "1", "reason": "x", field: value}
            refused = admin.post(path, data=sent, headers=SAME_ORIGIN)
            assert refused.status_code == 303 and "flash=" in refused.headers["location"]
            shown = admin.get(refused.headers["location"]).text
            assert f"{value!r} is not a" in unescape(shown), (field, value)
        member = web.as_("bob", follow_redirects=False)
        answer = member.post(
            "/admin/charges",
            data={"member": "bob", "amount": "-300", "reason": "mine"},
            headers=SAME_ORIGIN,
        )
        assert answer.status_code == 303
        assert web.cal.statement("2030-01", "bob", acting="ada").total == Decimal("-3.00")
