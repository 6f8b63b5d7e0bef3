"""The invoice schema's own guarantees (issue #23, revision 0017), on both backends.

Raw SQL, past the library: issued invoices, their lines, payments and
allocations refuse UPDATE and DELETE; a charge is invoiced once; a line has its
document's kind; a refund needs a reason; the sequence has its one row.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import rentcal
from tests.conftest import BOTH

pytestmark = BOTH

NOW = "'2030-01-09 12:00:00+00:00'"
INVOICE = (
    "INSERT INTO invoice (id, number, kind, member_id, refers_to_id, issue_date, due_date, "
    "currency, net, vat, gross, vat_category, seller, buyer, created_at) VALUES "
    "({id}, '{number}', '{kind}', 1, {refers}, '2030-01-09', '2030-01-23', 'EUR', "
    "{gross}, 0, {gross}, 'O', '{{}}', '{{}}', " + NOW + ")"
)
CHARGE = (
    "INSERT INTO charge (id, member_id, kind, charged_at, charged_on, amount, reason) "
    "VALUES ({id}, 1, 'correction', " + NOW + ", '2030-01-09', 10.00, 'test')"
)
LINE = (
    "INSERT INTO invoice_line (invoice_id, kind, position, charge_id, description, days, net) "
    "VALUES ({invoice}, '{kind}', {position}, {charge}, 'Tractor', 1, {net})"
)


@pytest.fixture
def conn(cal: rentcal.Rentcal) -> Iterator[sa.Connection]:
    """A raw connection to a database holding member 1 and invoice 1 (two lines),
    credit note 2 for it, payment 1 allocated to invoice 1."""
    cal.add_member("ada", name="Ada", admin=True)
    with cal.store.engine.connect() as c:
        with c.begin():
            for charge in (7, 8, 9):
                c.exec_driver_sql(CHARGE.format(id=charge))
            c.exec_driver_sql(
                INVOICE.format(id=1, number="1", kind="invoice", refers="NULL", gross="100.00")
            )
            c.exec_driver_sql(
                LINE.format(invoice=1, kind="invoice", position=1, charge=7, net="60.00")
            )
            c.exec_driver_sql(
                LINE.format(invoice=1, kind="invoice", position=2, charge=8, net="40.00")
            )
            c.exec_driver_sql(
                INVOICE.format(id=2, number="2", kind="credit_note", refers=1, gross="-60.00")
            )
            c.exec_driver_sql(
                LINE.format(invoice=2, kind="credit_note", position=1, charge=7, net="-60.00")
            )
            c.exec_driver_sql(
                "INSERT INTO payment (member_id, amount, method, received_on, created_at) "
                "VALUES (1, 100.00, 'transfer', '2030-01-10', " + NOW + ")"
            )
            c.exec_driver_sql(
                "INSERT INTO payment_allocation (payment_id, invoice_id, amount, created_at) "
                "VALUES (1, 1, 40.00, " + NOW + ")"
            )
        yield c


def refused(conn: sa.Connection, sql: str) -> str:
    """The database's refusal of ``sql`` (an integrity error on both backends)."""
    with pytest.raises(sa.exc.IntegrityError) as info, conn.begin():
        conn.exec_driver_sql(sql)
    return str(info.value.orig)


