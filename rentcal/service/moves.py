"""Moving a rental to other days or another machine, under the machine lock(s).

A move is a booking of the new days that keeps the rental's identity: the
same id and iCalendar UID (calendar clients update the event rather than
duplicate it), a higher SEQUENCE, the price recomputed from the (new)
machine's daily price (its unit price and minimum charge fixed again with
it), a history row (``from`` = ``to`` = its status, the reason saying
old -> new) and notifications for its member and the admins.

Who may move what: a member their own *pending* request; an admin any open
rental (pending, or approved and not yet ended) — but nobody a booking awaiting
its card payment (issue #23): it is paid for or cancelled first. The new days are checked
like a booking's — an active machine, no day in the past (a rental that has
already begun may keep its first day and change its last), no conflict —
under the lock of the machine(s) involved: both, in id order, when the
machine changes, so two moves in opposite directions never deadlock. The
rental never conflicts with itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Connection

from rentcal.core import checks, news
from rentcal.core.availability import availability
from rentcal.core.limits import check_rental_days
from rentcal.core.pricing import rental_price
from rentcal.core.ranges import validate_range
from rentcal.core.types import RentalStatus, RequestPolicy
from rentcal.core.values import Member, Rental
from rentcal.db import sql as q
from rentcal.errors import (
    InvalidRequest,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from rentcal.service.base import Context, int_id, span_text
from rentcal.service.handover_rules import refuse_while_out
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.lifecycle import Lifecycle
from rentcal.service.org_limits import read_limits

#: What an admin may move; a member only their own pending request.
MOVABLE = frozenset({RentalStatus.PENDING, RentalStatus.APPROVED})


def _last_day(start: date, days: int) -> date:
    """The last of ``days`` days from ``start``, or InvalidRequest beyond the calendar."""
    try:
        return start + timedelta(days=days - 1)
    except OverflowError:
        raise InvalidRequest(
            f"{days} days from {start.isoformat()} go beyond 9999-12-31",
            field="days",
            value=days,
            reason="range",
        ) from None


def move_description(old: Rental, machine: str, start: date, end: date) -> str:
    """``tractor 2030-01-10..2030-01-12 -> saw 2030-01-20..2030-01-22`` (the history reason)."""
    before = f"{old.machine} {span_text(old.start, old.end)}"
    days = span_text(start, end)
    after = days if machine == old.machine else f"{machine} {days}"
    return f"moved: {before} -> {after}"


class Moves:
    """``move``: other days and/or another machine for an open rental."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping
        self.lifecycle = lifecycle

    def move(
        self,
        rental_id: int,
        start: date | None = None,
        end: date | None = None,
        days: int | None = None,
        machine: str | None = None,
        acting: str | None = None,
        today: date | None = None,
    ) -> Rental:
        """Move a rental to [start, end] and/or onto ``machine``; the moved rental.

        Parameters:
            rental_id: the rental to move.
            start: its new first day (default: unchanged).
            end: its new last day; or ``days``: its new length from the
                (new) first day. Neither: the length stays the same.
            machine: the machine to move it to (default: the same one).
            acting: who moves it: its member (pending requests only) or an admin.
            today: the day "the past" ends (default :meth:`today`).

        Raises:
            Unavailable: a day of the new range is taken (``.conflicts``).
            InvalidRequest: nothing would change, end and days both given,
                the new days begin in the past, or the machine is retired.
            InvalidTransition: the rental is not open (not pending/approved, or ended).
            PermissionDenied: a member moving someone else's or an approved rental.
        """
        rid = int_id(rental_id, "rental")
        first = checks.optional_day(start, "start")
        last = checks.optional_day(end, "end")
        length = None if days is None else checks.positive_int(days, "days", "a number of days")
        target = checks.optional_handle(machine, "machine")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(today)
        if last is not None and length is not None:
            raise InvalidRequest(
                "give the new end or the number of days, not both", field="days", value=length
            )
        if first is None and last is None and length is None and target is None:
            raise InvalidRequest(
                f"nothing to move rental {rid} to: give new days or another machine",
                field="rental",
                value=rid,
                reason="unchanged",
            )
        where: dict[str, tuple[str, date, date]] = {}

        def work(conn: Connection) -> Rental:
            if q.rental_machine_id(conn, rid) is None:
                raise NotFound(f"rental {rid} not found", field="rental", value=rid)
            dest = self.ctx.machine_row(conn, target) if target is not None else None
            # Both machines in id order: opposite moves never deadlock.
            also = () if dest is None else (dest.id,)
            self.housekeeping.lock_rental(conn, rid, day, also=also, skip=rid)
            rental = self.ctx.get_rental(conn, rid)  # re-read under the lock(s)
            actor = self.ctx.actor(conn, acting)
            self._may_move(actor, rental)
            self._open(rental, day)
            self._not_awaiting_payment(rental)
            mach = self.ctx.active_machine_row(conn, rental.machine if target is None else target)
            new_start = rental.start if first is None else first
            if last is not None:
                new_end = last
            elif length is not None:
                new_end = _last_day(new_start, length)
            elif first is not None:
                new_end = _last_day(new_start, rental.days)
            else:
                new_end = rental.end
            where["span"] = (mach.name, new_start, new_end)
            if mach.name != rental.machine or new_start != rental.start:
                refuse_while_out(conn, rental, "move", "only its last day can change")
            self._new_days_allowed(rental, new_start, new_end, day)
            if (new_start, new_end) != (rental.start, rental.end):
                check_rental_days(new_start, new_end, day, read_limits(conn))
            if (mach.name, new_start, new_end) == (rental.machine, rental.start, rental.end):
                raise InvalidRequest(
                    f"rental {rid} is already on {mach.name} {span_text(new_start, new_end)}",
                    field="rental",
                    value=rid,
                    reason="unchanged",
                )
            conflicts = self.ctx.conflicts(conn, mach.id, new_start, new_end, skip_rental=rid)
            if conflicts:
                refused = availability(mach.name, new_start, new_end, conflicts)
                raise Unavailable(
                    f"cannot move rental {rid}: {refused.message}",
                    refused.conflicts,
                    machine=mach.name,
                    start=new_start,
                    end=new_end,
                )
            price = rental_price(mach.daily_price, new_start, new_end)
            now = self.ctx.now()
            q.update_rental(
                conn,
                rid,
                machine_id=mach.id,
                start_date=new_start,
                end_date=new_end,
                price=price,
                # the (new) machine's rates, fixed again with the price
                unit_price=mach.unit_price,
                minimum_charge=mach.minimum_charge,
                updated_at=now,
                bump=True,
                # a pending request queues on a queue machine, blocks on a block one
                queued=rental.status is RentalStatus.PENDING
                and mach.request_policy == RequestPolicy.QUEUE,
            )
            if rental.status is RentalStatus.APPROVED:
                self.lifecycle.reject_queued(conn, mach.id, new_start, new_end, actor.id, skip=rid)
            what = move_description(rental, mach.name, new_start, new_end)
            q.add_history(
                conn,
                rental_id=rid,
                from_status=rental.status,
                to_status=rental.status,
                changed_by_id=actor.id,
                reason=what,
                changed_at=now,
            )
            told = news.moved(
                rental,
                actor.name or actor.handle,
                None if mach.name == rental.machine else (mach.title or mach.name),
                new_start,
                new_end,
                price,
                self.ctx.currency_in(conn),
            )
            self.ctx.notify(
                conn,
                [q.rental_owner_id(conn, rid), *q.admin_ids(conn)],
                told,
                rid,
                kind="moved",
            )
            return self.ctx.get_rental(conn, rid)

        return self.ctx.write(work, lambda: list(where.values()), skip_rental=rid)

    @staticmethod
    def _may_move(actor: Member, rental: Rental) -> None:
        """Admins move any open rental; a member only their own pending request."""
        if actor.is_admin:
            return
        if actor.handle != rental.member:
            raise PermissionDenied(
                f"member {actor.handle!r} cannot move rental {rental.id}: it belongs to "
                f"{rental.member!r} (only its member or an admin can)",
                field="acting",
                value=actor.handle,
                reason="not-owner",
            )
        if rental.status is not RentalStatus.PENDING:
            raise PermissionDenied(
                f"rental {rental.id} is {rental.status.value}; only an admin can move it now "
                "(members move their pending requests)",
                field="acting",
                value=actor.handle,
                reason="not-admin",
            )

    @staticmethod
    def _open(rental: Rental, today: date) -> None:
        """Only a pending or approved rental that has not ended can move."""
        why = None
        if rental.status not in MOVABLE:
            why = f"it is {rental.status.value}"
        elif rental.end < today:
            why = f"it ended on {rental.end.isoformat()}"
        if why is not None:
            raise InvalidTransition(
                f"cannot move rental {rental.id}: {why}",
                current=rental.status.value,
                action="move",
            )

    @staticmethod
    def _not_awaiting_payment(rental: Rental) -> None:
        """A booking awaiting its card payment does not move: its Checkout Session charges
        its price for its days, so moving it would leave the member paying for other
        days, or another price. Its member pays (then an admin may move it) or cancels."""
        if rental.awaiting_payment:
            raise InvalidTransition(
                f"cannot move rental {rental.id}: it is {news.waiting_words(rental)}; "
                "pay for it or cancel it first",
                current=rental.status.value,
                action="move",
            )

    @staticmethod
    def _new_days_allowed(rental: Rental, start: date, end: date, today: date) -> None:
        """Like a booking: no day in the past, except a begun (approved) rental keeping its
        first day; a pending request whose first day has passed has expired."""
        keeps_begun_start = (
            rental.status is RentalStatus.APPROVED
            and start == rental.start
            and rental.start < today
        )
        validate_range(start, end, None if keeps_begun_start else today)
        if end < today:
            raise InvalidRequest(
                f"end date {end.isoformat()} is in the past (today is {today.isoformat()})",
                field="end",
                value=end.isoformat(),
                reason="past",
            )


__all__ = ["MOVABLE", "Moves", "move_description"]
