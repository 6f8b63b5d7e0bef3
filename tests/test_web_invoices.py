"""``/api/invoices``, ``/api/payments``, ``/api/balance`` (issue #23): the CLI's shapes,
who may do what, the PDF download."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import escape, unescape

import facturx
import pytest
from fastapi.testclient import TestClient

from tests.test_invoices import ready
from tests.web_support import SAME_ORIGIN, Web, error_of


def _charged(web: Web) -> None:
    ready(web.cal)
    web.cal.add_charge("bob", "100.00", "Hire", acting="ada", today=date(2029, 12, 20))


class TestInvoicesApi:
    """Admins issue, credit and record; members read their own."""

    def test_issue_download_pay(self, web: Web) -> None:
        _charged(web)
        admin, bob = web.as_("ada"), web.as_("bob")
        issued = admin.post("/api/invoices/issue", json={"month": "2029-12"})
        assert issued.status_code == 201, issued.text
        assert [(i["number"], i["member"], i["gross"]) for i in issued.json()] == [
            ("2030-000001", "bob", "119.00")
        ]
        assert bob.get("/api/invoices").json() == issued.json()
        pdf = bob.get("/api/invoices/2030-000001.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        _, xml = facturx.get_facturx_xml_from_pdf(pdf.content, check_xsd=True)
        assert b"2030-000001" in xml
        paid = admin.post(
            "/api/payments",
            json={"member": "bob", "amount": "100.00", "method": "transfer", "reference": "R1"},
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["allocations"] == [{"invoice": "2030-000001", "amount": "100.00"}]
        assert bob.get("/api/balance").json()["balance"] == "19.00"
        note = admin.post("/api/invoices/2030-000001/credit", json={"reason": "Goodwill"})
        assert note.status_code == 201 and note.json()["gross"] == "-119.00"
        assert bob.get("/api/balance").json()["balance"] == "-100.00"
        assert [p["amount"] for p in bob.get("/api/payments").json()] == ["100.00"]
        assert bob.get("/api/invoices?open=true").json()[0]["open"] == "-100.00"

    def test_refused(self, web: Web) -> None:
        _charged(web)
        web.as_("ada").post("/api/invoices/issue", json={"month": "2029-12"})
        dan = web.as_("dan")
        answer = dan.get("/api/invoices/2030-000001.pdf")
        assert answer.status_code == 403 and error_of(answer)["code"] == "permission_denied"
        assert dan.post("/api/invoices/issue", json={"month": "2029-12"}).status_code == 403
        assert dan.get("/api/balance?member=bob").status_code == 403
        answer = web.as_("ada").get("/api/invoices/9.pdf")
        assert answer.status_code == 404
        answer = web.as_("ada").post(
            "/api/payments", json={"member": "bob", "amount": "-5", "method": "cash"}
        )
        assert answer.status_code == 400 and "needs a reason" in error_of(answer)["error"]
        assert web.anonymous().get("/api/balance").status_code == 401


def test_the_member_page_lists_invoices_with_their_pdf(web: Web) -> None:
    from tests.web_support import PASSWORD

    _charged(web)
    web.cal.set_password("bob", PASSWORD, acting="ada")
    web.as_("ada").post("/api/invoices/issue", json={"month": "2029-12"})
    bob = web.login("bob")
    page = bob.get("/me").text
    assert re.search(r'id="balance">[^<]*119\.00</strong> to pay', page), page
    assert 'href="/api/invoices/2030-000001.pdf" download' in page
    assert bob.get("/api/invoices/2030-000001.pdf").content.startswith(b"%PDF")
    web.cal.set_password("dan", PASSWORD, acting="ada")
    assert "No invoices yet." in web.login("dan").get("/me").text


def test_the_treasurer_page_issues_and_records(web: Web) -> None:
    from tests.web_support import PASSWORD, SAME_ORIGIN

    _charged(web)
    web.cal.set_password("ada", PASSWORD, acting="ada")
    admin = web.login("ada", follow_redirects=False)
    page = admin.get("/admin/charges").text
    assert 'id="issue-form"' in page and 'value="2029-12"' in page and "None yet." in page
    done = admin.post("/admin/invoices", data={"month": "2029-12"}, headers=SAME_ORIGIN)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/admin/charges?done=issued#invoices"
    paid = admin.post(
        "/admin/payments",
        data={"member": "bob", "amount": "19.00", "method": "cash", "reference": ""},
        headers=SAME_ORIGIN,
    )
    assert paid.headers["location"] == "/admin/charges?done=paid#invoices"
    refused = admin.post(
        "/admin/payments",
        data={"member": "bob", "amount": "-1", "method": "cash"},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 303 and "flash=" in refused.headers["location"]
    page = admin.get(refused.headers["location"]).text
    assert "needs a reason" in page
    listed = admin.get("/admin/charges").text
    assert 'href="/api/invoices/2030-000001.pdf" download' in listed and "open" in listed
    refused = admin.post("/admin/invoices", data={"month": "2030"}, headers=SAME_ORIGIN)
    shown = _messages(admin.get(refused.headers["location"]).text, "issue")
    assert shown == {"month": "month '2030' is not a month (YYYY-MM, like 2030-01)"}
    answer = web.as_("ada").post("/api/invoices/issue", json={"month": "2030-13"})
    assert answer.status_code == 400 and error_of(answer)["field"] == "month"
    assert web.cal.balance("bob", acting="ada").balance.balance == 100


def _messages(html: str, section: str) -> dict[str, str]:
    """The messages a page shows in a form's section, by field (``form``: above it)."""
    found = re.findall(rf'id="{section}-(\w+)-error"[^>]*>([^<]+)</p>', html)
    return {field: unescape(text) for field, text in found}


