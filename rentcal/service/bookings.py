"""Bookings and their status transitions: book, approve, reject, cancel, complete.

What may happen when is one table in :mod:`rentcal.core.transitions`, shared
with maintenance blocks.

Every write that depends on availability takes the machine's lock first and
re-checks availability inside the same write transaction, so two bookers can
never both win; the database guard behind it reports the same Unavailable
(see :meth:`ServiceBase._write`). Every change is kept in the rental's history.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.availability import availability
from rentcal.core.pricing import rental_price
from rentcal.core.ranges import validate_range
from rentcal.core.transitions import Action, next_status
from rentcal.core.types import MachineStatus, RentalStatus, RequestPolicy
from rentcal.core.values import Member, Rental
from rentcal.db import sql as q
from rentcal.errors import InvalidRequest, InvalidTransition, PermissionDenied, Unavailable
from rentcal.service import idempotency
from rentcal.service.base import int_id, span_text, statuses
from rentcal.service.housekeeping import EXPIRED_REASON, Housekeeping


class Bookings(Housekeeping):
    """Use cases that create and change rentals, and read them back."""

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
        day = self.today(today)
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
            again = idempotency.replay(conn, request, self.now())
            if again is not None:
                return again
            mach = self._active_machine_row(conn, name)
            # The member's lock, shared, and their row read under it: a deactivation
            # waits for this booking to commit and settles it, or this waits for the
            # deactivation and sees it. Taken before the machine's lock, as the
            # deactivation takes it before the machines' locks: never a deadlock.
            # (SQLite's BEGIN IMMEDIATE already serialises: the Store takes no lock there.)
            who = q.member(self._member_row(conn, member, lock="shared"))
            actor = who if acting is None else self._actor(conn, acting)
            self._may_book(actor, who)
            self._lock(conn, [mach.id], day)
            mach = self._active_machine_row(conn, name)  # re-read under the lock: retired?
            again = idempotency.replay(conn, request, self.now())  # a twin committed meanwhile
            if again is not None:
                return again
            conflicts = self._conflicts(conn, mach.id, start, end)
            if conflicts:
                refused = availability(mach.name, start, end, conflicts)
                raise Unavailable(
                    refused.message, refused.conflicts, machine=mach.name, start=start, end=end
                )
            status = RentalStatus.APPROVED if mach.auto_approve else RentalStatus.PENDING
            queued = status is RentalStatus.PENDING and mach.request_policy == RequestPolicy.QUEUE
            now = self.now()
            rental_id = q.insert_rental(
                conn,
                uid=str(uuid.uuid4()),
                machine_id=mach.id,
                member_id=who.id,
                start_date=start,
                end_date=end,
                status=status,
                purpose=text,
                price=rental_price(mach.daily_price, start, end),
                created_at=now,
                updated_at=now,
                sequence=0,
                status_changed_by_id=actor.id,
                reason=None,
                queued=queued,
            )
            if status is RentalStatus.APPROVED:
                self._reject_queued(conn, mach.id, start, end, actor.id, skip=rental_id)
            q.add_history(
                conn,
                rental_id=rental_id,
                from_status=None,
                to_status=status,
                changed_by_id=actor.id,
                reason=None,
                changed_at=now,
            )
            span = span_text(start, end)
            self._notify(
                conn,
                q.admin_ids(conn),
                f"new request: rental {rental_id}, {who.handle} booked {mach.name} {span}"
                + (" (auto-approved)" if mach.auto_approve else ""),
                rental_id,
            )
            if mach.auto_approve:
                self._notify(
                    conn, [who.id], f"rental {rental_id} approved: {mach.name} {span}", rental_id
                )
            idempotency.remember(conn, request, actor.id, rental_id, now)
            return self._get_rental(conn, rental_id)

        return idempotency.after_conflict(
            request, lambda: self._write(work, [(machine, start, end)]), self._read, self.now
        )

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
        Housekeeping._refuse_deactivated(who, "member")
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
        approved rental until its last day has passed.
        """
        return self._transition(rental_id, Action.CANCEL, acting, reason, today)

    def complete(
        self, rental_id: int, acting: str | None = None, today: date | None = None
    ) -> Rental:
        """Mark an approved rental that has begun (``start <= today``) as completed (admins).

        Completing it before its last day frees the remaining days.
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
        day = self.today(today)

        def work(conn: Connection) -> Rental:
            # Approving settles the request itself too: one nobody decided in time
            # has expired and can no longer be approved. Other actions win over
            # housekeeping (an admin's own `complete`, a member's `cancel`).
            skip = None if action is Action.APPROVE else rid
            machine_id = self._lock_rental(conn, rid, day, skip=skip)
            rental = self._get_rental(conn, rid)  # re-read under the lock
            actor = self._actor(conn, acting)
            self._may_change(actor, rental, action)
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
            self._record(conn, rental, new, actor.id, note)
            if action is Action.APPROVE:
                self._reject_queued(conn, machine_id, rental.start, rental.end, actor.id, rid)
            return self._get_rental(conn, rid)

        return self._write(work, lambda: self._days_of(rid))

    def _days_of(self, rental_id: int) -> list[tuple[str, date, date]]:
        """What a transition may occupy: the rental's own days."""
        found = self.rental(rental_id)
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

    def _approvable(self, conn: Connection, rental: Rental, machine_id: int) -> None:
        """An approval needs an active machine and the rental's days still free."""
        machine = self._machine_row(conn, rental.machine)
        if machine.status != MachineStatus.ACTIVE:
            raise InvalidRequest(
                f"cannot approve rental {rental.id}: machine {rental.machine!r} is retired",
                field="machine",
                value=rental.machine,
                reason="retired",
            )
        conflicts = self._conflicts(
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

    # -- reading rentals ----------------------------------------------------------

    def rental(self, rental_id: int) -> Rental:
        """One rental by id."""
        rid = int_id(rental_id, "rental")
        day = self.today()

        def work(conn: Connection) -> tuple[Rental, bool]:
            found = self._get_rental(conn, rid)
            return found, self._stale_rows(conn, [found], day)

        return self._fresh(work, day)

    def history(self, rental_id: int) -> list[dict[str, Any]]:
        """Every status change of a rental, oldest first: who, when, from, to, why."""
        rid = int_id(rental_id, "rental")

        def work(conn: Connection) -> list[dict[str, Any]]:
            self._get_rental(conn, rid)
            return q.history(conn, rid)

        return self._read(work)

    def rentals(
        self,
        machine: str | None = None,
        member: str | None = None,
        status: str | RentalStatus | Sequence[str | RentalStatus] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Rental]:
        """Rentals matching every filter given, by start day then id.

        ``start``/``end`` select rentals touching that inclusive window.
        """
        name = checks.optional_handle(machine, "machine")
        who = checks.optional_handle(member, "member")
        wanted = statuses(status, RentalStatus, "status")
        first, last = checks.optional_day(start, "start"), checks.optional_day(end, "end")
        if first is not None and last is not None:
            validate_range(first, last)

        day = self.today()

        def work(conn: Connection) -> tuple[list[Rental], bool]:
            found = q.find_rentals(
                conn,
                machine_id=None if name is None else self._machine_row(conn, name).id,
                member_id=None if who is None else self._member_row(conn, who).id,
                statuses=wanted,
                start=first,
                end=last,
            )
            return found, self._stale_rows(conn, found, day)

        return self._fresh(work, day)


__all__ = ["Bookings"]
