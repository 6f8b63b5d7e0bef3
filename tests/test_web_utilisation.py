"""How busy each machine was, in the browser's admin page and the API: admins only, the
CLI's JSON, the month named in the URL, the charts with their tables (no browser)."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

import rentcal
from rentcal.core.utilisation import months_ending
from rentcal.web.pages.utilisation_chart import BAR_MAX, chart, report_month, short
from tests.cli_support import cli
from tests.conftest import TODAY, d
from tests.test_pages import Pages, text_of
from tests.web_support import Web, error_of

T = {"today": TODAY}


@pytest.fixture
def busy(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """The saw booked 20-21 January; the tractor 15-17 and in maintenance 25-26 (both
    added on the 9th)."""
    seeded.book("saw", d(20), d(21), member="bob", **T)
    rental = seeded.book("tractor", d(15), d(17), member="dan", **T)
    seeded.approve(rental.id, acting="ada", **T)
    seeded.add_maintenance("tractor", d(25), d(26), acting="ada", **T)
    return seeded


class TestApi:
    """``GET /api/reports/utilisation``: the CLI's document, for admins."""

    def test_the_clis_document(self, busy: rentcal.Rentcal, db_url: str) -> None:
        web = Web(busy)
        answer = web.as_("ada").get("/api/reports/utilisation?month=2030-01&months=3")
        assert answer.status_code == 200, answer.text
        shown = cli(
            db_url, "report", "utilisation", "--month", "2030-01", "--months", "3", "--json"
        )
        assert answer.json() == json.loads(shown.stdout)
        assert answer.json()["months"] == ["2029-11", "2029-12", "2030-01"]

    def test_this_month_by_default(self, busy: rentcal.Rentcal) -> None:
        data = Web(busy).as_("ada").get("/api/reports/utilisation").json()
        assert (data["month"], len(data["months"])) == ("2030-01", 12)
        assert [m["machine"] for m in data["machines"]] == ["saw", "tractor"]

    def test_members_may_not(self, busy: rentcal.Rentcal) -> None:
        answer = Web(busy).as_("bob").get("/api/reports/utilisation")
        assert answer.status_code == 403
        assert error_of(answer)["code"] == "permission_denied"

    @pytest.mark.parametrize(
        ("query", "status", "says"),
        [
            (
                "month=2030-13",
                400,
                "month '2030-13': not a month (expected YYYY-MM, this, last or next)",
            ),
            ("month=x", 400, "month 'x': not a month"),
            ("months=0", 400, "months"),
            ("months=37", 400, "months"),
        ],
    )
    def test_refused(self, busy: rentcal.Rentcal, query: str, status: int, says: str) -> None:
        answer = Web(busy).as_("ada").get(f"/api/reports/utilisation?{query}")
        assert answer.status_code == status, answer.text
        assert says in error_of(answer)["error"]


def _svg(page: str, element_id: str) -> ElementTree.Element:
    found = re.search(rf'<svg [^>]*id="{element_id}".*?</svg>', page, re.S)
    assert found, f"no svg #{element_id}"
    return ElementTree.fromstring(found.group(0).replace('xmlns="', 'data-ns="'))


