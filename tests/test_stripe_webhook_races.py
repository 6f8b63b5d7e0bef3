"""Stripe's webhook deliveries racing, in real processes on SQLite and PostgreSQL (issue #23).

Stripe delivers an event at least once and may retry while a first delivery is still
being handled; ``completed`` and ``async_payment_succeeded`` may both come for one
session. ``rentcal serve --workers N`` hands them to different processes, each with
its own connections, so the tests do too (:func:`tests.processes.in_processes`): each
process verifies its delivery's ``Stripe-Signature`` as the webhook does, waits at
the start line, and hands the event to the library.

What decides differs by backend, hence ``BOTH``: SQLite's ``BEGIN IMMEDIATE``
serialises the transactions; on PostgreSQL the event id's ``INSERT ... ON CONFLICT DO
NOTHING`` makes a concurrent duplicate wait for the first and then see it (a
replay), and the conditional ``UPDATE ... WHERE status <> 'paid'`` makes the second
of two twin events wait on the session's row and then find it paid. Either way: one
payment, one approval, and every other delivery a ``replay`` or ``already-paid``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import rentcal
from rentcal.db.store import resolve_url
from rentcal.web.stripe_checkout import StripeCheckout
from tests.conftest import BOTH, BUSY_TIMEOUT, TODAY, d, seed
from tests.processes import Start, in_processes
from tests.stripe_support import SECRET_KEY, WEBHOOK_SECRET, Clock, event, signature
from tests.test_invoices import ready

pytestmark = [BOTH, pytest.mark.slow]
SESSION = "cs_race"
COMPLETED = "checkout.session.completed"
TWIN = "checkout.session.async_payment_succeeded"


def _held(url: str) -> int:
    """bob's booking of the saw, awaiting his payment through Checkout Session cs_race."""
    with rentcal.connect(url, clock=Clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.set_online_payments(hold_minutes=30, acting="ada")
        rental = cal.book("saw", d(12), d(12), member="bob", today=TODAY)
        cal.record_checkout(cal.booking_checkout(rental.id, acting="bob"), SESSION)
        return rental.id


def _deliver(start: Start, url: str, kind: str, event_id: str) -> str:
    """One delivery, as the webhook handles it: verified, then handed to the library."""
    payload = event(kind, SESSION, event_id=event_id)
    checkout = StripeCheckout(SECRET_KEY, WEBHOOK_SECRET)
    verified = checkout.verify(payload, signature(payload))
    with rentcal.connect(url, clock=Clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        cal.machine("saw")  # connected before the start signal
        start()
        return cal.checkout_event(verified)


def _counts(url: str, rental_id: int) -> tuple[int, int, int]:
    """(card payments, 'paid' approvals in the history, events stored), read afresh."""
    engine = sa.create_engine(resolve_url(url))
    try:
        with engine.connect() as conn:
            payments = conn.exec_driver_sql("SELECT count(*) FROM payment").scalar_one()
            approvals = conn.execute(
                sa.text(
                    "SELECT count(*) FROM rental_history "
                    "WHERE rental_id = :r AND to_status = 'approved'"
                ),
                {"r": rental_id},
            ).scalar_one()
            events = conn.exec_driver_sql("SELECT count(*) FROM stripe_event").scalar_one()
    finally:
        engine.dispose()
    return int(payments), int(approvals), int(events)


class TestRacingDeliveries:
    """Released together, every delivery of a paid session: one payment, one approval."""

    def test_one_event_delivered_four_times(self, db_url: str) -> None:
        rental_id = _held(db_url)
        jobs = [(db_url, COMPLETED, "evt_race")] * 4
        outcomes = in_processes(_deliver, jobs, timeout=120)
        assert sorted(outcomes) == ["paid", "replay", "replay", "replay"]
        assert _counts(db_url, rental_id) == (1, 1, 1)

    def test_twin_events_each_delivered_twice(self, db_url: str) -> None:
        rental_id = _held(db_url)
        jobs = [(db_url, COMPLETED, "evt_a"), (db_url, TWIN, "evt_b")] * 2
        outcomes = in_processes(_deliver, jobs, timeout=120)
        assert sorted(outcomes) == ["already-paid", "paid", "replay", "replay"]
        assert _counts(db_url, rental_id) == (1, 1, 2)
        with rentcal.connect(db_url) as cal:
            after = cal.rental(rental_id)
            assert (after.status.value, after.reason, after.pay_by is None) == (
                "approved",
                "paid",
                True,
            )
            assert len(cal.payments("bob", acting="ada")) == 1
