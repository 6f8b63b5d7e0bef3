"""Card payments through Stripe Checkout, as plain values (issue #23).

The service never talks to Stripe: a front end asks for what a Checkout
Session should charge (:meth:`OnlinePayments.invoice_checkout`,
:meth:`OnlinePayments.booking_checkout`), has Stripe make it, records its id
(:meth:`OnlinePayments.record_checkout`), and hands each verified webhook
event over as a :class:`CheckoutEvent` (:meth:`OnlinePayments.checkout_event`).

An event is handled in ONE transaction: its id is inserted first (a replay
finds it and changes nothing), the session is marked paid (once, whichever
of ``completed`` and ``async_payment_succeeded`` comes first), the payment is
recorded as the member's (method card) and allocated to the invoice it was
for, or, for a booking, the booking is approved; money for a booking that no
longer waits for it (released unpaid, cancelled) stays as a credit and the
admins are told.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.engine import Connection, RowMapping

from rentcal.core import checks, news
from rentcal.core.money import format_money
from rentcal.core.online_payments import (
    OnlinePaymentRules,
    Purpose,
    check_hold_minutes,
    check_rules,
    from_minor,
    late_payment_words,
)
from rentcal.core.payments import Allocation, PaymentMethod
from rentcal.core.transitions import Action, next_status
from rentcal.core.types import RentalStatus
from rentcal.core.values import Member
from rentcal.db import sql as q
from rentcal.db.sql import invoices as docs
from rentcal.db.sql import online_payments as ops
from rentcal.errors import InvalidRequest, InvalidTransition, NotFound, PermissionDenied
from rentcal.service.account_state import account, save_allocations
from rentcal.service.base import Context, int_id
from rentcal.service.checkout_values import (
    EXPIRED_EVENT,
    PAID_EVENTS,
    AwaitingPayment,
    CheckoutEvent,
    CheckoutRequest,
)
from rentcal.service.editing import record_changes
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.invoices import may_see
from rentcal.service.lifecycle import Lifecycle
from rentcal.service.org_online_payments import HOLD_KEY, INVOICES_KEY, read_rules, store_rules


class OnlinePayments:
    """The organisation's rules; Checkout Sessions asked for, recorded and settled."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping
        self.lifecycle = lifecycle

    # -- the rules -------------------------------------------------------------------

    def online_payments(self) -> OnlinePaymentRules:
        """The rules in force: payment at booking (its hold) and paying invoices online."""
        return self.ctx.read(read_rules)

    def set_online_payments(
        self,
        *,
        hold_minutes: int | None = None,
        at_booking: bool | None = None,
        invoices: bool | None = None,
        acting: str | None = None,
    ) -> OnlinePaymentRules:
        """Change the rules (admins only); None leaves a rule as it is.

        ``at_booking=False`` stops payment at booking; ``hold_minutes`` (30 to
        1440) starts it or changes the hold (``at_booking=True`` alone keeps the
        hold in force, else 30). ``invoices`` lets members pay open invoices
        online, or not. Either needs the organisation's currency (Stripe charges
        in one). A value equal to the one in force changes nothing; any other
        is recorded with who set it and when.

        Raises:
            InvalidRequest: nothing to set, a hold outside 30-1440 minutes, a
                hold with ``at_booking=False``, or no currency set.
        """
        if hold_minutes is None and at_booking is None and invoices is None:
            raise InvalidRequest(
                "nothing to set: give hold_minutes, at_booking and/or invoices",
                field="at_booking",
                reason="unchanged",
            )
        if hold_minutes is not None:  # refused before any transaction, like every argument
            check_hold_minutes(hold_minutes)
        if at_booking is not None:
            checks.flag(at_booking, "at_booking")
        if at_booking is False and hold_minutes is not None:
            raise InvalidRequest(
                "a hold time needs payment at booking on, and this turns it off",
                field="hold_minutes",
                value=hold_minutes,
                reason="conflict",
            )
        if invoices is not None:
            checks.flag(invoices, "invoices")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> OnlinePaymentRules:
            actor = self.ctx.admin(conn, acting, "set the online payments")
            current = read_rules(conn)
            hold = current.hold_minutes
            if hold_minutes is not None:
                hold = hold_minutes
            elif at_booking is True:
                hold = hold or 30
            elif at_booking is False:
                hold = None
            wanted = check_rules(hold, current.invoices if invoices is None else invoices)
            if wanted.any and self.ctx.currency_in(conn) is None:
                raise InvalidRequest(
                    "set the organisation's currency first: Stripe charges in one",
                    field="currency",
                    reason="no-currency",
                )
            store_rules(conn, wanted, actor.id, self.ctx.now())
            return read_rules(conn)

        return self.ctx.write(work, calendar=False)

    def online_payments_history(self) -> list[tuple[str, str, str | None, datetime]]:
        """Every stored rule, newest first: (``"hold_minutes"`` or ``"invoices"``, the
        value as stored: minutes, ``on`` or ``off``; who set it; when)."""

        def work(conn: Connection) -> list[tuple[str, str, str | None, datetime]]:
            rows = [
                (label, row)
                for label, key in (("hold_minutes", HOLD_KEY), ("invoices", INVOICES_KEY))
                for row in q.org_setting_history(conn, key)
            ]
            rows.sort(key=lambda pair: pair[1].changed_at, reverse=True)
            return [(label, r.value, r.changed_by, r.changed_at) for label, r in rows]

        return self.ctx.read(work)

    # -- what a session charges ------------------------------------------------------

    def invoice_checkout(self, number: str, *, acting: str | None = None) -> CheckoutRequest:
        """What paying invoice ``number`` online charges: its open amount (its member only).

        Raises:
            InvalidRequest: paying invoices online is off, no currency, nothing open.
            PermissionDenied: not the invoice's member.
            NotFound: no such invoice.
        """
        wanted = checks.text(number, "number")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> CheckoutRequest:
            actor = self.ctx.actor(conn, acting)
            if not read_rules(conn).invoices:
                raise _off("paying invoices online is off: an admin turns it on")
            head = docs.invoice_head(conn, wanted)
            if head is None or head["kind"] != "invoice":
                raise NotFound(f"invoice {wanted!r} not found", field="invoice", value=wanted)
            _own(actor, head["member"], f"invoice {wanted}")
            items = account(conn, actor.id, actor.handle).open_items()
            item = next((i for i in items if i.number == wanted), None)
            if item is None or item.open <= 0:
                raise InvalidRequest(
                    f"invoice {wanted} has nothing open to pay",
                    field="invoice",
                    value=wanted,
                    reason="not-open",
                )
            return CheckoutRequest(
                Purpose.INVOICE,
                actor.handle,
                actor.email,
                item.open,
                self._currency(conn),
                f"Invoice {wanted}",
                invoice=wanted,
            )

        return self.ctx.read(work)

    def booking_checkout(self, rental_id: int, *, acting: str | None = None) -> CheckoutRequest:
        """What paying booking ``rental_id`` charges: its price, while its hold lasts.

        Raises:
            InvalidRequest: the booking awaits no payment (paid, released, cancelled).
            PermissionDenied: not the booking's member.
            NotFound: no such rental.
        """
        rid = int_id(rental_id, "rental")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> CheckoutRequest:
            actor = self.ctx.actor(conn, acting)
            rental = self.ctx.get_rental(conn, rid)
            _own(actor, rental.member, f"rental {rid}")
            until = ops.pay_by(conn, rid)
            waiting = rental.status is RentalStatus.PENDING and until is not None
            if not waiting or until is None or until <= self.ctx.now():
                raise InvalidRequest(
                    f"rental {rid} awaits no payment (it is {rental.status.value})",
                    field="rental",
                    value=rid,
                    reason="not-awaiting-payment",
                )
            return CheckoutRequest(
                Purpose.BOOKING,
                actor.handle,
                actor.email,
                rental.price,
                self._currency(conn),
                f"{rental.machine_title or rental.machine}, {rental.start} to {rental.end} "
                f"(rental {rid})",
                rental_id=rid,
                pay_by=until,
            )

        return self.ctx.read(work)

    def record_checkout(self, request: CheckoutRequest, stripe_id: str) -> None:
        """Remember the session Stripe made for ``request`` (its ``id``), as open."""
        if not isinstance(request, CheckoutRequest):
            raise checks.wrong_type("request", "a CheckoutRequest", request)
        sid = checks.text(stripe_id, "stripe_id")

        def work(conn: Connection) -> None:
            who = q.member(self.ctx.member_row(conn, request.member))
            invoice_id = None
            if request.invoice is not None:
                invoice_id = docs.invoice_ids(conn, [request.invoice])[request.invoice]
            ops.insert_session(
                conn,
                {
                    "stripe_id": sid, "purpose": request.purpose.value, "member_id": who.id,
                    "invoice_id": invoice_id, "rental_id": request.rental_id,
                    "amount": request.amount, "currency": request.currency, "status": "open",
                    "created_at": self.ctx.now(),
                },
            )  # fmt: skip

        self.ctx.write(work, calendar=False)

    def awaiting_payment(
        self, member: str | None = None, *, acting: str | None = None
    ) -> list[AwaitingPayment]:
        """A member's bookings awaiting payment (``member`` defaults to the acting one)."""
        checks.optional_handle(member, "member")
        checks.optional_handle(acting, "acting", "acting member")

        def work(conn: Connection) -> list[AwaitingPayment]:
            actor = self.ctx.actor(conn, acting)
            row = actor if member is None else q.member(self.ctx.member_row(conn, member))
            may_see(actor, row.handle, "the bookings awaiting payment")
            found = ops.awaiting_payment(conn, row.id)
            return [AwaitingPayment(r, r.pay_by) for r in found if r.pay_by is not None]

        return self.ctx.read(work)

    # -- Stripe's word ---------------------------------------------------------------

    def checkout_event(self, event: CheckoutEvent) -> str:
        """Handle a verified Stripe event once; what it did, in one word.

        ``"replay"`` (handled before), ``"ignored"`` (another type, or not
        paid yet), ``"unknown-session"`` (not one of rentcal's sessions),
        ``"already-paid"``, ``"paid"`` (recorded; a booking approved),
        ``"late"`` (recorded as a credit: the booking no longer waited for it),
        ``"expired"``. Every outcome but a replay records the event's id.
        """
        if not isinstance(event, CheckoutEvent):
            raise checks.wrong_type("event", "a CheckoutEvent", event)
        checks.text(event.id, "event")
        checks.text(event.type, "event")

        def work(conn: Connection) -> str:
            now = self.ctx.now()
            if not ops.record_event(conn, event.id, event.type, now):
                return "replay"
            if event.type not in PAID_EVENTS and event.type != EXPIRED_EVENT:
                return "ignored"
            found = None if event.session is None else ops.session(conn, event.session)
            if found is None:
                return "unknown-session"
            if event.type == EXPIRED_EVENT:
                return "expired" if ops.mark_expired(conn, found["id"]) else "ignored"
            if not event.paid:
                return "ignored"  # an asynchronous payment still on its way
            if not ops.mark_paid(conn, found["id"], now):
                return "already-paid"
            return self._paid(conn, found, event, now)

        return self.ctx.write(work, calendar=False)

    def _paid(
        self, conn: Connection, found: RowMapping, event: CheckoutEvent, now: datetime
    ) -> str:
        """Record the payment of a session just marked paid; settle what it was for."""
        who = q.member(self.ctx.member_row(conn, found["member"]))
        amount = Decimal(found["amount"])
        if event.amount_minor is not None and event.currency:
            amount = from_minor(event.amount_minor, event.currency)
        day = self.ctx.today()
        payment_id = docs.insert_payment(
            conn,
            {
                "member_id": who.id, "amount": amount, "method": PaymentMethod.CARD.value,
                "reference": (event.payment_intent or found["stripe_id"])[:140], "reason": None,
                "received_on": day, "recorded_by_id": who.id, "created_at": now,
            },
        )  # fmt: skip
        ops.set_payment(conn, found["id"], payment_id)
        words = {"payment": f"{amount} card {event.payment_intent or found['stripe_id']}"[:200]}
        record_changes(conn, "member", who.id, {"payment": None}, words, who, now)
        if found["purpose"] == Purpose.INVOICE.value:
            self._allocate(conn, who, payment_id, found["invoice"], amount, now)
            return "paid"
        return self._settle_booking(conn, int(found["rental_id"]), who, amount, day)

    def _allocate(
        self, conn: Connection, who: Member, payment_id: int, number: str, amount: Decimal,
        now: datetime,
    ) -> None:  # fmt: skip
        """Allocate the payment to its invoice, as much as is open; the rest is a credit."""
        item = next(
            (i for i in account(conn, who.id, who.handle).open_items() if i.number == number), None
        )
        share = Decimal("0") if item is None else min(amount, max(item.open, Decimal("0")))
        if share > 0:
            save_allocations(conn, payment_id, (Allocation(number, share),), now)

    def _settle_booking(
        self, conn: Connection, rental_id: int, who: Member, amount: Decimal, day: date
    ) -> str:
        """Approve the booking the payment was for, under its machine's lock (housekeeping
        skips it meanwhile); if it no longer waits for it, the money stays a credit."""
        machine_id = self.housekeeping.lock_rental(conn, rental_id, day, skip=rental_id)
        rental = self.ctx.get_rental(conn, rental_id)
        waiting = rental.status is RentalStatus.PENDING and ops.pay_by(conn, rental_id) is not None
        if waiting and amount >= rental.price:
            try:
                next_status(
                    rental_id, rental.status, Action.APPROVE,
                    start=rental.start, end=rental.end, today=day,
                )  # fmt: skip
            except InvalidTransition:
                waiting = False
        else:
            waiting = False
        if not waiting:
            money = format_money(amount, self.ctx.currency_in(conn))
            told = [*q.admin_ids(conn), who.id]
            self.ctx.notify(conn, told, late_payment_words(rental, money), rental_id)
            return "late"
        q.update_rental(conn, rental_id, pay_by=None)
        self.lifecycle.record(conn, rental, RentalStatus.APPROVED, who.id, "paid", kind="approved")
        self.lifecycle.reject_queued(conn, machine_id, rental.start, rental.end, who.id, rental_id)
        booked = self.ctx.get_rental(conn, rental_id)
        self.ctx.notify(
            conn, q.admin_ids(conn), news.requested(booked, auto_approved=True), rental_id,
            kind="request", rental=booked,
        )  # fmt: skip
        self.ctx.bump_revision(conn)
        return "paid"

    def _currency(self, conn: Connection) -> str:
        code = self.ctx.currency_in(conn)
        if code is None:
            raise _off("the organisation has no currency set (rentcal currency set EUR)")
        return code


def _off(message: str) -> InvalidRequest:
    return InvalidRequest(message, field="online_payments", reason="off")


def _own(actor: Member, owner: str, what: str) -> None:
    """Only its member pays for a booking or an invoice online."""
    if actor.handle != owner:
        raise PermissionDenied(
            f"member {actor.handle!r} cannot pay {what}: it is {owner!r}'s",
            field="acting",
            value=actor.handle,
            reason="not-owner",
        )


__all__ = ["AwaitingPayment", "CheckoutEvent", "CheckoutRequest", "OnlinePayments"]
