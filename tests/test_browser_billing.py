"""Statements and the treasurer's page in a real browser (issue #22): a member finds and
prints their statement (print styles: no navigation, no buttons, the table whole at any
width; a PDF from the browser), an admin corrects an account and sets the policy by form,
nothing is cut at 390 and 1280 px, axe finds nothing serious. Invoices (issue #23): the
treasurer issues, records a payment and credits an invoice by form on a phone (the credit
note by keyboard), and the invoice's PDF downloads from /admin/charges and from the
member's /me with its Factur-X number and total.

The machinery (a real ``rentcal serve``, Debian's Chromium, npm's axe-core) and the
fixtures are tests/test_browser_pages.py's; run with ``RENTCAL_BROWSER_TESTS=1``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import rentcal
from tests import test_browser_pages as shared
from tests.browser import harness
from tests.invoice_support import pdf_facts
from tests.test_browser_admin import OUTSIDE_JS, OVERLAP_JS
from tests.test_browser_pages import DESKTOP, PASSWORDS, PHONE, Site, close, open_page, shot

# The server: tests/test_browser_pages.py's (the browser: tests/browser/fixtures.py).
site = shared.site

pytestmark = pytest.mark.slow
CHECKS_JS = (Path(harness.__file__).parent / "layout_checks.js").read_text(encoding="utf-8")
WIDTHS = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]
#: What print media hides and shows of a statement, as the browser computes it.
PRINTED_JS = """() => {
  const shown = s => { const e = document.querySelector(s);
                       return !!e && getComputedStyle(e).display !== 'none'; };
  const head = document.querySelector('#statement-lines thead');
  return {
    header: shown('header.top'), print: shown('#print'), table: shown('#statement-lines'),
    head: head ? getComputedStyle(head).display : null,
    row: getComputedStyle(document.querySelector('#statement-lines tbody tr')).display,
  };
}"""


@pytest.fixture
def charged(site: Site) -> str:
    """A machine of this test's own and bob's rental of it today, completed (charged)."""
    cal = site.cal
    name = f"press-{len(cal.machines()) + 1}"
    cal.add_machine(name, daily_price="42.50", title=name.title(), auto_approve=True, acting="ada")
    today = cal.today()
    rental = cal.book(name, today, today, member="bob", purpose="cider")
    cal.complete(rental.id, acting="ada")
    return name


@pytest.fixture(scope="module")
def invoicing(
    tmp_path_factory: pytest.TempPathFactory, chromium: str, node_modules: Path
) -> Iterator[Site]:
    """A server of its own whose organisation can invoice (EUR, 19 % VAT) and bob with
    100.00 charged last month. Its own: the server caches the currency for 30 s, so it
    must be set before the server starts, and the statement tests read amounts without
    a currency."""
    from tests.test_invoices import ready

    folder = tmp_path_factory.mktemp("invoicing")
    db_url = f"sqlite:///{folder / 'rentcal.db'}"
    cal = rentcal.connect(db_url)
    cal.add_member("ada", name="Ada Admin", admin=True)
    cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
    for handle in ("ada", "bob"):
        cal.set_password(handle, PASSWORDS[handle], acting="ada")
    ready(cal)
    last_month = cal.today().replace(day=1) - timedelta(days=1)
    cal.add_charge("bob", "100.00", "Tractor, 2 days", acting="ada", today=last_month)
    server = harness.Server(db_url, node_modules / "fullcalendar", folder / "server.log")
    try:
        yield Site(server.url, db_url, cal, server, node_modules)
    finally:
        server.stop()
        cal.close()


def downloaded(page: Any, link: str) -> tuple[str, bytes]:
    """Click ``link`` and wait for its download: (the file's suggested name, its bytes)."""
    with page.expect_download() as info:
        page.click(link)
    download = info.value
    assert download.failure() is None, download.failure()
    return download.suggested_filename, Path(download.path()).read_bytes()


class TestMemberStatement:
    """From /me to the printable statement; printing and a PDF."""

    @pytest.mark.parametrize("viewport", WIDTHS)
    def test_find_print_and_save(
        self, browser: Any, site: Site, charged: str, viewport: dict[str, int], tmp_path: Path
    ) -> None:
        page = open_page(browser, site, "bob", viewport=viewport)
        page.goto(site.url + "/me")
        assert charged.title() in page.inner_text("#my-charges")
        page.click("#statement-link")
        page.wait_for_url(re.compile(r"/statement$"))
        assert "Bob Baker (bob)" in page.inner_text("#statement-member")
        assert charged.title() in page.inner_text("#statement-lines")
        total = site.cal.statement(site.cal.today().strftime("%Y-%m"), acting="bob").total
        assert page.inner_text("#statement-total") == f"{total:,.2f}"
        # a function: Playwright calls it (an expression ending in a function would be
        # called too, once, by Playwright itself)
        page.evaluate("() => { window.printed = 0; window.print = () => { window.printed++; }; }")
        page.click("#print")
        assert page.evaluate("window.printed") == 1
        assert page.evaluate(OUTSIDE_JS) == []
        page.emulate_media(media="print")
        printed = page.evaluate(PRINTED_JS)
        assert printed == {
            "header": False,
            "print": False,
            "table": True,
            "head": "table-header-group",
            "row": "table-row",
        }
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000
        harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (harness.ARTIFACTS / f"statement-{viewport['width']}.pdf").write_bytes(pdf)
        page.emulate_media(media="screen")
        page.click("#previous-period")
        page.wait_for_url(re.compile(r"/statement\?period=\d{4}-\d{2}$"))
        assert page.locator("#no-charges").count() in (0, 1)
        close(page)

    def test_another_members_statement_is_refused(
        self, browser: Any, site: Site, charged: str
    ) -> None:
        page = open_page(browser, site, "cy")
        answer = page.goto(site.url + "/statement?member=bob")
        assert answer is not None and answer.status == 403
        assert "only admins can see the statement of 'bob'" in page.inner_text("main")
        close(page)


class TestTreasurer:
    """/admin/charges: totals, a correction and the policy by form, the CSV link."""

    def test_correct_and_set_the_policy(self, browser: Any, site: Site, charged: str) -> None:
        before = site.cal.statement(site.cal.today().strftime("%Y-%m"), "bob", acting="ada")
        page = open_page(browser, site, "ada")
        page.goto(site.url + "/admin")
        page.click("#charges-link")
        page.wait_for_url(re.compile(r"/admin/charges$"))
        assert "Bob Baker (bob)" in page.inner_text("#total-bob")
        form = page.locator("#correction-form")
        form.get_by_label("Member").select_option("bob")
        form.get_by_label("Amount").fill("ten")
        form.get_by_label("Reason").fill("goodwill")
        form.get_by_role("button", name="Add correction").click()
        page.wait_for_url(re.compile(r"/admin/charges\?period=[\d-]+&flash=[\w-]+#correction$"))
        assert "is not a number" in page.inner_text("#correction-amount-error")
        assert form.get_by_label("Reason").input_value() == "goodwill"
        form.get_by_label("Amount").fill("-5.00")
        form.get_by_role("button", name="Add correction").click()
        page.wait_for_url(re.compile(r"done=charged#ledger$"))
        after = site.cal.statement(before.period.label, "bob", acting="ada")
        assert after.total == before.total - Decimal("5.00")
        policy = page.locator("#policy-form")
        policy.get_by_label("Free until this many days before the start").fill("7")
        policy.get_by_label("or this percentage of the booked price").fill("50")
        policy.get_by_role("button", name="Save policy").click()
        page.wait_for_url(re.compile(r"done=policy#ledger$"))
        assert "then 50% of the booked price" in page.inner_text("#policy-words")
        href = page.get_attribute("#csv-link", "href") or ""
        answer = page.request.get(site.url + href)
        assert answer.status == 200 and answer.text().startswith("id,charged_on,")
        site.cal.set_cancellation_policy(None, acting="ada")
        close(page)

    @pytest.mark.parametrize("viewport", WIDTHS)
    def test_nothing_cut_or_overlapped(
        self, browser: Any, site: Site, charged: str, viewport: dict[str, int]
    ) -> None:
        page = open_page(browser, site, "ada", viewport=viewport)
        found: dict[str, dict[str, list[str]]] = {}
        for path in ("/admin/charges", "/statement?member=bob", "/me"):
            page.goto(site.url + path)
            checks = {"outside": page.evaluate(OUTSIDE_JS), "overlap": page.evaluate(OVERLAP_JS)}
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if widths[0] > widths[1]:
                checks["scrolls sideways"] = [str(widths)]
            if any(checks.values()):
                found[path] = {k: v[:5] for k, v in checks.items() if v}
            name = re.sub(r"\W+", "-", path.split("?")[0]).strip("-")
            shot(page, f"billing-{name}-{viewport['width']}")
        assert found == {}, json.dumps(found, indent=1)
        close(page)

    def test_axe(self, browser: Any, site: Site, charged: str, node_modules: Path) -> None:
        axe = node_modules / "axe-core" / "axe.min.js"
        page = open_page(browser, site, "ada", bypass_csp=True)  # axe is an injected script
        found: dict[str, list[str]] = {}
        for path in ("/admin/charges", "/admin/charges?period=13", "/statement?member=bob"):
            page.goto(site.url + path)
            page.add_script_tag(path=str(axe))
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            bad = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[path] = bad
        assert found == {}, json.dumps(found, indent=1)
        close(page)


class TestInvoices:
    """Issue #23 by form, on a phone: issue, pay, credit; the PDFs downloaded."""

    def test_issue_pay_credit_and_download(
        self, browser: Any, invoicing: Site, node_modules: Path
    ) -> None:
        cal, today = invoicing.cal, invoicing.cal.today()
        month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        number, note = f"{today.year}-000001", f"{today.year}-000002"
        page = open_page(browser, invoicing, "ada", viewport=PHONE)
        page.goto(invoicing.url + "/admin/charges")
        issue = page.locator("#issue-form")
        issue.get_by_label("Month (YYYY-MM)").fill(month)
        issue.get_by_label("Member").select_option("bob")
        issue.get_by_role("button", name="Issue invoices").click()
        page.wait_for_url(re.compile(r"/admin/charges\?done=issued#invoices$"))
        assert "119.00" in page.inner_text(f"#invoice-{number}")
        payment = page.locator("#payment-form")
        payment.get_by_label("Member").select_option("bob")
        payment.get_by_label("Amount").fill("50.00")
        payment.get_by_label("Reference").fill(f"RE {number}")
        payment.get_by_role("button", name="Record payment").click()
        page.wait_for_url(re.compile(r"done=paid#invoices$"))
        assert "open €69.00" in page.inner_text(f"#invoice-{number}")
        # the credit note by keyboard alone: the select's arrow keys, Tab, Enter
        page.focus("#n-invoice")
        page.keyboard.press("ArrowDown")
        assert page.input_value("#n-invoice") == number
        page.keyboard.press("Tab")
        page.keyboard.type("Tractor broke down on day 2")
        page.keyboard.press("Tab")
        page.keyboard.type("500")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/admin/charges\?flash=[\w-]+#credit$"))
        assert page.inner_text("#credit-amount-error") == (
            f"credit amount 500.00 must be more than 0 and at most the 100.00 left of "
            f"invoice {number} (net, before VAT)"
        )
        assert page.get_attribute("#n-amount", "aria-invalid") == "true"
        border = "e => [getComputedStyle(e).borderTopWidth, getComputedStyle(e).borderTopColor]"
        assert page.eval_on_selector("#n-amount", border) == ["2px", "rgb(176, 42, 55)"]  # --bad
        assert page.input_value("#n-reason") == "Tractor broke down on day 2"
        problems = self._layout(page, node_modules)
        shot(page, "billing-credit-refused-390")
        page.focus("#n-amount")
        page.keyboard.press("Control+A")
        page.keyboard.type("20.00")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"done=credited#invoices$"))
        assert page.get_by_role("status").inner_text() == "Credit note issued."
        assert f"(credit note for {number})" in page.inner_text(f"#invoice-{note}")
        assert cal.balance("bob", acting="ada").balance.balance == Decimal("45.20")
        name, pdf = downloaded(page, f"#invoice-{number} a")
        assert name == f"{number}.pdf" and pdf.startswith(b"%PDF-")
        assert pdf_facts(pdf) == (number, Decimal("119.00"))
        page.set_viewport_size(DESKTOP)
        problems |= {f"1280 {k}": v for k, v in self._layout(page, node_modules).items()}
        assert problems == {}, json.dumps(problems, indent=1)
        close(page)
        mine = open_page(browser, invoicing, "bob", viewport=PHONE)
        mine.goto(invoicing.url + "/me")
        assert "€45.20" in mine.inner_text("#balance")
        name, pdf = downloaded(mine, f"#invoice-{number} a")
        assert name == f"{number}.pdf" and pdf_facts(pdf) == (number, Decimal("119.00"))
        _, pdf = downloaded(mine, f"#invoice-{note} a")
        assert pdf_facts(pdf) == (note, Decimal("23.80"))  # a credit note states it positive
        close(mine)

    @staticmethod
    def _layout(page: Any, node_modules: Path) -> dict[str, list[str]]:
        """What the pictures' checks (tests/browser/layout_checks.js) and axe-core (any
        impact) find wrong on the page as it is: nothing cut, overlapped or outside."""
        found = page.evaluate(CHECKS_JS)
        problems = {check: items[:8] for check, items in found.items() if items}
        page.evaluate((node_modules / "axe-core" / "axe.min.js").read_text(encoding="utf-8"))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        if bad := [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
        ]:
            problems["axe"] = bad
        return problems
