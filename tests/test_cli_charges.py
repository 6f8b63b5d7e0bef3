"""``rentcal statement``, ``charges list | export``, ``charge add``, ``cancellation show | set``
and the machines' prices on the command line: output, exit codes, permissions (issue #22).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import rentcal
from tests.cli_support import cli, failed, ok_json, snapshot
from tests.conftest import TODAY, d


def _charged(cal: rentcal.Rentcal) -> int:
    rental = cal.book("saw", d(9), d(10), member="bob", today=TODAY)
    cal.complete(rental.id, acting="ada", today=TODAY)
    return rental.id


class TestStatement:
    """A member's statement: table, JSON, CSV; periods; who may see it."""

    def test_table(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        rid = _charged(seeded)
        result = cli(db_url, "statement", "--month", "2030-01", as_="bob")
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == "Statement of Bob Baker (bob), January 2030"
        assert f"Use     {rid}         Band saw on Wed 9 – Thu 10 Jan 2030" in result.stdout
        assert lines[-1] == "Total: 31.00"

    def test_json_and_year(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        _charged(seeded)
        body = ok_json(db_url, "statement", "--member", "bob", "--year", "2030")
        assert (body["period"], body["total"], len(body["charges"])) == ("2030", "31.00", 1)
        assert ok_json(db_url, "statement", "--month", "last", as_="bob")["period"] == "2029-12"
        assert ok_json(db_url, "statement", "--year", "last", as_="bob")["period"] == "2029"
        assert ok_json(db_url, "statement", as_="bob")["period"] == "2030-01"

    def test_csv(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        _charged(seeded)
        result = cli(db_url, "statement", "--csv", as_="bob")
        rows = result.stdout.splitlines()
        assert rows[0].startswith("id,charged_on,") and len(rows) == 2

    @pytest.mark.parametrize(
        ("args", "as_", "code", "message"),
        [
            (["--member", "bob"], "dan", 3, "only admins can see the statement of 'bob'"),
            (["--month", "2030-13"], "bob", 2, "--month '2030-13' is not a month"),
            (["--year", "30"], "bob", 2, "--year '30' is not a year"),
            (["--month", "2030-01", "--year", "2030"], "bob", 2, "give --month or --year"),
            (["--json", "--csv"], "bob", 2, "give --json or --csv, not both"),
            (["--member", "nobody"], "ada", 2, "member 'nobody' not found"),
        ],
    )
    def test_refused(
        self,
        seeded: rentcal.Rentcal,
        db_url: str,
        args: list[str],
        as_: str,
        code: int,
        message: str,
    ) -> None:
        failed(cli(db_url, "statement", *args, as_=as_), code, message)


class TestCharges:
    """Every charge of a period and the accounting CSV: admins only."""

    def test_list_and_export(self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        _charged(seeded)
        seeded.add_charge("dan", "-1", "refund", acting="ada")
        listed = ok_json(db_url, "charges", "list", "--month", "2030-01")
        assert [(c["member"], c["amount"]) for c in listed] == [("bob", "31.00"), ("dan", "-1.00")]
        assert len(ok_json(db_url, "charges", "list", "--member", "dan")) == 1
        table = cli(db_url, "charges", "list").stdout
        assert table.splitlines()[-1] == "Total: 30.00"
        out = tmp_path / "jan.csv"
        assert cli(db_url, "charges", "export", "-o", str(out)).exit_code == 0
        text = out.read_bytes().decode("utf-8")
        assert text.count("\r\n") == 3 and text.endswith("\r\n")
        shown = cli(db_url, "charges", "export", "--month", "2030-01").stdout_bytes
        assert shown.decode("utf-8") == text  # the same bytes, CRLF line ends (RFC 4180)
        assert cli(db_url, "charges", "list", "--month", "2030-02").stdout.strip() == (
            "No charges in this period."
        )

    def test_admins_only(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        for args in (["charges", "list"], ["charges", "export"]):
            failed(cli(db_url, *args, as_="bob"), 3, "only admins can list every member's")


class TestChargeAdd:
    """Corrections: a credit or a debit with a reason, admins only, nothing written on refusal."""

    def test_credit(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(
            db_url, "charge", "add", "--member", "bob", "--amount", "-2.5", "--reason", "x"
        )
        assert result.stdout == "Credited bob 2.50 (charge 1): x\n"
        rid = _charged(seeded)
        body = ok_json(
            db_url, "charge", "add", "--member", "bob", "--amount", "4", "--reason", "clean",
            "--rental", str(rid),
        )  # fmt: skip
        assert (body["kind"], body["amount"], body["rental_id"]) == ("correction", "4.00", rid)
        assert seeded.statement("2030-01", "bob", acting="ada").total == Decimal("32.50")

    @pytest.mark.parametrize(
        ("args", "as_", "code", "message"),
        [
            (["--amount", "1"], "bob", 3, "only admins can add charges"),
            (["--amount", "0"], "ada", 2, "amount is 0"),
            (["--amount", "1.234"], "ada", 2, "more than 2 decimal places"),
            (["--amount", "1", "--rental", "99"], "ada", 2, "rental 99 not found"),
        ],
    )
    def test_refused(
        self,
        seeded: rentcal.Rentcal,
        db_url: str,
        args: list[str],
        as_: str,
        code: int,
        message: str,
    ) -> None:
        before = snapshot(seeded)
        result = cli(db_url, "charge", "add", "--member", "bob", "--reason", "x", *args, as_=as_)
        failed(result, code, message)
        assert snapshot(seeded) == before


class TestCancellationPolicy:
    """Showing and setting the policy; the fee a late cancellation then costs."""

    def test_set_show_and_charge(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        shown = cli(db_url, "cancellation", "show").stdout
        assert "cancelling is always free" in shown
        body = ok_json(db_url, "cancellation", "set", "--free-days", "7", "--share", "25%")
        assert body == {"free_days": 7, "fee": None, "share": "25.00"}
        rental = seeded.book("saw", d(12), d(13), member="bob", today=TODAY)
        result = cli(db_url, "cancel", str(rental.id), as_="bob")
        assert result.exit_code == 0, result.output
        [charge] = seeded.rental_charges(rental.id, acting="ada")
        assert charge.amount == Decimal("7.75")
        history = ok_json(db_url, "cancellation", "show", "--history")["history"]
        assert [h["free_days"] for h in history] == [7]
        assert ok_json(db_url, "cancellation", "set", "--off")["free_days"] is None

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            ([], 2, "give --free-days N with --fee or --share, or --off"),
            (["--off", "--fee", "1"], 2, "give --off alone"),
            (["--free-days", "7"], 2, "give a fee (an amount) or a share"),
            (["--free-days", "7", "--fee", "1", "--share", "2"], 2, "not both"),
            (["--free-days", "0", "--fee", "1"], 2, "Invalid value for '--free-days'"),
            (["--free-days", "7", "--share", "101"], 2, "at most 100"),
        ],
    )
    def test_refused(
        self, seeded: rentcal.Rentcal, db_url: str, args: list[str], code: int, message: str
    ) -> None:
        failed(cli(db_url, "cancellation", "set", *args), code, message)
        assert seeded.cancellation_policy().free_days is None

    def test_admins_only(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        result = cli(db_url, "cancellation", "set", "--off", as_="bob")
        failed(result, 3, "only admins can set the cancellation policy")


class TestMachinePrices:
    """``machine add|edit --unit-price --minimum-charge`` and their clearing."""

    def test_add_edit_clear(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        added = ok_json(
            db_url, "machine", "add", "rig", "--price", "9", "--unit-price", "0.5",
            "--minimum-charge", "20",
        )  # fmt: skip
        assert (added["unit_price"], added["minimum_charge"]) == ("0.50", "20.00")
        shown = cli(db_url, "machine", "show", "rig").stdout
        assert "unit price    0.50" in shown and "minimum       20.00" in shown
        edited = ok_json(db_url, "machine", "edit", "rig", "--clear-unit-price")
        assert edited["unit_price"] is None and edited["minimum_charge"] == "20.00"
        failed(
            cli(db_url, "machine", "edit", "rig", "--unit-price", "1", "--clear-unit-price"),
            2,
            "give --unit-price or --clear-unit-price, not both",
        )
        failed(cli(db_url, "machine", "add", "x", "--price", "1", "--unit-price", "-1"), 2, "neg")
