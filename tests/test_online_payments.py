"""Card payments through Stripe Checkout, in the library (issue #23): the organisation's
rules, bookings that wait for payment, their release by housekeeping, and Stripe's
events recorded once. The web front end and real signatures: tests/test_stripe_webhook.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

import rentcal
from rentcal.core.online_payments import OnlinePaymentRules, from_minor, to_minor
from rentcal.core.types import RentalStatus
from rentcal.errors import InvalidRequest, PermissionDenied, Unavailable
from rentcal.service.online_payments import CheckoutEvent
from tests.cli_support import cli
from tests.conftest import BOTH, BUSY_TIMEOUT, TODAY, d, seed
from tests.stripe_support import Clock
from tests.test_invoices import ready

D = Decimal
PAID = "checkout.session.completed"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(db_url: str, clock: Clock) -> Iterator[rentcal.Rentcal]:
    """The seeded members and machines, EUR, invoice settings, payment at booking
    (30 minutes) and open invoices paid online."""
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.set_online_payments(hold_minutes=30, invoices=True, acting="ada")
        yield cal


def held(cal: rentcal.Rentcal, member: str = "bob") -> rentcal.Rental:
    """A booking of the saw (auto-approves, 15.50/day) awaiting ``member``'s payment."""
    return cal.book("saw", d(12), d(12), member=member, today=TODAY)


def pay(cal: rentcal.Rentcal, session: str, event_id: str, **more: object) -> str:
    """Hand over a paid ``checkout.session.completed`` for ``session``."""
    values: dict[str, object] = {"paid": True, "amount_minor": 1550, "currency": "eur"}
    values["payment_intent"] = f"pi_test_{session}"
    values.update(more)
    return cal.checkout_event(
        CheckoutEvent(event_id, str(values.pop("type", PAID)), session, **values)  # type: ignore[arg-type]
    )


class TestRules:
    """Both off by default; admins set them, with a currency; every change is kept."""

    def test_off_until_set(self, seeded: rentcal.Rentcal) -> None:
        assert seeded.online_payments() == OnlinePaymentRules()
        assert seeded.online_payments().words() == "off"

    def test_needs_a_currency(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(InvalidRequest, match="set the organisation's currency first"):
            seeded.set_online_payments(invoices=True, acting="ada")

    def test_set_and_history(self, seeded: rentcal.Rentcal) -> None:
        seeded.set_currency("EUR", acting="ada")
        found = seeded.set_online_payments(at_booking=True, acting="ada")
        assert found == OnlinePaymentRules(30, False)
        found = seeded.set_online_payments(hold_minutes=45, invoices=True, acting="ada")
        assert found.words() == "payment at booking (hold 45 minutes); open invoices"
        assert seeded.set_online_payments(at_booking=False, acting="ada").at_booking is False
        assert [(k, v) for k, v, _by, _at in seeded.online_payments_history()] == [
            ("hold_minutes", "off"),
            ("hold_minutes", "45"),
            ("invoices", "on"),
            ("hold_minutes", "30"),
        ]

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            pytest.param({}, "nothing to set", id="nothing"),
            pytest.param({"hold_minutes": 10}, "outside 30-1440 minutes", id="short-hold"),
            pytest.param({"hold_minutes": 2000}, "outside 30-1440 minutes", id="long-hold"),
            pytest.param(
                {"hold_minutes": 30, "at_booking": False},
                "needs payment at booking on",
                id="hold-and-off",
            ),
        ],
    )
    def test_refused(
        self, seeded: rentcal.Rentcal, values: dict[str, object], message: str
    ) -> None:
        seeded.set_currency("EUR", acting="ada")
        with pytest.raises(InvalidRequest, match=message):
            seeded.set_online_payments(acting="ada", **values)  # type: ignore[arg-type]

    def test_admins_only(self, seeded: rentcal.Rentcal) -> None:
        with pytest.raises(PermissionDenied, match="only admins can set the online payments"):
            seeded.set_online_payments(invoices=True, acting="bob")

    def test_minor_units(self) -> None:
        assert to_minor(D("15.50"), "EUR") == 1550 and from_minor(1550, "eur") == D("15.50")
        assert to_minor(D("1200"), "JPY") == 1200 and from_minor(5, "jpy") == D("5.00")
        with pytest.raises(InvalidRequest, match="cannot be paid in JPY"):
            to_minor(D("12.30"), "JPY")


