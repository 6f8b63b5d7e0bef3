"""Bulk imports: rentals (history welcome) and maintenance blocks, all or nothing.

Rows arrive parsed (:mod:`rentcal.imports`); here they are checked against
the database like ``book`` would, and against each other with the core's
:class:`~rentcal.core.availability.Sweep` (THE overlap rule), then written in
one guarded write transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from rentcal.core import checks
from rentcal.core.availability import Sweep
from rentcal.core.limits import RentalLimits, check_rental_days
from rentcal.core.pricing import rental_price
from rentcal.core.ranges import LAST_DAY, validate_range
from rentcal.core.types import (
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    RequestPolicy,
)
from rentcal.core.values import Problem
from rentcal.db import sql as q
from rentcal.db.rows import MachineRecord, MemberRecord
from rentcal.errors import ImportFailed, InvalidRequest
from rentcal.service.base import Context, Span, span_text
from rentcal.service.org_limits import read_limits

if TYPE_CHECKING:  # the import machinery loads only when an import runs
    from rentcal.imports import BlockRow, ImportResult, ImportRow

#: An accepted rental row: the row, its machine, its member id and
#: whether it is a queued request (see Bulk._vet_rentals).
Accepted = tuple["ImportRow", MachineRecord, int, bool]
#: Rows written per executemany, and per progress report.
CHUNK = 5000


def _overlap(row: ImportRow) -> str:
    return f"{span_text(row.start, row.end)} overlaps"


def _label(conflict: Any) -> str:
    return f"{conflict.kind.value} {conflict.id} ({conflict.status})"


class Bulk:
    """Use cases that write many rows at once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def import_rentals(
        self,
        rows: Iterable[ImportRow | Problem],
        *,
        acting: str | None = None,
        skip_invalid: bool = False,
        progress: Callable[[int, int], None] | None = None,
        today: date | None = None,
    ) -> ImportResult:
        """Import rentals (history welcome: past dates, any status), all or nothing.

        Each row is checked like ``book`` — known active machine, known member,
        verified for blocking rows, valid dates — and blocking rows must not
        overlap each other or what is stored. Invalid rows raise ImportFailed
        listing their line numbers, unless ``skip_invalid``: then the valid
        rows are stored and the problems returned. Admins only.
        """
        from rentcal.imports import ImportResult, ImportRow

        parsed = _rows(rows, ImportRow, "ImportRow (from rentcal.imports.read_rentals_csv)")
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(skip_invalid, "skip_invalid")
        checks.callback(progress, "progress")
        day = self.ctx.today(today)

        def work(conn: Connection) -> ImportResult:
            actor = self.ctx.admin(conn, acting, "import rentals")
            accepted, problems = self._vet_rentals(conn, parsed, day)
            if problems and not skip_invalid:
                raise ImportFailed(problems)
            self._insert_rentals(conn, accepted, actor.id, progress)
            return ImportResult(len(accepted), len(problems), tuple(problems))

        spans: list[Span] = [
            (r.machine, r.start, r.end) for r in parsed if isinstance(r, ImportRow)
        ]
        return self.ctx.write(work, spans)

    def _vet_rentals(
        self, conn: Connection, parsed: list[ImportRow | Problem], today: date
    ) -> tuple[list[Accepted], list[Problem]]:
        """The rows to store and the problems, both in file order.

        A pending row of a machine whose requests queue is a queued request,
        as ``book`` makes it: it may share its days with other queued ones,
        never with what blocks (an approved rental, maintenance, a pending
        request of a blocking machine) — so queued rows are checked once every
        blocking row of the file is known, whatever the order of the lines.
        """
        from rentcal.imports import ImportRow

        machines, members = q.machines_by_name(conn), q.members_by_handle(conn)
        limits = read_limits(conn)
        sweeps: dict[int, Sweep] = {}
        windows: dict[str, tuple[date, date]] = {}
        for r in parsed:
            if isinstance(r, ImportRow):
                low, high = windows.get(r.machine, (r.start, r.end))
                windows[r.machine] = (min(low, r.start), max(high, r.end))

        def sweep_of(row: ImportRow, machine_id: int) -> Sweep:
            found = sweeps.get(machine_id)
            if found is None:
                found = sweeps[machine_id] = self._sweep(conn, machine_id, *windows[row.machine])
            return found

        outcomes: list[Accepted | Problem] = []
        waiting: list[tuple[int, Accepted]] = []  # queued rows and their places, checked last
        for row in parsed:
            if isinstance(row, Problem):
                outcomes.append(row)
                continue
            mach, who = machines.get(row.machine), members.get(row.member)
            message = self._refusal(row, mach, who, today) or _beyond_limits(row, today, limits)
            if message is not None or mach is None or who is None:
                outcomes.append(Problem(row.line, message or "unknown machine or member"))
                continue
            queued = row.status is RentalStatus.PENDING and mach.request_policy == (
                RequestPolicy.QUEUE
            )
            accepted: Accepted = (row, mach, who.id, queued)
            if queued:
                waiting.append((len(outcomes), accepted))
            elif row.blocking:
                clash = sweep_of(row, mach.id).clash(row.start, row.end)
                if clash:
                    outcomes.append(Problem(row.line, f"{_overlap(row)} {clash}"))
                    continue
                sweep_of(row, mach.id).add(row.start, row.end, f"line {row.line}")
            outcomes.append(accepted)
        for index, (row, machine, *_rest) in waiting:
            clash = sweep_of(row, machine.id).clash(row.start, row.end)
            if clash:
                outcomes[index] = Problem(row.line, f"{_overlap(row)} {clash}")
        stored = [o for o in outcomes if not isinstance(o, Problem)]
        return stored, [o for o in outcomes if isinstance(o, Problem)]

    @staticmethod
    def _refusal(
        row: ImportRow, mach: MachineRecord | None, who: MemberRecord | None, today: date
    ) -> str | None:
        """Why a row cannot be imported, before any overlap test; None if it can."""
        if mach is None:
            return f"machine {row.machine!r} not found"
        if who is None:
            return f"member {row.member!r} not found"
        if row.status is RentalStatus.COMPLETED and row.start > today:
            return (
                f"a completed rental cannot start after today ({row.start.isoformat()} > "
                f"{today.isoformat()})"
            )
        if row.blocking and mach.status != MachineStatus.ACTIVE:
            return f"machine {row.machine!r} is retired and cannot be booked"
        if row.blocking and not who.verified:
            return f"member {row.member!r} is not verified"
        if row.blocking and who.deactivated_at is not None:
            return f"member {row.member!r} is deactivated"
        return None

    def _sweep(self, conn: Connection, machine_id: int, first: date, last: date) -> Sweep:
        """The stored blocking ranges of a machine within the file's window."""
        found = self.ctx.conflicts(conn, machine_id, first, last)
        return Sweep((c.start, c.end, _label(c)) for c in found)

    def _insert_rentals(
        self,
        conn: Connection,
        accepted: list[Accepted],
        actor_id: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        now = self.ctx.now()
        before = q.max_rental_id(conn)
        total = len(accepted)
        for offset in range(0, total, CHUNK):
            q.insert_rentals(
                conn,
                [
                    {
                        "uid": str(uuid.uuid4()),
                        "machine_id": mach.id,
                        "member_id": member_id,
                        "start_date": row.start,
                        "end_date": row.end,
                        "status": row.status,
                        "purpose": row.purpose,
                        "price": rental_price(mach.daily_price, row.start, row.end),
                        "created_at": now,
                        "updated_at": now,
                        "sequence": 0,
                        "status_changed_by_id": actor_id,
                        "reason": "imported",
                        "queued": queued,
                        "unit_price": mach.unit_price,
                        "minimum_charge": mach.minimum_charge,
                    }
                    for row, mach, member_id, queued in accepted[offset : offset + CHUNK]
                ],
            )
            if progress is not None:
                progress(min(offset + CHUNK, total), total)
        q.add_import_history(conn, before, actor_id, now)

    def import_maintenance(
        self,
        machine: str,
        rows: Iterable[BlockRow | Problem],
        *,
        kind: str | MaintenanceKind = MaintenanceKind.PREVENTIVE,
        acting: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportResult:
        """Import blocks (holidays, a workshop's schedule) as maintenance, all or nothing.

        Blocks may not overlap blocking rentals, scheduled maintenance, or
        each other; past blocks are welcome. Admins only.
        """
        from rentcal.imports import BlockRow, ImportResult

        name = checks.handle(machine, "machine")
        parsed = _rows(rows, BlockRow, "BlockRow (from rentcal.imports.read_blocks_ics)")
        what = checks.choice(kind, MaintenanceKind, "kind", "maintenance kind")
        checks.optional_handle(acting, "acting", "acting member")
        checks.flag(skip_invalid, "skip_invalid")
        blocks = [b for b in parsed if isinstance(b, BlockRow)]

        def work(conn: Connection) -> ImportResult:
            actor = self.ctx.admin(conn, acting, "import maintenance")
            mach = self.ctx.machine_row(conn, name)
            self.ctx.store.lock_machine(conn, mach.id)
            problems = [p for p in parsed if isinstance(p, Problem)]
            good = self._vet_blocks(conn, mach.id, blocks, problems)
            if problems and not skip_invalid:
                raise ImportFailed(sorted(problems, key=lambda p: p.line))
            now = self.ctx.now()
            if good:
                q.insert_maintenance_rows(
                    conn,
                    [
                        {
                            "uid": str(uuid.uuid4()),
                            "machine_id": mach.id,
                            "start_date": b.start,
                            "end_date": b.end,
                            "kind": what,
                            "status": MaintenanceStatus.SCHEDULED,
                            "notes": b.notes,
                            "created_by_id": actor.id,
                            "created_at": now,
                            "updated_at": now,
                            "sequence": 0,
                        }
                        for b in good
                    ],
                )
            return ImportResult(
                len(good), len(problems), tuple(sorted(problems, key=lambda p: p.line))
            )

        spans: list[Span] = [(name, b.start, b.end) for b in blocks]
        return self.ctx.write(work, spans)

    def _vet_blocks(
        self, conn: Connection, machine_id: int, blocks: list[BlockRow], problems: list[Problem]
    ) -> list[BlockRow]:
        """The blocks that overlap nothing stored nor each other; the rest -> ``problems``."""
        sweep = Sweep()
        if blocks:
            first, last = min(b.start for b in blocks), max(b.end for b in blocks)
            sweep = self._sweep(conn, machine_id, first, last)
        good: list[BlockRow] = []
        for block in blocks:
            clash = sweep.clash(block.start, block.end)
            if clash:
                problems.append(
                    Problem(block.line, f"{span_text(block.start, block.end)} overlaps {clash}")
                )
                continue
            sweep.add(block.start, block.end, f"the event on line {block.line}")
            good.append(block)
        return good


#: The field types of hand-built rows (rows read by rentcal.imports always match).
_FIELDS: dict[str, tuple[tuple[str, type | tuple[type, ...]], ...]] = {
    "ImportRow": (
        ("line", int),
        ("machine", str),
        ("member", str),
        ("start", date),
        ("end", date),
        ("status", RentalStatus),
        ("purpose", (str, type(None))),
    ),
    "BlockRow": (("line", int), ("start", date), ("end", date), ("notes", (str, type(None)))),
    "Problem": (("line", int), ("message", str)),
}


def _rows(rows: object, kind: type, expected: str) -> list[Any]:
    """Import rows as given: ``kind`` or Problem instances with well-typed fields.

    A dict, a tuple or a row holding a str where a date belongs is a caller's
    bug: ArgumentTypeError naming ``rows[i]`` (or ``rows[i].field``), before
    anything is read or written. Rows read by :mod:`rentcal.imports` pass the
    fast test (a million rows in about a second); only a failing row is
    examined field by field, for the message.
    """
    found = checks.items(rows, (kind, Problem), "rows", f"an {expected} or a Problem")
    blocks = kind.__name__ == "BlockRow"
    for index, row in enumerate(found):
        if not _well_formed(row, blocks):
            _refuse_row(index, row)
    return found


def _well_formed(row: Any, blocks: bool) -> bool:
    """The fast test: exact field types (so no datetime, no bool) and a valid range."""
    if type(row) is Problem:
        return type(row.line) is int and type(row.message) is str
    common = (
        type(row.line) is int
        and type(row.start) is date
        and type(row.end) is date
        and row.start <= row.end <= LAST_DAY
    )
    if blocks:
        return common and (row.notes is None or type(row.notes) is str)
    return (
        common
        and type(row.machine) is str
        and type(row.member) is str
        and type(row.status) is RentalStatus
        and (row.purpose is None or type(row.purpose) is str)
    )


def _refuse_row(index: int, row: Any) -> None:
    """Raise the error naming what is wrong with ``rows[index]``."""
    for attr, types in _FIELDS[type(row).__name__]:
        value = getattr(row, attr)
        if isinstance(value, bool) or not isinstance(value, types):
            raise checks.wrong_type(
                f"rows[{index}].{attr}", _type_names(types), value, field="rows"
            )
        if isinstance(value, datetime):
            raise checks.wrong_type(f"rows[{index}].{attr}", "a date", value, field="rows")
    try:
        validate_range(row.start, row.end)
    except InvalidRequest as err:
        raise InvalidRequest(
            f"rows[{index}] (line {row.line}): {err}", field="rows", value=row
        ) from None
    raise checks.wrong_type(f"rows[{index}]", "a well-formed row", row, field="rows")


def _beyond_limits(row: ImportRow, today: date, limits: RentalLimits) -> str | None:
    """Why a row that has not ended yet breaks the rental limits, else None.

    History (a row that ended before ``today``) is exempt: it happened, and
    refusing it would only lose the record. Anything still ahead is held to
    the limits whatever its status, as a booking is: a typo is a typo.
    """
    if row.end < today:
        return None
    try:
        check_rental_days(row.start, row.end, today, limits)
    except InvalidRequest as err:
        return err.message
    return None


def _type_names(types: type | tuple[type, ...]) -> str:
    names = [t.__name__ for t in (types if isinstance(types, tuple) else (types,))]
    return " or ".join("None" if n == "NoneType" else f"a {n}" for n in names)


__all__ = ["Bulk"]
