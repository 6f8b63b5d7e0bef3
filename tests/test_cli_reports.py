"""``rentcal report utilisation``: the month's table and the months', JSON, the month
named as typed, and who may ask."""

from __future__ import annotations

import re

import pytest

import rentcal
from tests.cli_support import cli, failed, ok_json
from tests.conftest import TODAY, d

T = {"today": TODAY}
TOP_KEYS = {"month", "start", "end", "timezone", "currency", "months", "machines", "total"}
FIGURES = {
    "days",
    "maintenance_days",
    "out_of_service_days",
    "bookable_days",
    "booked_days",
    "share",
    "units_used",
    "meter_unit",
    "charges",
}


@pytest.fixture
def busy(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """The saw booked 20-21 January, the tractor 15-17 and in maintenance 25-26
    (both machines were added on the 9th: the 1st to the 8th are not bookable)."""
    seeded.book("saw", d(20), d(21), member="bob", **T)
    rental = seeded.book("tractor", d(15), d(17), member="dan", **T)
    seeded.approve(rental.id, acting="ada", **T)
    seeded.book("tractor", d(18), d(19), member="bob", **T)  # pending: not counted
    seeded.add_maintenance("tractor", d(25), d(26), acting="ada", **T)
    return seeded


def line(text: str, *cells: str) -> bool:
    """Whether a line of ``text`` holds ``cells`` in order, apart by spaces only."""
    pattern = r"^" + r"\s+".join(re.escape(c) for c in cells) + r"\s*$"
    return re.search(pattern, text, re.M) is not None


class TestTable:
    """Per machine the month's figures, a line for all; then every machine by month."""

    def test_the_month(self, busy: rentcal.Rentcal, db_url: str) -> None:
        busy.set_currency("EUR", acting="ada")
        result = cli(db_url, "report", "utilisation", "--month", "2030-01")
        assert result.exit_code == 0, result.stderr
        out = result.stdout
        assert out.startswith("How busy each machine was in January 2030 (")
        assert line(
            out, "machine", "booked", "bookable", "share", "maintenance", "units", "charges"
        )
        assert line(out, "saw", "2", "23", "8.7 %", "0", "-", "€0.00")
        assert line(out, "tractor", "3", "21", "14.3 %", "2", "-", "€0.00")
        assert line(out, "all machines", "5", "44", "11.4 %", "2", "€0.00")
        assert line(out, "2029-02", "0", "0", "-", "€0.00")
        assert line(out, "2030-01", "5", "44", "11.4 %", "€0.00")
        assert out.index("saw") < out.index("tractor") < out.index("Every machine, month by month")
        assert result.stderr == ""

    @pytest.mark.parametrize(
        ("given", "month"),
        [(None, "2030-01"), ("this", "2030-01"), ("LAST", "2029-12"), ("next", "2030-02")],
    )
    def test_the_month_named(
        self, busy: rentcal.Rentcal, db_url: str, given: str | None, month: str
    ) -> None:
        args = ["report", "utilisation"] + ([] if given is None else ["--month", given])
        assert ok_json(db_url, *args)["month"] == month

    def test_no_machine_bookable(self, busy: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "report", "utilisation", "--month", "2029-06", "--months", "1")
        assert (result.exit_code, result.stdout.splitlines()[-1]) == (
            0,
            "No machine could be booked that month.",
        )


class TestJson:
    """One document, the same shape as the API's; the months oldest first."""

    def test_shape(self, busy: rentcal.Rentcal, db_url: str) -> None:
        data = ok_json(db_url, "report", "utilisation", "--month", "2030-02", "--months", "2")
        assert set(data) == TOP_KEYS
        assert (data["month"], data["start"], data["end"]) == (
            "2030-02",
            "2030-02-01",
            "2030-02-28",
        )
        assert data["months"] == ["2030-01", "2030-02"]
        assert data["currency"] is None
        saw, tractor = data["machines"]
        assert set(saw) == {"machine", "title", "status", "months"} | FIGURES
        assert (saw["machine"], saw["title"], saw["status"]) == ("saw", "Band saw", "active")
        assert [m["month"] for m in saw["months"]] == ["2030-01", "2030-02"]
        assert set(saw["months"][0]) == {"month"} | FIGURES
        assert saw["months"][0]["booked_days"] == 2 and saw["booked_days"] == 0
        assert (saw["share"], saw["units_used"], saw["charges"]) == (0.0, None, "0.00")
        assert tractor["months"][0]["share"] == round(3 / 21, 4)
        total = data["total"]
        assert set(total) == FIGURES - {"units_used", "meter_unit"} | {"months"}
        assert [t["booked_days"] for t in total["months"]] == [5, 0]
        assert total["months"][0]["bookable_days"] == 44

    def test_a_member_is_refused_as_json(self, busy: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "report", "utilisation", "--json", as_="bob")
        failed(result, 3, "member 'bob' is not an admin")
        assert result.stdout == ""


class TestRefused:
    """Errors name the value; members are not admins; nothing printed on stdout."""

    @pytest.mark.parametrize(
        "month", ["2030-13", "2030-00", "13-2030", "2030-1", "0000-05", "soon"]
    )
    def test_not_a_month(self, busy: rentcal.Rentcal, db_url: str, month: str) -> None:
        result = cli(db_url, "report", "utilisation", "--month", month)
        failed(result, 2, f"--month '{month}': not a month (expected YYYY-MM, this, last or next)")
        assert result.stdout == ""

    @pytest.mark.parametrize("months", ["0", "37", "x"])
    def test_months_out_of_range(self, busy: rentcal.Rentcal, db_url: str, months: str) -> None:
        failed(cli(db_url, "report", "utilisation", "--months", months), 2, "'--months'")

    def test_members_may_not(self, busy: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "report", "utilisation", as_="bob")
        failed(
            result, 3, "member 'bob' is not an admin; only admins can see how busy the machines are"
        )
        assert result.stdout == ""