class TestCreditForm:
    """/admin/charges credits an invoice as ``rentcal invoice credit`` and the API do:
    the same rules, the same words, shown beside the field they concern."""

    @pytest.fixture
    def admin(self, web: Web) -> TestClient:
        _charged(web)
        web.cal.issue_invoices("2029-12", acting="ada")
        return web.as_("ada", follow_redirects=False)

    def test_a_partial_then_the_rest(self, web: Web, admin: TestClient) -> None:
        page = admin.get("/admin/charges").text
        assert '<option value="2030-000001">2030-000001, bob: €100.00 net</option>' in page
        sent = {"invoice": "2030-000001", "reason": "Goodwill", "amount": "20.00"}
        done = admin.post("/admin/credit-notes", data=sent, headers=SAME_ORIGIN)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/admin/charges?done=credited#invoices"
        page = admin.get(done.headers["location"]).text
        assert "Credit note issued." in page
        assert "(credit note for 2030-000001), bob" in page
        assert "2030-000001, bob: €80.00 of €100.00 net left</option>" in page
        notes = [s for s in web.cal.invoices(acting="ada") if s.refers_to == "2030-000001"]
        assert [(s.number, s.net, s.gross) for s in notes] == [
            ("2030-000002", Decimal("-20.00"), Decimal("-23.80"))
        ]
        rest = {"invoice": "2030-000001", "reason": "Tractor broke down", "amount": " 80.00 "}
        assert admin.post("/admin/credit-notes", data=rest, headers=SAME_ORIGIN).is_redirect
        assert web.cal.balance("bob", acting="ada").balance.balance == Decimal("0.00")
        page = admin.get("/admin/charges").text
        assert 'id="nothing-to-credit"' in page and 'id="credit-form"' not in page

    def test_every_line_when_no_amount(self, web: Web, admin: TestClient) -> None:
        sent = {"invoice": "2030-000001", "reason": "Cancelled", "amount": ""}
        assert admin.post("/admin/credit-notes", data=sent, headers=SAME_ORIGIN).is_redirect
        [note] = [s for s in web.cal.invoices(acting="ada") if s.refers_to]
        assert note.gross == Decimal("-119.00")

    @pytest.mark.parametrize(
        ("sent", "field", "words"),
        [
            pytest.param({"reason": ""}, "reason", "reason must not be empty", id="no-reason"),
            pytest.param({"reason": " \t "}, "reason", "must not be empty", id="blank-reason"),
            pytest.param({"reason": "x\x00"}, "reason", "NUL", id="nul-reason"),
            pytest.param({"reason": "r" * 501}, "reason", "the limit is 500", id="long-reason"),
            pytest.param(
                {"reason": "x", "amount": "500.00"},
                "amount",
                "credit amount 500.00 must be more than 0 and at most the 100.00 left of "
                "invoice 2030-000001 (net, before VAT)",
                id="over-what-is-left",
            ),
            pytest.param(
                {"reason": "x", "amount": "0"}, "amount", "must be more than 0", id="zero"
            ),
            pytest.param({"reason": "x", "amount": "-5"}, "amount", "is negative", id="minus"),
            pytest.param(
                {"reason": "x", "amount": "abc"},
                "amount",
                "credit amount 'abc' is not a number",
                id="not-a-number",
            ),
            pytest.param(
                {"reason": "x", "amount": "9" * 5000}, "amount", "is larger than", id="huge"
            ),
            pytest.param(
                {"invoice": "2030-000009", "reason": "x"},
                "invoice",
                "no invoice numbered '2030-000009'",
                id="unknown-number",
            ),
            pytest.param({"invoice": "", "reason": "x"}, "invoice", "no invoice", id="none"),
            pytest.param(
                {"invoice": "2030\x00\u202e1", "reason": "x"},
                "invoice",
                "no invoice numbered '2030\\x00\\u202e1'",
                id="control-characters",
            ),
        ],
    )
    def test_refused_beside_the_field_in_the_apis_words(
        self, web: Web, admin: TestClient, sent: dict[str, str], field: str, words: str
    ) -> None:
        data = {"invoice": "2030-000001", "amount": "", **sent}
        refused = admin.post("/admin/credit-notes", data=data, headers=SAME_ORIGIN)
        assert refused.status_code == 303, refused.text
        assert re.fullmatch(r"/admin/charges\?flash=[\w-]+#credit", refused.headers["location"])
        page = admin.get(refused.headers["location"])
        assert page.status_code == 200
        shown = _messages(page.text, "credit")
        assert words in shown[field] and not any(v for k, v in shown.items() if k != field)
        assert f'value="{escape(data["reason"][:500])}"' in page.text  # what was typed stays
        # the API's path takes such a number, its body at most 40 characters of an amount
        if re.fullmatch(r"[\w-]+", data["invoice"]) and len(data["amount"]) <= 40:
            body = {"reason": data["reason"], "amount": data["amount"] or None}
            answer = admin.post(f"/api/invoices/{data['invoice']}/credit", json=body)
            assert error_of(answer)["error"] == shown[field]
        assert not [s for s in web.cal.invoices(acting="ada") if s.refers_to]

    def test_a_credit_note_or_what_was_credited_already(self, web: Web, admin: TestClient) -> None:
        web.cal.credit_invoice("2030-000001", "Goodwill", "30.00", acting="ada")
        cases = [
            ({"invoice": "2030-000002"}, "invoice", "2030-000002 is a credit note: only an "),
            ({"amount": ""}, "amount", "30.00 of invoice 2030-000001 was credited already: "),
            ({"amount": "70.01"}, "amount", "at most the 70.00 left of invoice 2030-000001"),
        ]
        for sent, field, words in cases:
            data = {"invoice": "2030-000001", "reason": "x", **sent}
            refused = admin.post("/admin/credit-notes", data=data, headers=SAME_ORIGIN)
            assert words in _messages(admin.get(refused.headers["location"]).text, "credit")[field]

    def test_only_admins_and_only_from_this_site(self, web: Web, admin: TestClient) -> None:
        from tests.web_support import PASSWORD

        data = {"invoice": "2030-000001", "reason": "mine", "amount": ""}
        member = web.as_("bob", follow_redirects=False)
        refused = member.post("/admin/credit-notes", data=data, headers=SAME_ORIGIN)
        assert refused.status_code == 303
        assert member.get(refused.headers["location"]).status_code == 403
        unread = admin.post("/admin/credit-notes", json=data, headers=SAME_ORIGIN)
        shown = _messages(admin.get(unread.headers["location"]).text, "credit")
        assert shown == {"form": "this form must be sent as application/x-www-form-urlencoded"}
        web.cal.set_password("ada", PASSWORD, acting="ada")  # ends ada's API tokens
        browser = web.login("ada", follow_redirects=False)
        forged = browser.post(
            "/admin/credit-notes", data=data, headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 403 and error_of(forged)["code"] == "csrf"
        assert not [s for s in web.cal.invoices(acting="ada") if s.refers_to]
