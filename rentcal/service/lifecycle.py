"""Status changes shared by several use cases: recording one, settling what goes away.

A rental's status changes in one place (:meth:`Lifecycle.record`): the row,
its history row and its member's notification, in the caller's transaction;
a rental becoming ``completed`` is charged there too, once
(:mod:`rentcal.service.charging`).
Retiring a machine (:mod:`rentcal.service.catalogue`) and the transitions of
:mod:`rentcal.service.bookings` both go through it, under the one life-cycle
rule of :mod:`rentcal.core.transitions`. Retiring a machine and deactivating a
member (:mod:`rentcal.service.membership`) settle the open rentals concerned
the same way (:meth:`Lifecycle.settle_open`); only who is told, and in which
words, differs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import news
from rentcal.core.mail_choices import PAYMENT_HOLD_KIND
from rentcal.core.transitions import Action, next_status
from rentcal.core.types import RentalStatus
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.service.base import Context
from rentcal.service.charging import Charging

#: The reason stored on (and told about) rentals settled by a retirement.
RETIRED_REASON = "machine retired"
#: The reason told to queued requests when an overlapping one is approved.
QUEUE_REASON = "another request for these days was approved"


class Lifecycle:
    """Recording status changes, and settling the rentals of a retired machine or member."""

    def __init__(self, ctx: Context, charging: Charging) -> None:
        self.ctx = ctx
        self.charging = charging

    def record(
        self,
        conn: Connection,
        rental: Rental,
        new: RentalStatus,
        actor_id: int | None,
        note: str | None,
        *,
        notify: bool = True,
        kind: str | None = None,
        today: date | None = None,
        ended_on: date | None = None,
        units: Decimal | None = None,
    ) -> None:
        """Store a status change, its history row and the member's notification.

        ``actor_id`` None: done by the system (housekeeping); ``notify=False``
        records without telling the member (a completion nobody needs to hear of).
        ``kind`` names the news for the e-mail outbox (default: the new status).

        A rental becoming ``completed`` is charged in the same transaction
        (:meth:`Charging.charge_use`), charged on ``today`` (the operation's
        day; None: the clock's date in the organisation's zone): its days up to
        ``ended_on`` (None: its last day) and ``units`` of meter use (None:
        none) at the rates fixed on it. A hand-over's check-in passes both;
        a completion or housekeeping neither. The charge's own notification
        is sent even when ``notify`` is False.
        """
        now = self.ctx.now()
        q.update_rental(
            conn,
            rental.id,
            status=new,
            updated_at=now,
            bump=True,
            status_changed_by_id=actor_id,
            reason=note,
        )
        q.add_history(
            conn,
            rental_id=rental.id,
            from_status=rental.status,
            to_status=new,
            changed_by_id=actor_id,
            reason=note,
            changed_at=now,
        )
        if notify:
            self.ctx.notify(
                conn,
                [q.rental_owner_id(conn, rental.id)],
                news.status_changed(rental, new, note, kind or new.value),
                rental.id,
                kind=kind or new.value,
                # As stored above (the e-mail's calendar invitation is this version of it).
                rental=replace(
                    rental, status=new, sequence=rental.sequence + 1, updated_at=now, reason=note
                ),
            )
        if new is RentalStatus.COMPLETED:
            self.charging.charge_use(
                conn, rental, today=today, actor_id=actor_id, ended_on=ended_on, units=units
            )

    def tell_booked(
        self, conn: Connection, booked: Rental, member_id: int, *, auto_approved: bool
    ) -> None:
        """The news of a new booking, in its transaction: the admins hear of a request
        (or of an automatic approval, which its member hears of too). A booking awaiting
        its card payment tells its member alone until when it holds its days; the admins
        hear of it once it is paid (:mod:`rentcal.service.online_payments`)."""
        if booked.awaiting_payment:
            said = news.awaiting_payment_words(booked)
            self.ctx.notify(
                conn, [member_id], said, booked.id, kind=PAYMENT_HOLD_KIND, rental=booked
            )
            return
        said = news.requested(booked, auto_approved=auto_approved)
        self.ctx.notify(conn, q.admin_ids(conn), said, booked.id, kind="request", rental=booked)
        if booked.status is RentalStatus.APPROVED:
            said = news.status_changed(booked, RentalStatus.APPROVED, None, "approved")
            self.ctx.notify(conn, [member_id], said, booked.id, kind="approved", rental=booked)

    def reject_queued(
        self,
        conn: Connection,
        machine_id: int,
        start: date,
        end: date,
        actor_id: int | None,
        skip: int,
    ) -> None:
        """Approved days are taken: reject the queued requests overlapping them.

        ``queue`` machines let overlapping pending requests wait side by side;
        once one of them (``skip``) holds the days, the others can never be
        approved, so they are rejected now, their members told why.
        """
        for rental in q.queued_overlapping(conn, machine_id, start, end):
            if rental.id != skip:
                self.record(conn, rental, RentalStatus.REJECTED, actor_id, QUEUE_REASON)

    def settle_open(
        self,
        conn: Connection,
        actor_id: int,
        today: date,
        reason: str,
        *,
        machine_id: int | None = None,
        member_id: int | None = None,
    ) -> list[Rental]:
        """Settle the open rentals of a machine or a member that is going away.

        Retiring a machine and deactivating a member end in the same place:
        nobody can approve their pending requests any more, so those (whatever
        their dates) are rejected with ``reason`` and their members told;
        approved rentals that have not ended stand — cancelling what a member
        counts on cannot be undone — and a history row records that they do.
        Ended rentals are history and stay as they are. Exactly one of
        ``machine_id`` / ``member_id`` is given; the caller holds the locks of
        the machines concerned.

        Returns the rentals that stand, so that the caller tells of them in its
        own words (who is told and what differs between the two cases).
        """
        if (machine_id is None) == (member_id is None):  # neither would settle every rental
            raise ValueError("settle the rentals of one machine or of one member")
        pending = q.find_rentals(
            conn,
            machine_id=machine_id,
            member_id=member_id,
            statuses=[RentalStatus.PENDING],
            start=None,
            end=None,
        )
        for rental in pending:
            new = next_status(
                rental.id,
                rental.status,
                Action.REJECT,
                start=rental.start,
                end=rental.end,
                today=today,
            )
            self.record(conn, rental, new, actor_id, reason)
        standing = q.find_rentals(
            conn,
            machine_id=machine_id,
            member_id=member_id,
            statuses=[RentalStatus.APPROVED],
            start=today,
            end=None,
        )
        now = self.ctx.now()
        for rental in standing:
            q.add_history(
                conn,
                rental_id=rental.id,
                from_status=rental.status,
                to_status=rental.status,
                changed_by_id=actor_id,
                reason=f"{reason}; the rental stands",
                changed_at=now,
            )
        return standing

    def settle_retired(self, conn: Connection, machine_id: int, actor_id: int, today: date) -> None:
        """What retiring a machine does to its rentals (the caller holds its lock).

        Pending requests are rejected and approved rentals to come stand
        (:meth:`settle_open`): retiring means "no new bookings". The member
        of each rental that stands and the admins are told, in two messages.
        """
        standing = self.settle_open(conn, actor_id, today, RETIRED_REASON, machine_id=machine_id)
        admins = q.admin_ids(conn)
        for rental in standing:
            self.ctx.notify(
                conn,
                [q.rental_owner_id(conn, rental.id)],
                news.retired_to_member(rental),
                rental.id,
                kind="retired",
                rental=rental,
            )
            self.ctx.notify(
                conn,
                admins,
                news.retired_to_admins(rental),
                rental.id,
                kind="retired",
                rental=rental,
            )


__all__ = ["QUEUE_REASON", "RETIRED_REASON", "Lifecycle"]