class TestAppendOnly:
    """What was issued or recorded never changes, whoever writes."""

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE invoice SET gross = 1 WHERE id = 1", id="invoice-update"),
            pytest.param("DELETE FROM invoice WHERE id = 2", id="invoice-delete"),
            pytest.param("UPDATE invoice_line SET net = 0", id="line-update"),
            pytest.param("DELETE FROM invoice_line", id="line-delete"),
            pytest.param("UPDATE payment SET amount = 1", id="payment-update"),
            pytest.param("DELETE FROM payment_allocation", id="allocation-delete"),
            pytest.param("UPDATE payment_allocation SET amount = 1", id="allocation-update"),
            pytest.param("DELETE FROM payment", id="payment-delete"),
        ],
    )
    def test_refused(self, conn: sa.Connection, sql: str) -> None:
        assert "issued invoices and recorded payments never change" in refused(conn, sql)
        assert conn.exec_driver_sql("SELECT count(*) FROM invoice_line").scalar() == 3

    def test_the_sequence_and_addresses_may_change(self, conn: sa.Connection) -> None:
        with conn.begin():
            assert conn.exec_driver_sql("SELECT id, value FROM invoice_sequence").all() == [(1, 0)]
            conn.exec_driver_sql("UPDATE invoice_sequence SET value = value + 1")
            conn.exec_driver_sql(
                "INSERT INTO member_billing (member_id, country, updated_at) "
                "VALUES (1, 'DE', " + NOW + ")"
            )
            conn.exec_driver_sql("UPDATE member_billing SET city = 'Berlin'")
        assert conn.exec_driver_sql("SELECT value FROM invoice_sequence").scalar() == 1


class TestConstraints:
    """Each rule of the tables holds for any writer."""

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param(
                LINE.format(invoice=1, kind="invoice", position=3, charge=7, net="1"),
                id="charge-invoiced-twice",
            ),
            pytest.param(
                LINE.format(invoice=2, kind="credit_note", position=2, charge=7, net="-1"),
                id="charge-credited-twice",
            ),
            pytest.param(
                LINE.format(invoice=1, kind="credit_note", position=3, charge=9, net="1"),
                id="line-of-another-kind",
            ),
            pytest.param(
                LINE.format(invoice=1, kind="invoice", position=1, charge=9, net="1"),
                id="same-position",
            ),
            pytest.param(
                INVOICE.format(id=3, number="1", kind="invoice", refers="NULL", gross="1"),
                id="number-twice",
            ),
            pytest.param(
                INVOICE.format(id=3, number="3", kind="credit_note", refers="NULL", gross="-1"),
                id="credit-note-without-invoice",
            ),
            pytest.param(
                INVOICE.format(id=3, number="3", kind="invoice", refers=1, gross="1"),
                id="invoice-referring",
            ),
            pytest.param(
                INVOICE.format(id=3, number="3", kind="invoice", refers="NULL", gross="-1"),
                id="negative-invoice",
            ),
            pytest.param(
                INVOICE.format(id=3, number="3", kind="credit_note", refers=1, gross="1"),
                id="positive-credit-note",
            ),
            pytest.param(
                "INSERT INTO payment (member_id, amount, method, received_on, created_at) "
                "VALUES (1, -5.00, 'cash', '2030-01-10', " + NOW + ")",
                id="refund-without-reason",
            ),
            pytest.param(
                "INSERT INTO payment (member_id, amount, method, received_on, created_at) "
                "VALUES (1, 5.00, 'cheque', '2030-01-10', " + NOW + ")",
                id="unknown-method",
            ),
            pytest.param(
                "INSERT INTO invoice_sequence (id, value) VALUES (2, 0)", id="second-sequence-row"
            ),
        ],
    )
    def test_refused(self, conn: sa.Connection, sql: str) -> None:
        refused(conn, sql)

    def test_a_line_without_charge_and_the_same_charge_in_a_credit_note(
        self, conn: sa.Connection
    ) -> None:
        """Lines of no charge (a credited amount) are many; a charge's invoice line and
        its credit note line are one each."""
        with conn.begin():
            for position in (2, 3):
                conn.exec_driver_sql(
                    LINE.format(
                        invoice=2, kind="credit_note", position=position, charge="NULL", net="-1"
                    )
                )
        rows = conn.exec_driver_sql(
            "SELECT kind, count(*) FROM invoice_line WHERE charge_id = 7 GROUP BY kind ORDER BY 1"
        ).all()
        assert [tuple(r) for r in rows] == [("credit_note", 1), ("invoice", 1)]
