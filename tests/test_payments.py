"""Payments, refunds, allocations and balances in the service (issue #23).

Allocation rules are Python's (SQLite); the append-only guard on payments runs on both.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.core.payments import Allocation
from rentcal.errors import ArgumentTypeError, InvalidRequest, PermissionDenied
from tests.conftest import BOTH, SQLITE_ONLY, d
from tests.test_invoices import FEB, charge, ready

D = Decimal
MAR = date(2030, 3, 2)


@pytest.fixture
def org(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """:func:`seeded`, ready to invoice (19 % VAT, EUR)."""
    return ready(seeded)


def two_invoices(cal: rentcal.Rentcal) -> None:
    """bob: 2030-000001 of 119.00 (January), 2030-000002 of 59.50 (February)."""
    charge(cal, "bob", "100.00", d(5))
    cal.issue_invoices("2030-01", acting="ada", today=FEB)
    charge(cal, "bob", "50.00", date(2030, 2, 5))
    cal.issue_invoices("2030-02", acting="ada", today=MAR)


@SQLITE_ONLY
class TestAllocation:
    """Oldest first by default, or the invoice named; the rest is a credit."""

    def test_oldest_first_and_the_balance(self, org: rentcal.Rentcal) -> None:
        two_invoices(org)
        paid = org.add_payment("bob", "150.00", "transfer", reference="RF 1", acting="ada")
        assert paid.allocations == (
            Allocation("2030-000001", D("119.00")),
            Allocation("2030-000002", D("31.00")),
        )
        account = org.balance("bob", acting="bob")
        assert account.balance.balance == D("28.50")
        assert [(i.number, i.open) for i in account.open_items] == [("2030-000002", D("28.50"))]
        assert [s.number for s in org.invoices(open_only=True, acting="ada")] == ["2030-000002"]

    def test_the_invoice_named(self, org: rentcal.Rentcal) -> None:
        two_invoices(org)
        paid = org.add_payment("bob", "200.00", "cash", invoice="2030-000002", acting="ada")
        assert paid.allocations == (Allocation("2030-000002", D("59.50")),)
        account = org.balance("bob", acting="ada")
        assert account.balance.unallocated == D("140.50")
        assert account.balance.balance == D("-21.50")  # 178.50 invoiced, 200.00 paid

    def test_a_credit_settles_the_next_invoice(self, org: rentcal.Rentcal) -> None:
        org.add_payment("bob", "50.00", "card", received_on=d(20), acting="ada")
        assert org.balance("bob", acting="ada").balance.balance == D("-50.00")
        charge(org, "bob", "100.00", d(5))
        [issued] = org.issue_invoices("2030-01", acting="ada", today=FEB)
        assert issued.open == D("69.00")
        [payment] = org.payments("bob", acting="bob")
        assert payment.allocations == (Allocation(issued.number, D("50.00")),)

    def test_a_refund_settles_what_the_member_is_owed(self, org: rentcal.Rentcal) -> None:
        charge(org, "bob", "100.00", d(5))
        [inv] = org.issue_invoices("2030-01", acting="ada", today=FEB)
        org.add_payment("bob", "119.00", "transfer", acting="ada")
        org.credit_invoice(inv.number, "Machine broke", "20.00", acting="ada", today=FEB)
        account = org.balance("bob", acting="ada")
        assert account.balance.balance == D("-23.80")
        assert [(i.number, i.open) for i in account.open_items] == [(inv.number, D("-23.80"))]
        with pytest.raises(InvalidRequest, match="needs a reason"):
            org.add_payment("bob", "-23.80", "transfer", acting="ada")
        refund = org.add_payment("bob", "-23.80", "transfer", reason="Credit note", acting="ada")
        assert refund.allocations == (Allocation(inv.number, D("-23.80")),)
        assert org.balance("bob", acting="ada").balance.balance == D("0.00")
        assert org.balance("bob", acting="ada").open_items == ()

    def test_refused(self, org: rentcal.Rentcal) -> None:
        two_invoices(org)
        with pytest.raises(InvalidRequest, match="payment amount is 0"):
            org.add_payment("bob", "0", "cash", acting="ada")
        with pytest.raises(InvalidRequest, match="payment method"):
            org.add_payment("bob", "1", "cheque", acting="ada")
        with pytest.raises(InvalidRequest, match="nothing open"):
            org.add_payment("bob", "1", "cash", invoice="2030-000009", acting="ada")
        with pytest.raises(ArgumentTypeError):
            org.add_payment("bob", 1.5, "cash", acting="ada")  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            org.add_payment("bob", "1", "cash", acting="bob")
        with pytest.raises(PermissionDenied):
            org.balance("bob", acting="dan")
        with pytest.raises(PermissionDenied):
            org.payments("bob", acting="dan")
        assert org.payments(acting="dan") == []


@BOTH
class TestNeverChanges:
    """A recorded payment and its allocations are never updated nor deleted."""

    def test_triggers(self, org: rentcal.Rentcal) -> None:
        two_invoices(org)
        org.add_payment("bob", "10.00", "cash", acting="ada")
        with org.store.engine.connect() as conn:
            for sql in ("UPDATE payment SET amount = 1", "DELETE FROM payment_allocation"):
                with pytest.raises(sa.exc.DBAPIError, match="never change"), conn.begin():
                    conn.exec_driver_sql(sql)