class TestAdminPage:
    """The section: a chart a machine and a chart a month, each with its table."""

    def test_charts_and_tables(self, busy: rentcal.Rentcal) -> None:
        busy.set_currency("EUR", acting="ada")
        page = Pages(busy).as_("ada").get("/admin").text
        assert "How busy each machine was: January 2030" in text_of(page, "utilisation-heading")
        machines = _svg(page, "utilisation-machines")
        assert machines.get("role") == "img"
        assert machines.get("aria-labelledby") == "utilisation-machines-title"
        assert machines.get("aria-describedby") == "utilisation-machines-desc"
        assert machines.get("viewBox", "").startswith("0 0 360 ")
        assert machines.findtext("title") == "Share booked per machine, January 2030"
        desc = machines.findtext("desc") or ""
        assert "Band saw 8.7 %; Tractor 6120 14.3 %" in desc
        bars = [float(r.get("width", "0")) for r in machines.iter("rect")]
        assert bars == [round(BAR_MAX * 2 / 23, 1), round(BAR_MAX * 3 / 21, 1)]
        table = text_of(page, "utilisation-machines-table")
        assert "Band saw 2 days 23 days 8.7 % 0 days — €0.00" in table
        assert "Tractor 6120 3 days 21 days 14.3 % 2 days — €0.00" in table
        months = _svg(page, "utilisation-months")
        assert months.get("role") == "img" and months.findtext("desc", "").startswith(
            "Share of bookable days booked, every machine, month by month: February 2029 none"
        )
        assert len(list(months.iter("rect"))) == 1  # only January had bookable days
        rows = text_of(page, "utilisation-months-table")
        assert "Charges Feb 2029 0 0 — €0.00 Mar 2029 0 0 — €0.00" in rows
        assert rows.endswith("Jan 2030 5 44 11.4 % €0.00")

    def test_another_month_by_the_url(self, busy: rentcal.Rentcal) -> None:
        client = Pages(busy).as_("ada")
        page = client.get("/admin?month=2030-02").text
        assert "February 2030" in text_of(page, "utilisation-heading")
        assert 'href="/admin?month=2030-01#utilisation"' in page
        assert 'href="/admin?month=2030-03#utilisation"' in page
        assert 'value="2030-02"' in page

    def test_a_bad_month_is_said_in_the_section(self, busy: rentcal.Rentcal) -> None:
        answer = Pages(busy).as_("ada").get("/admin?month=2030-13")
        assert answer.status_code == 200
        assert text_of(answer.text, "utilisation-error") == (
            "month '2030-13': not a month (expected YYYY-MM, this, last or next)"
        )
        assert "January 2030" in text_of(answer.text, "utilisation-heading")  # this month instead

    def test_nothing_bookable(self, busy: rentcal.Rentcal) -> None:
        page = Pages(busy).as_("ada").get("/admin?month=2029-06").text
        assert "No machine could be booked in June 2029." in text_of(page, "utilisation")
        assert 'id="utilisation-machines"' not in page

    def test_members_see_no_admin_page(self, busy: rentcal.Rentcal) -> None:
        answer = Pages(busy).as_("bob").get("/admin?month=2030-01")
        assert answer.status_code == 403 and 'id="utilisation"' not in answer.text


class TestGeometry:
    def test_bars_scale_with_the_share(self, busy: rentcal.Rentcal) -> None:
        shown = chart(busy.utilisation(month=d(1), months=2, acting="ada"))
        assert [b.y for b in shown.machines] == [4, 26]
        assert shown.height == 4 + 2 * 22 + 16
        (december, january) = shown.months
        assert (december.height, december.share) == (0.0, "none bookable")
        assert january.height == round(64 * 5 / 44, 1)
        assert (january.x, january.width) == (207.0, 126.0)
        assert (shown.previous, shown.following) == ("2029-12", "2030-02")

    def test_the_ends_of_the_calendar(self, busy: rentcal.Rentcal) -> None:
        first = chart(busy.utilisation(month=d(1, 1, 1), months=1, acting="ada"))
        assert first.previous is None and first.following == "0001-02"
        assert months_ending(d(1, 12, 9999), 1)[0].year == 9999

    def test_report_month(self) -> None:
        assert report_month("", TODAY) == (None, None)
        assert report_month("last", TODAY) == (d(1, 12, 2029), None)
        assert report_month("x" * 100, TODAY)[1] == (
            f"month '{'x' * 40}': not a month (expected YYYY-MM, this, last or next)"
        )

    def test_short(self) -> None:
        assert short("Tractor 6120") == "Tractor 6120"
        # 18 characters with the ellipsis
        assert short("A very long machine title indeed") == "A very long machi…"
