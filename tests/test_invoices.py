"""Issuing invoices and credit notes from the ledger of charges (issue #23).

What the database can change (numbering, charges invoiced once, the append-only
triggers) runs on both backends; permissions and wording are Python's (SQLite).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
import sqlalchemy as sa
from lxml import etree
from pypdf import PdfReader

import rentcal
from rentcal.core.invoices import InvoiceKind
from rentcal.errors import InvalidRequest, NotFound, PermissionDenied
from tests.conftest import BOTH, SQLITE_ONLY, d

D = Decimal
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
FEB = date(2030, 2, 3)
SETTINGS = {
    "name": "Maschinenring Süd eG",
    "address_lines": ["Hauptstraße 1"],
    "postcode": "80331",
    "city": "München",
    "country": "DE",
    "vat_id": "DE136500006",
    "iban": "DE89370400440532013000",
    "vat_rate": "19",
    "terms_days": 14,
}


@pytest.fixture
def org(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """:func:`seeded` with complete invoice settings (19 % VAT) and EUR."""
    return ready(seeded)


def ready(cal: rentcal.Rentcal) -> rentcal.Rentcal:
    """``cal`` with complete invoice settings (19 % VAT) and EUR."""
    cal.set_currency("EUR", acting="ada")
    cal.set_invoice_settings(acting="ada", **SETTINGS)
    return cal


def charge(cal: rentcal.Rentcal, who: str, amount: str, day: date, reason: str = "Hire") -> None:
    cal.add_charge(who, amount, reason, acting="ada", today=day)


def numbers(cal: rentcal.Rentcal) -> list[str]:
    return [s.number for s in cal.invoices(acting="ada")]


@BOTH
class TestIssue:
    """One invoice per member with uninvoiced charges; numbers follow one sequence."""

    def test_one_invoice_per_member_numbered_in_turn(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "100.00", d(5))
        charge(org, "bob", "20.00", d(31))
        charge(org, "dan", "50.00", d(6))
        charge(org, "dan", "10.00", date(2030, 2, 1))  # next month: not yet
        issued = org.issue_invoices("2030-01", acting="ada", today=FEB)
        assert [(s.number, s.member, s.net, s.vat, s.gross) for s in issued] == [
            ("2030-000001", "bob", D("120.00"), D("22.80"), D("142.80")),
            ("2030-000002", "dan", D("50.00"), D("9.50"), D("59.50")),
        ]
        assert all(s.due_date == date(2030, 2, 17) and s.open == s.gross for s in issued)
        doc = org.invoice("2030-000001", acting="bob")
        assert [line.net for line in doc.lines] == [D("100.00"), D("20.00")]
        assert doc.buyer.name == "Bob Baker" and doc.seller.name == SETTINGS["name"]
        assert org.issue_invoices("2030-01", acting="ada", today=FEB) == []
        again = org.issue_invoices("2030-02", acting="ada", today=date(2030, 3, 1))
        assert [(s.number, s.member, s.gross) for s in again] == [
            ("2030-000003", "dan", D("11.90"))
        ]

    def test_late_charges_of_an_earlier_month_come_with_the_next(
        self, org: rentcal.Rentcal
    ) -> None:
        charge(org, "bob", "10.00", d(5))
        org.issue_invoices("2030-01", acting="ada", today=FEB)
        charge(org, "bob", "5.00", d(20))  # charged in January, after January's invoices
        charge(org, "bob", "7.00", date(2030, 2, 10))
        issued = org.issue_invoices("2030-02", acting="ada", today=date(2030, 3, 1))
        assert [s.net for s in issued] == [D("12.00")]

    def test_a_credit_balance_gets_no_invoice_and_carries_over(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "10.00", d(5))
        charge(org, "bob", "-30.00", d(6), "Overcharged in December")
        assert org.issue_invoices("2030-01", acting="ada", today=FEB) == []
        charge(org, "bob", "50.00", date(2030, 2, 4))
        [issued] = org.issue_invoices("2030-02", acting="ada", today=date(2030, 3, 1))
        assert issued.net == D("30.00")
        assert len(org.invoice(issued.number, acting="ada").lines) == 3

    def test_the_issued_invoice_keeps_its_seller_and_buyer(self, org: rentcal.Rentcal) -> None:
        org.set_billing_address("bob", acting="bob", name="Baker Farm", city="Ulm")
        charge(org, "bob", "10.00", d(5))
        [issued] = org.issue_invoices("2030-01", member="bob", acting="ada", today=FEB)
        before = org.invoice(issued.number, acting="ada")
        org.set_invoice_settings(acting="ada", name="Another Name", vat_rate=None)
        org.set_billing_address("bob", acting="bob", name="Other Farm")
        after = org.invoice(issued.number, acting="ada")
        assert after == before and after.buyer.name == "Baker Farm"
        assert after.totals == before.totals and after.totals.vat == D("1.90")

    def test_issued_rows_never_change(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "10.00", d(5))
        org.issue_invoices("2030-01", acting="ada", today=FEB)
        with org.store.engine.connect() as conn:
            for sql in (
                "UPDATE invoice SET gross = 0",
                "DELETE FROM invoice_line",
                "UPDATE invoice_line SET net = 1",
            ):
                with pytest.raises(sa.exc.DBAPIError, match="never change"), conn.begin():
                    conn.exec_driver_sql(sql)


@BOTH
class TestCreditNotes:
    """A correction is a credit note referring to the invoice, with the next number."""

    def test_full_and_partial_credit(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "100.00", d(5))
        [inv] = org.issue_invoices("2030-01", acting="ada", today=FEB)
        part = org.credit_invoice(inv.number, "Broken hitch", "40.00", acting="ada", today=FEB)
        assert (part.number, part.kind, part.refers_to, part.gross) == (
            "2030-000002",
            InvoiceKind.CREDIT_NOTE,
            inv.number,
            D("-47.60"),
        )
        with pytest.raises(InvalidRequest, match=r"at most the 60\.00 left"):
            org.credit_invoice(inv.number, "Again", "61.00", acting="ada", today=FEB)
        with pytest.raises(InvalidRequest, match="credit what is left"):
            org.credit_invoice(inv.number, "All of it", acting="ada", today=FEB)
        org.credit_invoice(inv.number, "The rest", "60.00", acting="ada", today=FEB)
        [after] = [s for s in org.invoices(acting="ada") if s.number == inv.number]
        assert after.open == D("0.00")
        assert numbers(org) == ["2030-000001", "2030-000002", "2030-000003"]

    def test_credit_every_line(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "100.00", d(5))
        charge(org, "bob", "20.00", d(6))
        [inv] = org.issue_invoices("2030-01", acting="ada", today=FEB)
        note = org.credit_invoice(inv.number, "Wrong member", acting="ada", today=FEB)
        doc = org.invoice(note.number, acting="bob")
        assert doc.refers_to == inv.number and doc.note == "Wrong member"
        assert [line.net for line in doc.lines] == [D("-100.00"), D("-20.00")]
        assert doc.totals.gross == -org.invoice(inv.number, acting="ada").totals.gross
        with pytest.raises(InvalidRequest, match="only an invoice can be credited"):
            org.credit_invoice(note.number, "x", acting="ada", today=FEB)


@SQLITE_ONLY
class TestRules:
    """Who may do what, and what is refused with words."""

    def test_members_see_their_own(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "10.00", d(5))
        charge(org, "dan", "10.00", d(5))
        org.issue_invoices("2030-01", acting="ada", today=FEB)
        assert [s.member for s in org.invoices(acting="bob")] == ["bob"]
        with pytest.raises(PermissionDenied, match="members see their own"):
            org.invoice("2030-000002", acting="bob")
        with pytest.raises(PermissionDenied):
            org.invoices("dan", acting="bob")
        with pytest.raises(PermissionDenied, match="admin"):
            org.issue_invoices("2030-01", acting="bob", today=FEB)
        with pytest.raises(PermissionDenied):
            org.credit_invoice("2030-000001", "x", acting="bob", today=FEB)
        with pytest.raises(NotFound, match="no invoice numbered '2030-000009'"):
            org.invoice("2030-000009", acting="ada")

    def test_incomplete_settings_are_named(self, seeded: rentcal.Rentcal) -> None:
        charge(seeded, "bob", "10.00", d(5))
        with pytest.raises(InvalidRequest, match="set the organisation's name, its country, a"):
            seeded.issue_invoices("2030-01", acting="ada", today=FEB)
        assert seeded.invoices(acting="ada") == []

    def test_a_period_not_over_is_refused(self, org: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match=r"not over on 2030-01-31: .* from 2030-02-01"):
            org.issue_invoices("2030-01", acting="ada", today=d(31))

    def test_open_only(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "10.00", d(5))
        charge(org, "dan", "10.00", d(5))
        org.issue_invoices("2030-01", acting="ada", today=FEB)
        org.credit_invoice("2030-000001", "Gift", "10.00", acting="ada", today=FEB)
        assert [s.number for s in org.invoices(open_only=True, acting="ada")] == ["2030-000002"]

    def test_the_pdf_carries_the_stored_totals(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "100.00", d(5))
        [inv] = org.issue_invoices("2030-01", acting="ada", today=FEB)
        pdf = org.invoice_pdf(inv.number, acting="bob")
        assert PdfReader(BytesIO(pdf)).pages
        _, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
        tree = etree.fromstring(xml)
        ns = {"ram": RAM}
        grand = tree.xpath("//ram:GrandTotalAmount/text()", namespaces=ns)
        assert grand == [str(inv.gross)] and inv.number.encode() in xml


@BOTH
@pytest.mark.parametrize(
    "number",
    [
        pytest.param("2030\x00000001", id="nul"),  # PostgreSQL's text cannot hold it
        pytest.param("", id="empty"),
        pytest.param("9" * 5000, id="long"),
        pytest.param("../2030-000001", id="path"),
    ],
)
def test_a_number_no_invoice_can_have_is_not_found(org: rentcal.Rentcal, number: str) -> None:
    """What a form passes as typed is answered as any unknown number, on both backends."""
    charge(org, "bob", "10.00", d(5))
    org.issue_invoices("2030-01", acting="ada", today=FEB)
    with pytest.raises(NotFound, match="no invoice numbered '") as found:
        org.credit_invoice(number, "Goodwill", acting="ada", today=FEB)
    assert len(found.value.message) < 100
    with pytest.raises(NotFound):
        org.invoice(number, acting="ada")


@BOTH
def test_the_previous_release_upgrades_in_place(db_url: str) -> None:
    """A database at 0016_charges (the previous release), with charges, upgrades in place:
    its charges stay and are invoiced once, numbered from 1, after the upgrade."""
    from alembic import command

    from rentcal.db.migrations import runner
    from rentcal.db.store import resolve_url
    from tests.conftest import BUSY_TIMEOUT, make_clock, seed

    def at(moment: datetime) -> rentcal.Rentcal:
        return rentcal.connect(db_url, clock=make_clock(moment), busy_timeout=BUSY_TIMEOUT)

    with at(datetime(2030, 1, 9, 12, tzinfo=UTC)) as cal:
        seed(cal)
        cal.add_charge("bob", "100.00", "Hire", acting="ada", today=d(5))
        cal.add_charge("dan", "-5.00", "Fuel", acting="ada", today=d(6))
        before = cal.charges("2030-01", acting="ada")
    engine = sa.create_engine(resolve_url(db_url))
    try:
        with engine.begin() as conn:
            cfg = runner.config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0016_charges")
            names = set(sa.inspect(conn).get_table_names())
            assert "charge" in names and "invoice" not in names
    finally:
        engine.dispose()
    with at(datetime(2030, 2, 3, 12, tzinfo=UTC)) as cal:
        assert cal.charges("2030-01", acting="ada") == before
        ready(cal)
        issued = cal.issue_invoices("2030-01", acting="ada")
        assert [(s.number, s.member, s.gross) for s in issued] == [
            ("2030-000001", "bob", D("119.00"))
        ]
        assert cal.issue_invoices("2030-01", acting="ada") == []
