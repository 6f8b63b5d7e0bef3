"""Time passes: pending requests expire, approved rentals that ended become completed.

Nothing runs in the background. A rental goes stale when

- it is *pending* and was not decided in time: its first day has passed (it
  could no longer be approved), or its machine's ``request_expiry_hours``
  have gone by since it was made — then it is **rejected** with the reason
  ``"expired"`` and its member is told;
- it is *pending* awaiting its card payment and its hold (``pay_by``) has
  ended — then it is **rejected** with the reason ``"unpaid"`` and its member
  is told (:mod:`rentcal.service.online_payments`);
- it is *approved* and its last day has passed — then it is **completed**,
  (and charged, on the day housekeeping completes it: :mod:`rentcal.service.charging`),
  unless it is checked out and not back (:mod:`rentcal.service.handover`):
  its check-in completes it, and records it as late.

When the organisation flags no-shows (:mod:`rentcal.service.org_no_show`),
:meth:`Housekeeping.housekeeping` also flags, once, each approved rental that
nobody checked out in time: a history note and a notification to the admins
and the machine's keepers; the rental is kept as it is. (Only the full run
does this, not the settling inside every write, which stays as cheap as it was.)

Both are recorded like any status change (history row, SEQUENCE + 1) with
``changed_by`` NULL: done by the system. They happen lazily and idempotently:

- inside every write transaction that locks a machine (booking, a status
  change, a move, maintenance, a retirement), for that machine, under its
  lock, before anything is decided (:meth:`Housekeeping.settle`);
- in reads (availability checks, free windows, lists, feeds) that *see* a
  stale row: the read is answered again after a housekeeping write. A read
  that sees nothing stale costs nothing more — except, on a machine whose
  requests expire after some hours, when it sees a pending request (its age
  is then checked, one small query);
- and by ``rentcal housekeeping`` / :meth:`Housekeeping.housekeeping` (cron).

Each machine is settled under its lock, reading its stale rows afresh after
taking it, so two processes doing housekeeping at once record every change
exactly once: the second finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy.engine import Connection

from rentcal.core import news
from rentcal.core.availability import Conflict
from rentcal.core.handover import HandoverKind
from rentcal.core.online_payments import UNPAID_REASON
from rentcal.core.types import ConflictKind, RentalStatus
from rentcal.core.values import Rental
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord
from rentcal.db.sql import online_payments as ops
from rentcal.errors import NotFound, RentcalError
from rentcal.service.base import Context
from rentcal.service.lifecycle import Lifecycle
from rentcal.service.org_no_show import no_show_cutoff, read_no_show_hours

T = TypeVar("T")

#: The reason recorded on (and told about) a request nobody decided in time.
EXPIRED_REASON = "expired"
#: The reason recorded when an approved rental's last day has passed.
ENDED_REASON = "its last day has passed"
#: The no-show flags due: (the last first day a no-show may have, the grace in hours).
NoShowRule = tuple[date, int]


@dataclass(frozen=True, slots=True)
class HousekeepingResult:
    """What one housekeeping run changed: requests expired, rentals completed, rentals
    flagged as no-shows, bookings released unpaid."""

    expired: int = 0
    completed: int = 0
    no_shows: int = 0
    unpaid: int = 0

    def __add__(self, other: HousekeepingResult) -> HousekeepingResult:
        return HousekeepingResult(
            self.expired + other.expired,
            self.completed + other.completed,
            self.no_shows + other.no_shows,
            self.unpaid + other.unpaid,
        )

    def as_dict(self) -> dict[str, int]:
        """The JSON shape: ``{"expired": N, "completed": M, "no_shows": K, "unpaid": U}``."""
        return {
            "expired": self.expired,
            "completed": self.completed,
            "no_shows": self.no_shows,
            "unpaid": self.unpaid,
        }


class Housekeeping:
    """Settling what time has made stale: in writes, in reads, and on demand."""

    def __init__(self, ctx: Context, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle

    def housekeeping(self, today: date | None = None) -> HousekeepingResult:
        """Expire undecided requests, complete ended rentals and flag no-shows, on
        every machine.

        Idempotent and safe to run from several hosts at once (each change is
        recorded once). For cron: ``rentcal housekeeping``. Writes nothing
        (and bumps no calendar revision) when nothing is stale.
        """
        day = self.ctx.today(today)
        now = self.ctx.now()
        stale, rule = self.ctx.read(lambda conn: self._due(conn, day, now))
        if not stale or self.ctx.store.read_only:
            return HousekeepingResult()

        def work(conn: Connection) -> HousekeepingResult:
            total = HousekeepingResult()
            for machine_id in sorted(stale):  # a fixed order: never a deadlock
                self.ctx.store.lock_machine(conn, machine_id)
            for machine_id in sorted(stale):
                if rule is not None:  # before completing: an ended no-show is flagged too
                    total += self._flag_no_shows(conn, machine_id, rule)
                total += self.settle(conn, machine_id, day)
            return total

        return self.ctx.write(work)

    def housekeeping_due(self, today: date | None = None) -> bool:
        """Whether :meth:`housekeeping` has anything to do (reads only; a few indexed
        queries). The web server asks before answering a cached feed."""
        day = self.ctx.today(today)
        return bool(self.ctx.read(lambda conn: self._due(conn, day, self.ctx.now()))[0])

    def _due(
        self, conn: Connection, day: date, now: datetime
    ) -> tuple[set[int], NoShowRule | None]:
        """The machines with something to settle or flag, and the no-show rule (if on)."""
        found = self._stale_machines(conn, day, now)
        hours = read_no_show_hours(conn)
        if hours is None:
            return found, None
        cutoff = no_show_cutoff(self.ctx.zone_in(conn), now, hours)
        return found | q.no_show_machine_ids(conn, cutoff), (cutoff, hours)

    def _flag_no_shows(
        self, conn: Connection, machine_id: int, rule: NoShowRule
    ) -> HousekeepingResult:
        """Flag, once each, the machine's rentals nobody checked out in time (its lock held).

        The flag is a ``no-show`` hand-over row (UNIQUE per rental: never twice),
        a history note and a notification to the admins and the machine's keepers.
        The rental stands: a late check-out is still possible.
        """
        cutoff, hours = rule
        found = q.no_shows(conn, machine_id, cutoff)
        if not found:
            return HousekeepingResult()
        now = self.ctx.now()
        told = [*q.admin_ids(conn), *q.active_keeper_ids(conn, machine_id)]
        for rental in found:
            q.insert_handover(
                conn, rental_id=rental.id, kind=HandoverKind.NO_SHOW, at=now, by_id=None
            )
            q.add_history(
                conn,
                rental_id=rental.id,
                from_status=rental.status,
                to_status=rental.status,
                changed_by_id=None,
                reason=f"{news.NO_SHOW}not checked out within {hours} hours of its first day",
                changed_at=now,
            )
            self.ctx.notify(
                conn, told, news.no_show(rental, hours), rental.id, kind="no-show", rental=rental
            )
        return HousekeepingResult(no_shows=len(found))

    def _stale_machines(self, conn: Connection, day: date, now: datetime) -> set[int]:
        """Machines with something stale (read without locks; settled under them)."""
        found = q.stale_machine_ids(conn, day) | ops.unpaid_machine_ids(conn, now)
        for machine_id, _name, hours in q.expiring_machines(conn):
            if machine_id not in found and q.has_overdue(
                conn, machine_id, now - timedelta(hours=hours)
            ):
                found.add(machine_id)
        return found

    def settle(
        self,
        conn: Connection,
        machine_id: int,
        day: date,
        *,
        skip: int | None = None,
        machine: MachineRecord | None = None,
    ) -> HousekeepingResult:
        """Settle one machine's stale rentals; the caller holds the machine's lock.

        ``skip``: a rental the caller is about to change itself (an explicit
        decision beats the system's). ``machine``: the machine's row as read
        under the lock, when the caller has it (else it is read here).
        """
        row = q.machine_by_id(conn, machine_id) if machine is None else machine
        hours = None if row is None else row.request_expiry_hours
        cutoff = None if hours is None else self.ctx.now() - timedelta(hours=hours)
        expired = completed = unpaid = 0
        for rental, unpaid_hold in q.stale_rentals(conn, machine_id, day, cutoff, self.ctx.now()):
            if rental.id == skip:
                continue
            if unpaid_hold:  # its hold for payment ended: the days go back
                self.lifecycle.record(conn, rental, RentalStatus.REJECTED, None, UNPAID_REASON)
                unpaid += 1
            elif rental.status is RentalStatus.PENDING:
                self.lifecycle.record(
                    conn, rental, RentalStatus.REJECTED, None, EXPIRED_REASON, kind="expired"
                )
                expired += 1
            else:
                self.lifecycle.record(
                    conn,
                    rental,
                    RentalStatus.COMPLETED,
                    None,
                    ENDED_REASON,
                    notify=False,
                    today=day,  # charged on the day housekeeping completes it
                )
                completed += 1
        return HousekeepingResult(expired, completed, unpaid=unpaid)

    def lock(
        self, conn: Connection, machine_ids: Iterable[int], day: date, skip: int | None = None
    ) -> None:
        """Lock machines (in id order) and settle what time made stale on each."""
        ordered = sorted(set(machine_ids))
        for machine_id in ordered:
            self.ctx.store.lock_machine(conn, machine_id)
        for machine_id in ordered:
            self.settle(conn, machine_id, day, skip=skip)

    def lock_machine(self, conn: Connection, row: MachineRecord, day: date) -> MachineRecord:
        """Lock (and settle) the machine of ``row``; its row as it is under the lock.

        The locking recipe's re-read: on PostgreSQL (READ COMMITTED) ``row``
        was read before the lock and an edit or a retirement may have committed
        since, so the row is read again once the lock is held. SQLite's BEGIN
        IMMEDIATE excluded every other writer before ``row`` was read, so it is
        still current and is not read again. Settling uses the same row.
        """
        self.ctx.store.lock_machine(conn, row.id)
        if not self.ctx.serialised:
            row = self.ctx.machine_row(conn, row.name)  # re-read under the lock
        self.settle(conn, row.id, day, machine=row)
        return row

    def lock_rental(
        self,
        conn: Connection,
        rental_id: int,
        day: date,
        *,
        also: Iterable[int] = (),
        skip: int | None = None,
    ) -> int:
        """Lock (and settle) the machine a rental is on, and ``also``; that machine's id.

        A move may put the rental on another machine between the lookup and
        the lock (PostgreSQL reads committed rows), so the machine is read
        again under the lock and, if it changed, locked too: a decision is
        never made on a calendar whose lock this transaction does not hold.
        """
        locked: set[int] = set()
        extra = set(also)
        while True:
            machine_id = q.rental_machine_id(conn, rental_id)
            if machine_id is None:
                raise NotFound(f"rental {rental_id} not found", field="rental", value=rental_id)
            wanted = ({machine_id} | extra) - locked
            if not wanted:
                return machine_id
            self.lock(conn, wanted, day, skip=skip)
            locked |= wanted

    # -- reads that see stale rows ----------------------------------------------------

    def fresh(self, read: Callable[[Connection], tuple[T, bool]], day: date) -> T:
        """Answer ``read``; if it saw a stale row, do housekeeping and answer again.

        ``read`` returns (answer, whether it saw something stale).
        """
        answer, stale = self.ctx.read(read)
        if not stale or self.ctx.store.read_only:
            return answer
        try:
            self.housekeeping(day)
        except RentcalError:  # busy or read-only: the answer stands as read
            return answer
        return self.ctx.read(read)[0]

    def stale_rows(self, conn: Connection, rentals: Iterable[Rental], day: date) -> bool:
        """Whether any of ``rentals`` is stale (a small query only for pending rows of
        machines whose requests expire after some hours)."""
        pending: list[Rental] = []
        for r in rentals:
            if r.status is RentalStatus.PENDING:
                if r.start < day:
                    return True
                pending.append(r)
            elif r.status is RentalStatus.APPROVED and r.end < day:
                return True
        if not pending:
            return False
        if ops.any_unpaid(conn, [r.id for r in pending], self.ctx.now()):
            return True
        hours = {name: h for _id, name, h in q.expiring_machines(conn)}
        if not hours:
            return False
        now = self.ctx.now()
        return any(
            r.machine in hours and r.created_at <= now - timedelta(hours=hours[r.machine])
            for r in pending
        )

    def stale_conflicts(
        self, conn: Connection, machine: MachineRecord, conflicts: list[Conflict], day: date
    ) -> bool:
        """Whether a conflict found by an availability check of ``machine`` (its row)
        is a stale pending request."""
        pending = [c for c in conflicts if c.kind is ConflictKind.RENTAL and c.status == "pending"]
        if not pending:
            return False
        if any(c.start < day for c in pending):
            return True
        if ops.unpaid_rentals(conn, machine.id, self.ctx.now()):
            return True
        if machine.request_expiry_hours is None:
            return False
        cutoff = self.ctx.now() - timedelta(hours=machine.request_expiry_hours)
        return q.has_overdue(conn, machine.id, cutoff)


__all__ = ["ENDED_REASON", "EXPIRED_REASON", "Housekeeping", "HousekeepingResult"]
