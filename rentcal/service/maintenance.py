"""Maintenance: taking a machine out of service, and listing or cancelling that.

Scheduled blocks of one machine never overlap each other (that keeps the
availability check O(log n)); over blocking rentals a block is refused unless
forced, and then the rentals' members are notified.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import Connection

from rentcal import queries as q
from rentcal.core.availability import Conflict, availability
from rentcal.core.ranges import validate_range
from rentcal.core.types import ConflictKind, MaintenanceKind, MaintenanceStatus, parse_enum
from rentcal.core.validate import clean_text
from rentcal.core.values import Maintenance
from rentcal.errors import InvalidTransition, Unavailable
from rentcal.service.base import ServiceBase, span_text, statuses


class Upkeep(ServiceBase):
    """Use cases about maintenance blocks."""

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
        validate_range(start, end, self.today(today))
        what = parse_enum(MaintenanceKind, kind, "maintenance kind")
        text = clean_text(notes, "notes")

        def work(conn: Connection) -> Maintenance:
            actor = self._admin(conn, acting, "schedule maintenance")
            mach = self._machine_row(conn, machine)
            self.store.lock_machine(conn, mach.id)
            clashes = self._refuse_overlaps(conn, mach.id, mach.name, start, end, force)
            now = self.now()
            new_id = q.insert_maintenance(
                conn,
                uid=str(uuid.uuid4()),
                machine_id=mach.id,
                start_date=start,
                end_date=end,
                kind=what,
                status=MaintenanceStatus.SCHEDULED,
                notes=text,
                created_by_id=actor.id,
                created_at=now,
                updated_at=now,
                sequence=0,
            )
            for clash in clashes:
                self._notify(
                    conn,
                    [q.rental_owner_id(conn, clash.id)],
                    f"maintenance {new_id} ({what.value}) on {mach.name} {span_text(start, end)} "
                    f"overlaps your rental {clash.id}; an admin will contact you",
                    clash.id,
                )
            return self._get_maintenance(conn, new_id)

        return self._write(work, [(machine, start, end)])

    def _refuse_overlaps(
        self, conn: Connection, machine_id: int, name: str, start: date, end: date, force: bool
    ) -> list[Conflict]:
        """The rentals a new block overlaps (allowed only with ``force``); refuse the rest."""
        found_all = self._conflicts(conn, machine_id, start, end)
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

    def cancel_maintenance(self, maintenance_id: int, acting: str | None = None) -> Maintenance:
        """Cancel a scheduled maintenance block (admins); it stays in history."""

        def work(conn: Connection) -> Maintenance:
            self._admin(conn, acting, "cancel maintenance")
            item = self._get_maintenance(conn, maintenance_id)
            if item.status is not MaintenanceStatus.SCHEDULED:
                raise InvalidTransition(
                    f"cannot cancel maintenance {item.id}: it is {item.status.value}",
                    current=item.status.value,
                    action="cancel",
                )
            q.update_maintenance(
                conn, item.id, status=MaintenanceStatus.CANCELLED, updated_at=self.now(), bump=True
            )
            return self._get_maintenance(conn, item.id)

        return self._write(work)

    def maintenance(
        self,
        machine: str | None = None,
        status: str | MaintenanceStatus | Sequence[str | MaintenanceStatus] | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[Maintenance]:
        """Maintenance blocks, optionally of one machine / status / window, by start day."""
        wanted = statuses(status, MaintenanceStatus, "maintenance status")

        def work(conn: Connection) -> list[Maintenance]:
            return q.find_maintenance(
                conn,
                machine_id=None if machine is None else self._machine_row(conn, machine).id,
                statuses=wanted,
                start=start,
                end=end,
            )

        return self._read(work)


__all__ = ["Upkeep"]
