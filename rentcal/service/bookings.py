"""Bookings and their status transitions: book, approve, reject, cancel, complete.

What may happen when is one table in :mod:`rentcal.core.transitions`, shared
with maintenance blocks.

Every write that depends on availability takes the machine's lock first and
re-checks availability inside the same write transaction, so two bookers can
never both win; the database guard behind it reports the same Unavailable
(see :meth:`Context.write`). Every change is kept in the rental's history.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.availability import availability
from rentcal.core.limits import check_rental_days
from rentcal.core.pricing import rental_price
from rentcal.core.ranges import validate_range
from rentcal.core.transitions import Action, next_status
from rentcal.core.types import MachineStatus, RentalStatus, RequestPolicy
from rentcal.core.values import Member, Rental
from rentcal.db import sql as q
from rentcal.db.rows import MemberRecord
from rentcal.errors import InvalidRequest, InvalidTransition, PermissionDenied, Unavailable
from rentcal.service import idempotency
from rentcal.service.base import Context, int_id, refuse_deactivated
from rentcal.service.handover_rules import refuse_while_out
from rentcal.service.housekeeping import EXPIRED_REASON, Housekeeping
from rentcal.service.lifecycle import Lifecycle
from rentcal.service.org_limits import LIMIT_KEYS, limits_from
from rentcal.service.org_online_payments import RULE_KEYS, payment_hold, rules_from, waive_hold
from rentcal.service.rentals import RentalReads

#: What to do instead of an action on a rental that is checked out (not back yet).
OUT_ADVICE = {
    Action.COMPLETE: "check it in, which completes it",
    Action.CANCEL: "check it in first",
    Action.REJECT: "check it in first",
}


class Bookings:
    """Use cases that create and change rentals, and read them back."""

    def __init__(
        self,
        ctx: Context,
        housekeeping: Housekeeping,
        lifecycle: Lifecycle,
        keys: idempotency.KeyPruning,
        reads: RentalReads,
    ) -> None:
        self.ctx = ctx
        self.keys = keys
        self.reads = reads
        self.housekeeping = housekeeping
        self.lifecycle = lifecycle

    def book(
        self,
        machine: str,
        start: date,
        end: date,
        *,
        member: str,
        purpose: str | None = None,
        acting: str | None = None,
        today: date | None = None,
        idempotency_key: str | None = None,
    ) -> Rental:
        """Book ``machine`` for ``member`` on [start, end], all or nothing.

        ``acting`` (default: the member) may differ only when it is an admin
        booking for a member. Raises Unavailable (with ``.conflicts``) when
        any day is blocked — decided under the machine's lock.

        When the organisation asks for payment at booking and the rule applies
        (:func:`~rentcal.service.org_online_payments.payment_hold`), the rental
        is pending and holds its days until it is paid (``booking_checkout``),
        or until its hold ends and housekeeping rejects it as unpaid.

        ``idempotency_key``: the same key from the same acting member for the
        same request returns the rental it made (even sent concurrently), for
        a different request raises IdempotencyMismatch; see
        :mod:`rentcal.service.idempotency`.
        """
        name = checks.handle(machine, "machine")
        first, last = checks.day(start, "start"), checks.day(end, "end")
        checks.handle(member, "member")
        text = checks.free_text(purpose, "purpose")
        checks.optional_handle(acting, "acting", "acting member")
        if idempotency_key is not None:
            checks.free_text(idempotency_key, "idempotency_key")
        day = self.ctx.today(today)
        validate_range(first, last, day)
        request = idempotency.request_key(
            idempotency_key,
            actor=member if acting is None else acting,
            machine=machine,
            start=start,
            end=end,
            member=member,
            purpose=text,
        )

        def work(conn: Connection) -> Rental:
            # A replay answers before anything is checked. The acting member's row
            # is read once here (None: no key, or nobody by that handle) and reused.
            acting_row = None if request is None else q.member_row(conn, request.actor)
            acting_id = None if acting_row is None else acting_row.id
            again = idempotency.lookup(conn, request, acting_id, self.ctx.now())
            if again.rental is not None:
                return again.rental
            # the limits and the rules of payment at booking: one read
            settings = q.org_settings(conn, (*LIMIT_KEYS, *RULE_KEYS))
            check_rental_days(first, last, day, limits_from(settings))
            mach = self.ctx.active_machine_row(conn, name)
            # The member's lock, shared, and their row read under it: a deactivation
            # waits for this booking to commit and settles it, or this waits for the
            # deactivation and sees it. Taken before the machine's lock, as the
            # deactivation takes it before the machines' locks: never a deadlock.
            # (SQLite's BEGIN IMMEDIATE already serialises: the Store takes no lock there.)
            row = self.ctx.member_row(conn, member, lock="shared")
            who = q.member(row)
            actor = who if acting is None else self._acting(conn, acting, row, acting_row)
            self._may_book(actor, who)
            # Locked and read again under the lock (on PostgreSQL): retired meanwhile?
            mach = self.ctx.bookable(self.housekeeping.lock_machine(conn, mach, day))
            # A twin with the same key may have committed while this waited for the
            # machine's lock (PostgreSQL reads what committed meanwhile); under
            # SQLite's BEGIN IMMEDIATE nothing committed since the first look.
            twin = idempotency.lookup(
                conn, None if self.ctx.serialised else request, actor.id, self.ctx.now()
            )
            if twin.rental is not None:
                return twin.rental
            conflicts = self.ctx.conflicts(conn, mach.id, start, end)
            if conflicts:
                refused = availability(mach.name, start, end, conflicts)
                raise Unavailable(
                    refused.message, refused.conflicts, machine=mach.name, start=start, end=end
                )
            now = self.ctx.now()
            price = rental_price(mach.daily_price, start, end)
            # Payment at booking (rentcal.service.org_online_payments): pending, holding
            # its days (never queued) until it is paid or its hold ends.
            hold = payment_hold(rules_from(settings), mach, price, who, actor, now)
            approved = mach.auto_approve and hold is None
            status = RentalStatus.APPROVED if approved else RentalStatus.PENDING
            queued = not approved and hold is None and mach.request_policy == RequestPolicy.QUEUE
            rental_id = q.insert_rental(
                conn,
                uid=str(uuid.uuid4()),
                machine_id=mach.id,
                member_id=who.id,
                start_date=start,
                end_date=end,
                status=status,
                purpose=text,
                price=price,
                created_at=now,
                updated_at=now,
                sequence=0,
                status_changed_by_id=actor.id,
                reason=None,
                queued=queued,
                # fixed now, like the price: what its charge is computed with when it ends
                unit_price=mach.unit_price,
                minimum_charge=mach.minimum_charge,
            )
            if status is RentalStatus.APPROVED:
                self.lifecycle.reject_queued(conn, mach.id, start, end, actor.id, skip=rental_id)
            if hold is not None:
                q.update_rental(conn, rental_id, pay_by=hold)
            q.add_history(
                conn,
                rental_id=rental_id,
                from_status=None,
                to_status=status,
                changed_by_id=actor.id,
                reason=None,
                changed_at=now,
            )
            booked = self.ctx.get_rental(conn, rental_id)  # the answer, and the e-mails' facts
            self.lifecycle.tell_booked(conn, booked, who.id, auto_approved=mach.auto_approve)
            expired = again.expired if self.ctx.serialised else twin.expired
            idempotency.remember(conn, request, actor.id, rental_id, now, expired=expired)
            return booked

        booked = idempotency.after_conflict(
            request,
            lambda: self.ctx.write(work, [(machine, start, end)]),
            self.ctx.read,
            self.ctx.now,
        )
        if request is not None:
            self.keys.prune()  # expired keys go after the commit: never under the lock
        return booked

    def _acting(
        self, conn: Connection, acting: str, member: MemberRecord, read: MemberRecord | None
    ) -> Member:
        """The acting member, read once: the booked ``member``'s row when it is them,
        else the row the key lookup read (``read``), else read now."""
        if self.ctx.member_handle(acting, "acting member") == member.handle:
            return self.ctx.acting_member(member, acting)
        if read is None:
            return self.ctx.actor(conn, acting)
        return self.ctx.acting_member(read, acting)

    @staticmethod
    def _may_book(actor: Member, who: Member) -> None:
        """Members book for themselves, admins for anyone; only verified members book."""
        if actor.id != who.id and not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} is not an admin; only admins can book for {who.handle!r}",
                field="acting",
                value=actor.handle,
                reason="not-admin",
            )
        refuse_deactivated(who, "member")
        if not who.verified:
            raise PermissionDenied(
                f"member {who.handle!r} is not verified yet; an admin must verify them first",
                field="member",
                value=who.handle,
                reason="not-verified",
            )

    def approve(
        self, rental_id: int, acting: str | None = None, today: date | None = None
    ) -> Rental:
        """Approve a pending rental (admins), re-checking availability under the lock.

        Like ``book``, only while no day of it is in the past (its first day is
        today or later); see :mod:`rentcal.core.transitions`.

        A booking awaiting its card payment is approved without it
        (:func:`~rentcal.service.org_online_payments.waive_hold`).
        """
        return self._transition(rental_id, Action.APPROVE, acting, None, today)

    def reject(
        self,
        rental_id: int,
        acting: str | None = None,
        reason: str | None = None,
        today: date | None = None,
    ) -> Rental:
        """Reject a pending or approved rental (admins), keeping it with the reason.

        A pending request can be rejected at any time; an approved rental only
        until its last day has passed (then it happened: complete it).
        """
        return self._transition(rental_id, Action.REJECT, acting, reason, today)

    def cancel(
        self,
        rental_id: int,
        acting: str | None = None,
        reason: str | None = None,
        today: date | None = None,
    ) -> Rental:
        """Cancel a rental: its member or an admin.

        The same timing as ``reject``: a pending request at any time, an
        approved rental until its last day has passed. A member cancelling
        their own approved booking inside the organisation's free period
        (:meth:`set_cancellation_policy`) is charged its late-cancellation
        fee in the same transaction, and told.
        """
        return self._transition(rental_id, Action.CANCEL, acting, reason, today)

    def complete(
        self, rental_id: int, acting: str | None = None, today: date | None = None
    ) -> Rental:
        """Mark an approved rental that has begun (``start <= today``) as completed (admins).

        Completing it before its last day frees the remaining days. It is
        charged in the same transaction, on ``today``: its booked days at the
        rates fixed on it (see :meth:`statement`).
        """
        return self._transition(rental_id, Action.COMPLETE, acting, None, today)

    def _transition(
        self,
        rental_id: int,
        action: Action,
        acting: str | None,
        reason: str | None,
        today: date | None,
    ) -> Rental:
        rid = int_id(rental_id, "rental")
        checks.optional_handle(acting, "acting", "acting member")
        note = checks.free_text(reason, "reason")
        day = self.ctx.today(today)

        def work(conn: Connection) -> Rental:
            # Approving settles the request itself too: one nobody decided in time
            # has expired and can no longer be approved. Other actions win over
            # housekeeping (an admin's own `complete`, a member's `cancel`).
            skip = None if action is Action.APPROVE else rid
            machine_id = self.housekeeping.lock_rental(conn, rid, day, skip=skip)
            rental = self.ctx.get_rental(conn, rid)  # re-read under the lock
            actor = self.ctx.actor(conn, acting)
            self._may_change(actor, rental, action)
            if action is not Action.APPROVE:  # the machine is out: its check-in comes first
                refuse_while_out(conn, rental, action.value, OUT_ADVICE[action])
            expired = rental.status is RentalStatus.REJECTED and rental.reason == EXPIRED_REASON
            if action is Action.APPROVE and expired:
                raise InvalidTransition(
                    f"cannot approve rental {rid}: it expired (nobody decided it in time)",
                    rental.status.value,
                    action.value,
                )
            new = next_status(
                rid, rental.status, action, start=rental.start, end=rental.end, today=day
            )
            if action is Action.APPROVE:
                self._approvable(conn, rental, machine_id)
                if rental.queued:  # it now holds its days: out of the queue
                    q.update_rental(conn, rid, queued=False)
            said = waive_hold(conn, rental, note) if action is Action.APPROVE else note
            self.lifecycle.record(conn, rental, new, actor.id, said, today=day)
            if self._late(action, rental, actor):
                self.lifecycle.charging.charge_late_cancellation(
                    conn, rental, today=day, actor_id=actor.id
                )
            if action is Action.APPROVE:
                self.lifecycle.reject_queued(
                    conn, machine_id, rental.start, rental.end, actor.id, rid
                )
            return self.ctx.get_rental(conn, rid)

        return self.ctx.write(work, lambda: self._days_of(rid))

    def _days_of(self, rental_id: int) -> list[tuple[str, date, date]]:
        """What a transition may occupy: the rental's own days."""
        found = self.reads.rental(rental_id)
        return [(found.machine, found.start, found.end)]

    @staticmethod
    def _may_change(actor: Member, rental: Rental, action: Action) -> None:
        """Admins change any rental; a member may only cancel their own."""
        if action is Action.CANCEL:
            if not actor.is_admin and actor.handle != rental.member:
                raise PermissionDenied(
                    f"member {actor.handle!r} cannot cancel rental {rental.id}: it belongs to "
                    f"{rental.member!r} (only its member or an admin can)",
                    field="acting",
                    value=actor.handle,
                    reason="not-owner",
                )
        elif not actor.is_admin:
            raise PermissionDenied(
                f"member {actor.handle!r} is not an admin; only admins can {action.value} rentals",
                field="acting",
                value=actor.handle,
                reason="not-admin",
            )

    @staticmethod
    def _late(action: Action, rental: Rental, actor: Member) -> bool:
        """Whether the cancellation policy may charge this change: a member cancelling
        their own approved booking (an admin's cancellation, or a withdrawn request, is
        free; the policy decides whether it was late)."""
        return (
            action is Action.CANCEL
            and rental.status is RentalStatus.APPROVED
            and actor.handle == rental.member
        )

    def _approvable(self, conn: Connection, rental: Rental, machine_id: int) -> None:
        """An approval needs an active machine and the rental's days still free."""
        machine = self.ctx.machine_row(conn, rental.machine)
        if machine.status != MachineStatus.ACTIVE:
            raise InvalidRequest(
                f"cannot approve rental {rental.id}: machine {rental.machine!r} is retired",
                field="machine",
                value=rental.machine,
                reason="retired",
            )
        conflicts = self.ctx.conflicts(
            conn, machine_id, rental.start, rental.end, skip_rental=rental.id
        )
        if conflicts:
            found = availability(rental.machine, rental.start, rental.end, conflicts)
            raise Unavailable(
                f"cannot approve rental {rental.id}: {found.message}",
                found.conflicts,
                machine=rental.machine,
                start=rental.start,
                end=rental.end,
            )


__all__ = ["Bookings"]
