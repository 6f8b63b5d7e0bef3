"""Reminders of overdue invoices through the outbox, once per invoice and stage (issue #23)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import rentcal
from tests.cli_support import ok_json
from tests.conftest import BOTH, d
from tests.test_invoices import FEB, ready

ISSUED = FEB  # 2030-02-03, due 14 days later


def _outbox(cal: rentcal.Rentcal) -> list[tuple[str, str]]:
    with cal.store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT address, subject FROM mail_outbox WHERE kind = 'invoice-reminder' ORDER BY id"
        ).all()
    return [(str(a), str(s)) for a, s in rows]


@pytest.fixture
def owing(seeded: rentcal.Rentcal) -> rentcal.Rentcal:
    """eve (with an address) owes invoice 2030-000001 (119.00); reminders at 21 and 35 days."""
    ready(seeded)
    seeded.set_invoice_settings(acting="ada", reminder_days=[21, 35])
    seeded.add_member("eve", name="Eve", email="eve@example.org", verified=True, acting="ada")
    seeded.add_charge("eve", "100.00", "Hire", acting="ada", today=d(5))
    seeded.issue_invoices("2030-01", acting="ada", today=ISSUED)
    return seeded


@BOTH
class TestOverdue:
    """Each stage once, only while something is open past the due date."""

    def test_stages_once_each(self, owing: rentcal.Rentcal) -> None:
        assert owing.remind_overdue(today=ISSUED + timedelta(days=20)) == 0
        assert owing.remind_overdue(today=ISSUED + timedelta(days=21)) == 1
        assert owing.remind_overdue(today=ISSUED + timedelta(days=22)) == 0
        assert owing.remind_overdue(today=ISSUED + timedelta(days=40)) == 1
        assert owing.remind_overdue(today=ISSUED + timedelta(days=90)) == 0
        assert _outbox(owing) == [
            ("eve@example.org", "Reminder: invoice 2030-000001 is overdue"),
            ("eve@example.org", "Reminder: invoice 2030-000001 is overdue"),
        ]

    def test_paid_invoices_get_none(self, owing: rentcal.Rentcal) -> None:
        owing.add_payment("eve", "119.00", "transfer", acting="ada")
        assert owing.remind_overdue(today=ISSUED + timedelta(days=30)) == 0
        assert _outbox(owing) == []


def test_housekeeping_counts_them(owing: rentcal.Rentcal, db_url: str) -> None:
    from tests.cli_support import cli

    later = (ISSUED + timedelta(days=21)).isoformat()
    result = cli(db_url, "housekeeping", "--json", env={"RENTCAL_TODAY": later})
    assert result.exit_code == 0, result.output
    assert '"invoice_reminders": 1' in result.stdout
    assert ok_json(db_url, "housekeeping")["invoice_reminders"] == 0
    assert date.fromisoformat(later) > ISSUED
