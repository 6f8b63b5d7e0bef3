"""Maintenance: taking a machine out of service, listing, cancelling, marking it done.

Scheduled blocks of one machine never overlap each other (that keeps the
availability check O(log n)); over blocking rentals a block is refused unless
forced, and then the rentals' members are notified. Cancelling and marking
done follow the life-cycle rule rentals follow (:mod:`rentcal.core.transitions`):
a block can be cancelled until its last day has passed, and marked done once
its first day has come. Only a *scheduled* block blocks the machine: a done
block frees its remaining days.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from rentcal.core import checks, news
from rentcal.core.availability import Conflict, availability
from rentcal.core.ranges import validate_range
from rentcal.core.transitions import Action, next_maintenance_status
from rentcal.core.types import ConflictKind, MaintenanceKind, MaintenanceStatus
from rentcal.core.values import UNSET, Change, Edited, Maintenance, Unset
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord
from rentcal.errors import InvalidRequest, Unavailable
from rentcal.service.base import Context, Span, int_id, statuses
from rentcal.service.editing import cleaned, record_changes
from rentcal.service.housekeeping import Housekeeping

#: Editable fields of a maintenance block: keyword -> (column, checker).
MAINTENANCE_FIELDS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "start": ("start_date", lambda v: checks.day(v, "start")),
    "end": ("end_date", lambda v: checks.day(v, "end")),
    "kind": ("kind", lambda v: checks.choice(v, MaintenanceKind, "kind", "maintenance kind")),
    "notes": ("notes", lambda v: checks.free_text(v, "notes")),
}


class Upkeep:
    """Use cases about maintenance blocks."""

    def __init__(self, ctx: Context, housekeeping: Housekeeping) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping

    def add_maintenance(
        self,
        machine: str,
        start: date,
        end: date,
        kind: str | MaintenanceKind = MaintenanceKind.PREVENTIVE,
        notes: str | None = None,
        acting: str | None = None,
        force: bool = False,
        today: date | None = None,
    ) -> Maintenance:
        """Take a machine out of service on [start, end] (admins).

        Over blocking rentals this raises Unavailable with the conflicts (and
        ``overridable=True``), unless ``force=True``: then it is stored, the
        rentals stay for an admin to move, and their members are notified.
        Over scheduled maintenance it always raises: blocks of one machine
        never overlap, which keeps availability checks O(log n).
        """
        name = checks.handle(machine, "machine")
        checks.day(start, "start")
        checks.day(end, "end")
        what = checks.choice(kind, MaintenanceKind, "kind", "maintenance kind")
        text = checks.free_text(notes, "notes")
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(force, "force")
        day = self.ctx.today(today)
        validate_range(start, end, day)

        def work(conn: Connection) -> Maintenance:
            actor = self.ctx.admin(conn, acting, "schedule maintenance")
            mach = self.ctx.machine_row(conn, name)
            self.housekeeping.lock(conn, [mach.id], day)
            return self.schedule(conn, actor.id, mach, start, end, what, text, force=force)

        return self.ctx.write(work, [(machine, start, end)])

    def schedule(
        self,
        conn: Connection,
        actor_id: int,
        mach: MachineRecord,
        start: date,
        end: date,
        kind: MaintenanceKind,
        notes: str | None,
        *,
        force: bool,
    ) -> Maintenance:
        """Store a block in the caller's transaction, which holds the machine's lock and
        checked the arguments: :meth:`add_maintenance`'s write, shared with a damaged
        return's repair (:mod:`rentcal.service.handover`). The members of the rentals
        it overlaps (allowed only with ``force``) are told."""
        clashes = self._refuse_overlaps(conn, mach.id, mach.name, start, end, force)
        now = self.ctx.now()
        new_id = q.insert_maintenance(
            conn,
            uid=str(uuid.uuid4()),
            machine_id=mach.id,
            start_date=start,
            end_date=end,
            kind=kind,
            status=MaintenanceStatus.SCHEDULED,
            notes=notes,
            created_by_id=actor_id,
            created_at=now,
            updated_at=now,
            sequence=0,
        )
        for clash in clashes:
            self.ctx.notify(
                conn,
                [q.rental_owner_id(conn, clash.id)],
                news.maintenance_overlaps(
                    mach.title or mach.name, kind.value, start, end, clash.id, edited=False
                ),
                clash.id,
                kind="maintenance",
            )
        return self.ctx.get_maintenance(conn, new_id)

    def edit_maintenance(
        self,
        maintenance_id: int,
        *,
        acting: str | None,
        start: date | Unset = UNSET,
        end: date | Unset = UNSET,
        kind: str | MaintenanceKind | Unset = UNSET,
        notes: str | Unset | None = UNSET,
        force: bool = False,
        today: date | None = None,
    ) -> Edited[Maintenance]:
        """Change a scheduled block's days, kind or notes (admins); ``notes=None`` clears.

        New days follow the rules of :meth:`add_maintenance`, decided under the
        machine's lock: never over other scheduled maintenance, over blocking
        rentals only with ``force`` (their members are told). A block that has
        begun keeps its first day in the past; a new first day cannot be. The
        block's SEQUENCE is bumped (calendar clients update it) and each
        changed field is recorded; giving the current values changes nothing.
        """
        mid = int_id(maintenance_id, "maintenance")
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(force, "force")
        wanted = cleaned(
            {"start": start, "end": end, "kind": kind, "notes": notes},
            MAINTENANCE_FIELDS,
        )
        day = self.ctx.today(today)
        spans: list[Span] = []

        def work(conn: Connection) -> Edited[Maintenance]:
            actor = self.ctx.admin(conn, acting, "edit maintenance")
            item = self.ctx.get_maintenance(conn, mid)
            mach = self.ctx.machine_row(conn, item.machine)
            self.housekeeping.lock(conn, [mach.id], day)  # and settle what time made stale there
            item = self.ctx.get_maintenance(conn, mid)  # re-read under the lock
            if item.status is not MaintenanceStatus.SCHEDULED:
                raise InvalidRequest(
                    f"maintenance {item.id} is {item.status.value}: only scheduled blocks "
                    "can be edited",
                    field="maintenance",
                    value=item.id,
                    reason=item.status.value,
                )
            old = {
                "start_date": item.start,
                "end_date": item.end,
                "kind": item.kind,
                "notes": item.notes,
            }
            first = wanted.get("start_date", item.start)
            last = wanted.get("end_date", item.end)
            validate_range(first, last, day if first != item.start else None)
            if last < day and last != item.end:  # notes of a past block may change
                raise InvalidRequest(
                    f"end date {last.isoformat()} is in the past (today is {day.isoformat()})",
                    field="end",
                    value=last,
                    reason="past",
                )
            spans.append((mach.name, first, last))
            clashes: list[Conflict] = []
            if (first, last) != (item.start, item.end):
                clashes = self._refuse_overlaps(
                    conn, mach.id, mach.name, first, last, force, skip=item.id
                )
            changes = record_changes(
                conn, "maintenance", item.id, old, wanted, actor, self.ctx.now()
            )
            if changes:
                q.update_maintenance(
                    conn,
                    item.id,
                    updated_at=self.ctx.now(),
                    bump=True,
                    **{c.field: wanted[c.field] for c in changes},
                )
            for clash in clashes:
                self.ctx.notify(
                    conn,
                    [q.rental_owner_id(conn, clash.id)],
                    news.maintenance_overlaps(
                        mach.title or mach.name, None, first, last, clash.id, edited=True
                    ),
                    clash.id,
                    kind="maintenance",
                )
            return Edited(self.ctx.get_maintenance(conn, item.id), changes)

        return self.ctx.write(work, lambda: spans)

    def maintenance_history(self, maintenance_id: int) -> list[Change]:
        """Every recorded change of a maintenance block, oldest first."""
        mid = int_id(maintenance_id, "maintenance")
        return self.ctx.read(
            lambda conn: q.changes(conn, "maintenance", self.ctx.get_maintenance(conn, mid).id)
        )

    def _refuse_overlaps(
        self,
        conn: Connection,
        machine_id: int,
        name: str,
        start: date,
        end: date,
        force: bool,
        skip: int | None = None,
    ) -> list[Conflict]:
        """The rentals a block overlaps (allowed only with ``force``); refuse the rest.

        ``skip``: the block being edited (it does not conflict with itself).
        """
        found_all = [
            c
            for c in self.ctx.conflicts(conn, machine_id, start, end)
            if not (c.kind is ConflictKind.MAINTENANCE and c.id == skip)
        ]
        upkeep = [c for c in found_all if c.kind is ConflictKind.MAINTENANCE]
        if upkeep:  # blocks of one machine never overlap: move or cancel the old one
            found = availability(name, start, end, upkeep)
            raise Unavailable(
                f"maintenance overlaps maintenance: {found.message}",
                upkeep,
                machine=name,
                start=start,
                end=end,
                reason="maintenance",
            )
        clashes = [c for c in found_all if c.kind is ConflictKind.RENTAL]
        if clashes and not force:
            found = availability(name, start, end, clashes)
            raise Unavailable(
                f"maintenance overlaps rentals: {found.message}",
                found.conflicts,
                machine=name,
                start=start,
                end=end,
                overridable=True,
                reason="rentals",
            )
        return clashes

    def cancel_maintenance(
        self, maintenance_id: int, acting: str | None = None, today: date | None = None
    ) -> Maintenance:
        """Cancel a scheduled block (admins) until its last day has passed; it stays listed.

        A block that has ended happened: mark it done instead
        (:meth:`complete_maintenance`).
        """
        return self._change(maintenance_id, Action.CANCEL, acting, today, "cancel maintenance")

    def complete_maintenance(
        self, maintenance_id: int, acting: str | None = None, today: date | None = None
    ) -> Maintenance:
        """Mark a scheduled block done (admins), once its first day has come.

        A done block no longer blocks the machine: marked done before its last
        day, the remaining days (today included) can be booked again. Its days
        stay listed, with status ``done``.
        """
        return self._change(maintenance_id, Action.COMPLETE, acting, today, "mark maintenance done")

    def _change(
        self,
        maintenance_id: int,
        action: Action,
        acting: str | None,
        today: date | None,
        what: str,
    ) -> Maintenance:
        """One status change of a block, under the shared life-cycle rule."""
        mid = int_id(maintenance_id, "maintenance")
        checks.optional_handle(acting, "acting", "acting member")
        day = self.ctx.today(today)

        def work(conn: Connection) -> Maintenance:
            self.ctx.admin(conn, acting, what)
            item = self.ctx.get_maintenance(conn, mid)
            new = next_maintenance_status(
                item.id, item.status, action, start=item.start, end=item.end, today=day
            )
            q.update_maintenance(conn, item.id, status=new, updated_at=self.ctx.now(), bump=True)
            return self.ctx.get_maintenance(conn, item.id)

        return self.ctx.write(work)

    def maintenance(
        self,
        machine: str | None = None,
        status: str | MaintenanceStatus | Sequence[str | MaintenanceStatus] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Maintenance]:
        """Maintenance blocks, optionally of one machine / status / window, by start day."""
        name = checks.optional_handle(machine, "machine")
        wanted = statuses(status, MaintenanceStatus, "maintenance status")
        first, last = checks.optional_day(start, "start"), checks.optional_day(end, "end")
        if first is not None and last is not None:
            validate_range(first, last)

        def work(conn: Connection) -> list[Maintenance]:
            return q.find_maintenance(
                conn,
                machine_id=None if name is None else self.ctx.machine_row(conn, name).id,
                statuses=wanted,
                start=first,
                end=last,
            )

        return self.ctx.read(work)


__all__ = ["MAINTENANCE_FIELDS", "Upkeep"]