class TestBookingWaitsForPayment:
    """Which bookings wait, and that a waiting booking holds its days."""

    def test_held_pending_blocking_and_awaiting(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        assert rental.status is RentalStatus.PENDING and not rental.queued
        [waiting] = org.awaiting_payment(acting="bob")
        assert waiting.rental.id == rental.id
        assert waiting.pay_by - org.now() <= timedelta(minutes=30)
        with pytest.raises(Unavailable):
            org.book("saw", d(12), d(12), member="dan", today=TODAY)
        request = org.booking_checkout(rental.id, acting="bob")
        assert (request.amount, request.currency, request.reference) == (
            D("15.50"),
            "EUR",
            f"rental-{rental.id}",
        )
        assert org.notifications("ada") == []  # the admins hear of it once it is paid

    @pytest.mark.parametrize(
        ("machine", "member", "acting"),
        [
            pytest.param("tractor", "bob", None, id="needs-approval"),
            pytest.param("saw", "bob", "ada", id="admin-books-for-member"),
            pytest.param("free", "bob", None, id="price-zero"),
        ],
    )
    def test_not_held(
        self, org: rentcal.Rentcal, machine: str, member: str, acting: str | None
    ) -> None:
        org.add_machine("free", daily_price="0", auto_approve=True, acting="ada")
        rental = org.book(machine, d(12), d(12), member=member, acting=acting, today=TODAY)
        assert org.awaiting_payment(member, acting="ada") == []
        with pytest.raises(InvalidRequest, match="awaits no payment"):
            org.booking_checkout(rental.id, acting=member)

    def test_only_its_member_pays(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        with pytest.raises(PermissionDenied, match="cannot pay rental"):
            org.booking_checkout(rental.id, acting="dan")


class TestHoldReleased:
    """A hold that ends unpaid is rejected as "unpaid" by housekeeping (or lazily)."""

    def test_housekeeping_releases_it(self, org: rentcal.Rentcal, clock: Clock) -> None:
        rental = held(org)
        assert org.housekeeping(today=TODAY).unpaid == 0
        clock.advance(minutes=31)
        done = org.housekeeping(today=TODAY)
        assert done.as_dict() == {"expired": 0, "completed": 0, "no_shows": 0, "unpaid": 1}
        after = org.rental(rental.id)
        assert (after.status, after.reason, after.status_changed_by) == (
            RentalStatus.REJECTED,
            "unpaid",
            None,
        )
        assert "Reason: unpaid" in org.notifications("bob")[-1].message
        assert org.housekeeping(today=TODAY).unpaid == 0
        assert org.awaiting_payment(acting="bob") == []
        assert org.book("saw", d(12), d(12), member="dan", today=TODAY).status  # free again

    def test_the_next_booking_releases_it(self, org: rentcal.Rentcal, clock: Clock) -> None:
        rental = held(org)
        clock.advance(minutes=31)
        org.book("saw", d(12), d(12), member="dan", acting="ada", today=TODAY)
        assert org.rental(rental.id).reason == "unpaid"

    def test_a_read_sees_it_released(self, org: rentcal.Rentcal, clock: Clock) -> None:
        held(org)
        clock.advance(minutes=31)
        assert org.check("saw", d(12), d(12), today=TODAY).available

    def test_the_cli_counts_it(self, org: rentcal.Rentcal, clock: Clock, db_url: str) -> None:
        held(org)
        clock.advance(minutes=31)
        env = {"RENTCAL_TODAY": "2030-01-10"}
        result = cli(db_url, "housekeeping", "--json", env=env)
        assert result.exit_code == 0, result.output
        assert '"unpaid": 1' in result.stdout


class TestStripeEvents:
    """A paid session is recorded once: replays and twin events change nothing."""

    def checkout(self, cal: rentcal.Rentcal, rental: rentcal.Rental, sid: str = "cs_1") -> None:
        cal.record_checkout(cal.booking_checkout(rental.id, acting="bob"), sid)

    def test_paid_booking_is_approved_once(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        self.checkout(org, rental)
        assert pay(org, "cs_1", "evt_1") == "paid"
        assert pay(org, "cs_1", "evt_1") == "replay"
        twin = pay(org, "cs_1", "evt_2", type="checkout.session.async_payment_succeeded")
        assert twin == "already-paid"
        after = org.rental(rental.id)
        assert (after.status, after.reason) == (RentalStatus.APPROVED, "paid")
        [payment] = org.payments("bob", acting="ada")
        assert (payment.amount, payment.method.value, payment.reference) == (
            D("15.50"),
            "card",
            "pi_test_cs_1",
        )
        assert payment.allocations == ()  # a credit until the rental is invoiced
        assert org.awaiting_payment(acting="bob") == []
        assert "approved automatically" in org.notifications("ada")[-1].message

    def test_other_events(self, org: rentcal.Rentcal) -> None:
        rental = held(org)
        self.checkout(org, rental)
        assert pay(org, "cs_1", "evt_a", type="payment_intent.created") == "ignored"
        assert pay(org, "cs_1", "evt_b", paid=False) == "ignored"
        assert pay(org, "cs_other", "evt_c") == "unknown-session"
        assert pay(org, "cs_1", "evt_d", type="checkout.session.expired") == "expired"
        assert org.payments("bob", acting="ada") == []
        assert org.rental(rental.id).status is RentalStatus.PENDING

    def test_late_payment_is_a_credit(self, org: rentcal.Rentcal, clock: Clock) -> None:
        rental = held(org)
        self.checkout(org, rental)
        clock.advance(minutes=31)
        org.housekeeping(today=TODAY)
        assert pay(org, "cs_1", "evt_1") == "late"
        assert org.rental(rental.id).status is RentalStatus.REJECTED
        assert org.balance("bob", acting="bob").balance.unallocated == D("15.50")
        assert "arrived while the booking was rejected" in org.notifications("ada")[-1].message

    def test_paid_after_the_hold_before_housekeeping(
        self, org: rentcal.Rentcal, clock: Clock
    ) -> None:
        """The days were still held: the payment wins over the release."""
        rental = held(org)
        self.checkout(org, rental)
        clock.advance(minutes=31)
        assert pay(org, "cs_1", "evt_1") == "paid"
        assert org.rental(rental.id).status is RentalStatus.APPROVED

    def test_open_invoice_paid(self, org: rentcal.Rentcal) -> None:
        org.add_charge("bob", "100.00", "Hire", acting="ada", today=d(5))
        [invoice] = org.issue_invoices("2030-01", acting="ada", today=d(3, 2))
        request = org.invoice_checkout(invoice.number, acting="bob")
        assert (request.amount, request.reference) == (D("119.00"), f"invoice-{invoice.number}")
        org.record_checkout(request, "cs_inv")
        assert pay(org, "cs_inv", "evt_1", amount_minor=11900) == "paid"
        account = org.balance("bob", acting="bob")
        assert account.open_items == () and account.balance.balance == 0
        with pytest.raises(InvalidRequest, match="nothing open to pay"):
            org.invoice_checkout(invoice.number, acting="bob")
        with pytest.raises(PermissionDenied, match="cannot pay invoice"):
            org.invoice_checkout(invoice.number, acting="dan")


@BOTH
def test_one_payment_for_a_replay_and_a_twin_event(db_url: str) -> None:
    """The backend decides the once-only insert (ON CONFLICT, the row lock on the session)."""
    with rentcal.connect(db_url, clock=Clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.set_online_payments(hold_minutes=30, acting="ada")
        rental = held(cal)
        cal.record_checkout(cal.booking_checkout(rental.id, acting="bob"), "cs_1")
        outcomes = [pay(cal, "cs_1", e) for e in ("evt_1", "evt_1", "evt_2")]
        assert outcomes == ["paid", "replay", "already-paid"]
        assert len(cal.payments("bob", acting="ada")) == 1


@BOTH
def test_the_previous_release_upgrades_in_place(db_url: str) -> None:
    """A database at 0017_invoices (the previous release), with rentals, an invoice and a
    payment, upgrades in place: its rows stay, no rental awaits payment, and payment at
    booking works after the upgrade."""
    import sqlalchemy as sa
    from alembic import command

    from rentcal.db.migrations import runner
    from rentcal.db.store import resolve_url

    clock = Clock()
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        ready(seed(cal))
        cal.book("saw", d(10), d(10), member="bob", today=TODAY)
        cal.add_charge("bob", "100.00", "Hire", acting="ada", today=d(5))
        cal.issue_invoices("2030-01", acting="ada", today=d(3, 2))
        cal.add_payment("bob", "50.00", "transfer", acting="ada", received_on=d(3, 2))
        before = (cal.rentals(), cal.invoices(acting="ada"), cal.payments(acting="ada"))
    engine = sa.create_engine(resolve_url(db_url))
    try:
        with engine.begin() as conn:
            cfg = runner.config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0017_invoices")
            names = set(sa.inspect(conn).get_table_names())
            assert "invoice" in names and "checkout_session" not in names
            assert "pay_by" not in {c["name"] for c in sa.inspect(conn).get_columns("rental")}
    finally:
        engine.dispose()
    with rentcal.connect(db_url, clock=clock, busy_timeout=BUSY_TIMEOUT) as cal:
        assert (cal.rentals(), cal.invoices(acting="ada"), cal.payments(acting="ada")) == before
        assert cal.awaiting_payment("bob", acting="ada") == []
        cal.set_online_payments(hold_minutes=30, acting="ada")
        rental = held(cal)
        assert [w.rental.id for w in cal.awaiting_payment("bob", acting="ada")] == [rental.id]
