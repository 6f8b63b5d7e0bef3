"""Handing a machine over: check-out and check-in of a rental, and its meter's readings.

An admin or one of the machine's keepers (:mod:`rentcal.service.keepers`)
checks an approved rental out on or after its first day (until its last),
and checks it in when the machine comes back. Both are recorded (who, when,
the meter's reading when the machine has a meter, notes) as a hand-over row
and in the rental's history, under the machine's lock like every other write,
so a hand-over racing a move, a cancellation or housekeeping never leaves the
rental half-changed. The database refuses a second check-out or check-in of
one rental by itself (``UNIQUE (rental_id, kind)``).

While a rental is out (checked out, not back) it cannot be cancelled,
rejected or completed (:mod:`rentcal.service.bookings`), nor moved to
another machine or another first day (:mod:`rentcal.service.moves`), and
housekeeping does not complete it when its last day passes. Its check-in
completes it (superseding ``complete``): returned before its last day, the
rental ends on the return day and the days after it are free again; returned
after it, it is recorded as late. A ``damaged`` return may open a repair
block from the return day in the same transaction; the members of the
bookings it overlaps are told, as maintenance over bookings always does, and
the rental's member is told of the damage.

The refusals, the rule for readings and the check-in's history note are
:mod:`rentcal.service.handover_rules` (bookings and moves refuse a rental
that is out through it too).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Connection

from rentcal.core import checks, news
from rentcal.core.dates_words import moment_words
from rentcal.core.handover import (
    Condition,
    Handover,
    HandoverKind,
    HandoverState,
    MeterReading,
    check_reading,
    reading_words,
    units_used,
)
from rentcal.core.ranges import validate_range
from rentcal.core.types import MaintenanceKind, RentalStatus
from rentcal.core.values import Member, Rental
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord
from rentcal.errors import InvalidRequest
from rentcal.service.base import Context, int_id
from rentcal.service.handover_rules import meter_reading, refuse, return_note
from rentcal.service.housekeeping import Housekeeping
from rentcal.service.keepers import may_hand_over
from rentcal.service.lifecycle import Lifecycle
from rentcal.service.maintenance import Upkeep


class Handovers:
    """``checkout``, ``checkin``, ``handovers``; a machine's meter readings."""

    def __init__(
        self, ctx: Context, housekeeping: Housekeeping, lifecycle: Lifecycle, upkeep: Upkeep
    ) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping
        self.lifecycle = lifecycle
        self.upkeep = upkeep

    def checkout(
        self,
        rental_id: int,
        *,
        meter: Decimal | str | int | None = None,
        notes: str | None = None,
        acting: str | None = None,
        today: date | None = None,
    ) -> Handover:
        """Record that the machine of an approved rental went out to its member.

        By an admin or a keeper of the machine, from the rental's first day to
        its last. ``meter``: the reading now, required when the machine has a
        meter (:meth:`last_reading` is the one to propose), refused when it has
        none. Recorded in the rental's history; nobody is notified.

        Raises:
            InvalidTransition: the rental is not approved, has not begun, has
                ended, or is checked out already.
            InvalidRequest: a missing, needless or malformed reading.
            PermissionDenied: neither an admin nor a keeper of the machine.
        """
        rid = int_id(rental_id, "rental")
        reading = check_reading(meter)
        text = checks.free_text(notes, "notes")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(today)

        def work(conn: Connection) -> Handover:
            rental, mach, actor = self._locked(conn, rid, day, acting, "check out")
            state = HandoverState.of(q.handovers(conn, rid))
            if state.out is not None:
                raise refuse(
                    rental, "checkout", f"it was checked out on {moment_words(state.out.at)}"
                )
            if rental.status is not RentalStatus.APPROVED:
                raise refuse(rental, "checkout", f"it is {rental.status.value}")
            if rental.start > day:
                raise refuse(rental, "checkout", f"it starts on {rental.start.isoformat()}")
            if rental.end < day:
                raise refuse(rental, "checkout", f"it ended on {rental.end.isoformat()}")
            read = meter_reading(mach, reading, "check-out")
            note = news.CHECKED_OUT
            if read is not None:
                note += f"; meter {reading_words(read, mach.meter_unit)}"
            if text:
                note += f"; notes: {text}"
            now = self.ctx.now()
            q.insert_handover(
                conn,
                rental_id=rid,
                kind=HandoverKind.OUT,
                at=now,
                by_id=actor.id,
                reading=read,
                unit=None if read is None else mach.meter_unit,
                notes=text,
            )
            if read is not None and mach.meter_unit is not None:
                self._reading(conn, mach.id, read, mach.meter_unit, rid, actor.id)
            q.add_history(
                conn,
                rental_id=rid,
                from_status=rental.status,
                to_status=rental.status,
                changed_by_id=actor.id,
                reason=note,
                changed_at=now,
            )
            return self._handover(conn, rid, HandoverKind.OUT)

        return self.ctx.write(work)

    def checkin(
        self,
        rental_id: int,
        *,
        meter: Decimal | str | int | None = None,
        condition: str | Condition = Condition.OK,
        notes: str | None = None,
        repair_until: date | None = None,
        acting: str | None = None,
        today: date | None = None,
    ) -> Handover:
        """Record the return of a checked-out rental's machine; the rental is completed.

        By an admin or a keeper of the machine. ``meter`` is required when the
        machine has a meter and may not be lower than the check-out's reading.
        Returned before the rental's last day, the rental now ends today and the
        days after it are free again; after it, the return is recorded as late.
        ``condition``: ``ok``, ``needs-attention`` or ``damaged``; a damaged return
        tells the rental's member and, with ``repair_until``, opens a repair block
        from today to that day (its overlapping bookings' members are told; over
        other maintenance it is refused, and nothing is recorded).

        Raises:
            InvalidTransition: the rental is not checked out, or back already.
            InvalidRequest: a missing, needless, malformed or lower reading;
                ``repair_until`` without a damaged condition, or before today.
            Unavailable: the repair block would overlap scheduled maintenance.
            PermissionDenied: neither an admin nor a keeper of the machine.
        """
        rid = int_id(rental_id, "rental")
        reading = check_reading(meter)
        how = checks.choice(condition, Condition, "condition", "condition")
        text = checks.free_text(notes, "notes")
        until = checks.optional_day(repair_until, "repair_until")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(today)
        if until is not None:
            if how is not Condition.DAMAGED:
                raise InvalidRequest(
                    "a repair block comes with a damaged return only",
                    field="repair_until",
                    value=until,
                    reason="not-damaged",
                )
            with checks.about("repair_until", until):
                validate_range(day, until, day)
        spans: list[tuple[str, date, date]] = []

        def work(conn: Connection) -> Handover:
            rental, mach, actor = self._locked(conn, rid, day, acting, "check in")
            state = HandoverState.of(q.handovers(conn, rid))
            if state.back is not None:
                raise refuse(
                    rental, "checkin", f"it was checked in on {moment_words(state.back.at)}"
                )
            if state.out is None:
                raise refuse(rental, "checkin", "it was not checked out")
            if rental.status is not RentalStatus.APPROVED:
                raise refuse(rental, "checkin", f"it is {rental.status.value}")
            if day < rental.start:
                raise refuse(rental, "checkin", f"it starts on {rental.start.isoformat()}")
            read = meter_reading(mach, reading, "check-in")
            unit = mach.meter_unit
            before = state.out.reading if state.out.unit == unit else None
            if read is not None and before is not None and read < before:
                raise InvalidRequest(
                    f"meter reading {reading_words(read, unit)} is lower than the check-out's "
                    f"{reading_words(before, unit)} (rental {rid}): a meter never runs backwards",
                    field="meter",
                    value=str(read),
                    reason="lower",
                )
            returned = rental
            if day < rental.end:  # back early: the rental ends today, the days after it free
                q.update_rental(conn, rid, end_date=day)
                returned = replace(rental, end=day)
            used = units_used(before, read)
            note = return_note(rental, day, how, read, unit, used, until, text)
            damaged = how is Condition.DAMAGED
            self.lifecycle.record(  # charged here: its days up to the return, the units used
                conn,
                returned,
                RentalStatus.COMPLETED,
                actor.id,
                note,
                notify=not damaged,
                today=day,
                ended_on=day,
                units=used,
            )
            repair = None
            if until is not None:  # the rental no longer blocks: the block never meets it
                spans.append((mach.name, day, until))
                about = f"damaged at the return of rental {rid}" + (f": {text}" if text else "")
                repair = self.upkeep.schedule(
                    conn, actor.id, mach, day, until, MaintenanceKind.REPAIR, about, force=True
                ).id
            now = self.ctx.now()
            q.insert_handover(
                conn,
                rental_id=rid,
                kind=HandoverKind.IN,
                at=now,
                by_id=actor.id,
                reading=read,
                unit=None if read is None else unit,
                condition=how,
                late=day > rental.end,
                notes=text,
                maintenance_id=repair,
            )
            if read is not None and unit is not None:
                self._reading(conn, mach.id, read, unit, rid, actor.id)
            if damaged:
                self.ctx.notify(
                    conn,
                    [q.rental_owner_id(conn, rid)],
                    news.damaged_return(returned, text, until),
                    rid,
                    kind="damaged",
                )
            return self._handover(conn, rid, HandoverKind.IN)

        return self.ctx.write(work, lambda: spans)

    def handovers(self, rental_id: int) -> list[Handover]:
        """A rental's hand-overs, oldest first: its check-out, its check-in, a no-show flag.

        Like :meth:`~rentcal.service.rentals.RentalReads.history`, the front end
        decides who sees them (the web pages: the rental's member, the admins and
        the machine's keepers).
        """
        rid = int_id(rental_id, "rental")

        def work(conn: Connection) -> list[Handover]:
            self.ctx.get_rental(conn, rid)  # NotFound for no such rental
            return q.handovers(conn, rid)

        return self.ctx.read(work)

    def last_reading(self, machine: str) -> Decimal | None:
        """The latest reading of the machine's meter in its unit: what the next check-out
        proposes. None: the machine has no meter, or it was never read."""
        name = checks.handle(machine, "machine")

        def work(conn: Connection) -> Decimal | None:
            mach = self.ctx.machine_row(conn, name)
            if mach.meter_unit is None:
                return None
            return q.last_reading(conn, mach.id, mach.meter_unit)

        return self.ctx.read(work)

    def meter_readings(self, machine: str) -> list[MeterReading]:
        """Every reading of the machine's meter, oldest first (its history)."""
        name = checks.handle(machine, "machine")
        return self.ctx.read(lambda conn: q.readings(conn, self.ctx.machine_row(conn, name).id))

    # -- shared steps ---------------------------------------------------------------

    def _locked(
        self, conn: Connection, rid: int, day: date, acting: str | None, what: str
    ) -> tuple[Rental, MachineRecord, Member]:
        """The rental, its machine and the actor, read under the machine's lock (settled,
        this rental apart: an explicit hand-over wins over housekeeping), once the actor
        is known to hand the machine over."""
        machine_id = self.housekeeping.lock_rental(conn, rid, day, skip=rid)
        rental = self.ctx.get_rental(conn, rid)  # re-read under the lock
        actor = self.ctx.actor(conn, acting)
        may_hand_over(conn, actor, rental, machine_id, what)
        return rental, self.ctx.machine_row(conn, rental.machine), actor

    def _reading(
        self,
        conn: Connection,
        machine_id: int,
        reading: Decimal,
        unit: str,
        rental_id: int,
        by_id: int,
    ) -> None:
        """One more reading in the machine's meter history."""
        q.add_reading(
            conn,
            machine_id=machine_id,
            reading=reading,
            unit=unit,
            at=self.ctx.now(),
            rental_id=rental_id,
            by_id=by_id,
        )

    @staticmethod
    def _handover(conn: Connection, rid: int, kind: HandoverKind) -> Handover:
        """The hand-over of ``kind`` just recorded, as read back (with ``used``)."""
        return next(h for h in q.handovers(conn, rid) if h.kind is kind)


__all__ = ["Handovers"]
