"""``rentcal invoice issue | list | show | pdf | credit``, ``payment add | list`` and
``balance`` on the command line: output, exit codes, permissions (issue #23)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import facturx

import rentcal
from tests.cli_support import cli, failed, ok_json
from tests.conftest import d
from tests.test_invoices import ready

FEB = {"RENTCAL_TODAY": "2030-02-01"}


def _issued(cal: rentcal.Rentcal, db_url: str) -> None:
    ready(cal)
    cal.add_charge("bob", "100.00", "Hire", acting="ada", today=d(5))
    cal.add_charge("dan", "10.00", "Hire", acting="ada", today=d(6))
    result = cli(db_url, "invoice", "issue", "--month", "2030-01", env=FEB)
    assert result.exit_code == 0, result.output
    assert "2030-000001  invoice  bob" in result.stdout
    assert "2030-000002  invoice  dan" in result.stdout


class TestInvoices:
    """Issue, list, show, PDF, credit."""

    def test_issue_list_show(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        _issued(seeded, db_url)
        again = cli(db_url, "invoice", "issue", "--month", "2030-01", env=FEB)
        assert again.stdout.strip() == "No invoices issued: nothing left to invoice."
        listed = ok_json(db_url, "invoice", "list", "--member", "bob")
        assert [(i["number"], i["gross"], i["open"]) for i in listed] == [
            ("2030-000001", "119.00", "119.00")
        ]
        rows = list(csv.DictReader(io.StringIO(cli(db_url, "invoice", "list", "--csv").stdout)))
        assert [r["number"] for r in rows] == ["2030-000001", "2030-000002"]
        shown = ok_json(db_url, "invoice", "show", "2030-000001", as_="bob")
        assert (shown["vat"], shown["gross"], shown["buyer"]) == ("19.00", "119.00", "Bob Baker")

    def test_pdf_and_credit(self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        _issued(seeded, db_url)
        target = tmp_path / "inv.pdf"
        result = cli(db_url, "invoice", "pdf", "2030-000001", "-o", str(target), as_="bob")
        assert result.exit_code == 0, result.output
        _, xml = facturx.get_facturx_xml_from_pdf(target.read_bytes(), check_xsd=True)
        assert b"2030-000001" in xml
        note = ok_json(
            db_url, "invoice", "credit", "2030-000001", "--reason", "Goodwill", "--amount", "20"
        )
        assert [(n["number"], n["gross"], n["refers_to"]) for n in note] == [
            ("2030-000003", "-23.80", "2030-000001")
        ]
        open_ = ok_json(db_url, "invoice", "list", "--open")
        assert [(i["number"], i["open"]) for i in open_] == [
            ("2030-000001", "95.20"),
            ("2030-000002", "11.90"),
        ]

    def test_refused(self, seeded: rentcal.Rentcal, db_url: str, tmp_path: Path) -> None:
        failed(
            cli(db_url, "invoice", "issue", "--month", "2030-01", env=FEB),
            2,
            "invoices cannot be issued yet: set the organisation's name",
        )
        _issued(seeded, db_url)
        failed(
            cli(db_url, "invoice", "pdf", "2030-000001", "-o", str(tmp_path / "x"), as_="dan"),
            3,
            "cannot see invoice 2030-000001 of 'bob'",
        )
        failed(cli(db_url, "invoice", "show", "9"), 2, "no invoice numbered '9'")
        failed(
            cli(db_url, "invoice", "issue", "--month", "2030-01", as_="bob", env=FEB),
            3,
            "only admins can issue invoices",
        )
        failed(
            cli(db_url, "invoice", "list", "--json", "--csv"), 2, "give --json or --csv, not both"
        )

    def test_the_month_error_says_what_issue_takes(
        self, seeded: rentcal.Rentcal, db_url: str
    ) -> None:
        """A month only: the message never offers a year, which ``issue`` does not take."""
        ready(seeded)
        for month in ("2030-13", "2029"):
            result = cli(db_url, "invoice", "issue", "--month", month, env=FEB)
            assert (result.exit_code, result.stdout) == (2, "")
            assert (
                result.stderr == f"Error: month '{month}' is not a month (YYYY-MM, like 2030-01)\n"
            )
        assert seeded.invoices(acting="ada") == []


class TestPayments:
    """Payments, refunds and the balance."""

    def test_payment_refund_balance(self, seeded: rentcal.Rentcal, db_url: str) -> None:
        _issued(seeded, db_url)
        paid = ok_json(
            db_url, "payment", "add", "--member", "bob", "--amount", "150.00",
            "--method", "transfer", "--reference", "RE 1", "--date", "2030-02-03",
        )  # fmt: skip
        assert paid[0]["allocations"] == [{"invoice": "2030-000001", "amount": "119.00"}]
        assert paid[0]["received_on"] == "2030-02-03"
        body = ok_json(db_url, "balance", as_="bob")
        assert (body["balance"], body["unallocated"], body["open_items"]) == ("-31.00", "31.00", [])
        failed(
            cli(db_url, "payment", "add", "--member", "bob", "--amount", "-31", "--method", "cash"),
            2,
            "a refund (-31.00) needs a reason",
        )
        refund = ok_json(
            db_url, "payment", "add", "--member", "bob", "--amount", "-31",
            "--method", "cash", "--reason", "Overpaid",
        )  # fmt: skip
        assert refund[0]["allocations"] == []
        assert ok_json(db_url, "balance", "--member", "bob")["balance"] == "0.00"
        assert len(ok_json(db_url, "payment", "list", "--member", "bob")) == 2
        assert ok_json(db_url, "payment", "list", as_="dan") == []
        table = cli(db_url, "balance", "--member", "dan")
        assert "Balance of dan: 11.90 EUR" in table.stdout
        assert "2030-000002" in table.stdout
        failed(
            cli(db_url, "payment", "add", "--member", "bob", "--amount", "1", "--method", "x"),
            2,
            "payment method",
        )
        failed(cli(db_url, "balance", "--member", "bob", as_="dan"), 3, "members see their own")
