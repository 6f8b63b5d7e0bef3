"""``/api/invoices``, ``/api/payments``, ``/api/balance`` (issue #23): the CLI's shapes,
who may do what, the PDF download."""

from __future__ import annotations

import re
from datetime import date

import facturx

from tests.test_invoices import ready
from tests.web_support import Web, error_of


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
    assert web.cal.balance("bob", acting="ada").balance.balance == 100
