"""Every SQL statement of rentcal and the row -> value mappers, in one place.

Statements are built once, at import time, with bind parameters, so a call
costs an execution and never a compilation of a new statement shape; the
use-case modules (:mod:`rentcal.service`) call the small functions below and
read as rules. ``overlap_clause`` is THE SQL spelling of the overlap rule
(:func:`rentcal.core.ranges.overlaps` is the Python one; a test proves they
agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from rentcal.core.availability import Conflict
from rentcal.core.types import (
    ConflictKind,
    MachineStatus,
    MaintenanceKind,
    MaintenanceStatus,
    RentalStatus,
    RequestPolicy,
    Role,
)
from rentcal.core.values import Change, Machine, Maintenance, Member, Notification, Rental
from rentcal.db.tables import (
    change_log_t,
    history_t,
    machine_t,
    maintenance_blocks,
    maintenance_t,
    member_t,
    notification_t,
    org_setting_t,
    rental_blocks,
    rental_t,
)


def overlap_clause(start_col: Any, end_col: Any, start: date | Any, end: date | Any) -> Any:
    """THE SQL spelling of the overlap rule (see rentcal.core.ranges.overlaps)."""
    return sa.and_(start_col <= end, end_col >= start)


def _blocking_seek(table: sa.Table, blocks: str, kind: str) -> list[Any]:
    """Blocking rows of one machine overlapping [:s, :e], in O(log n).

    Blocking rows of one machine never overlap each other (the service keeps
    it so and the database guards rentals), so only two kinds of rows can meet
    the range: those starting inside it (one index range read) and the single
    latest one starting before it (one index seek, ORDER BY ... DESC LIMIT 1).
    Both are still filtered by :func:`overlap_clause`, THE rule. The status
    test is a literal matching the partial index, which SQLite needs to use it.
    """
    c = table.c
    blocking = sa.text(blocks)
    m: Any = sa.bindparam("m", type_=sa.Integer)
    s: Any = sa.bindparam("s", type_=sa.Date)
    e: Any = sa.bindparam("e", type_=sa.Date)
    status = sa.type_coerce(c.status, sa.String).label("status")
    cols: tuple[Any, ...] = (
        sa.literal_column(f"'{kind}'").label("kind"),
        c.id,
        c.start_date,
        c.end_date,
        status,
    )
    inside = sa.select(*cols).where(
        c.machine_id == m,
        blocking,
        c.start_date >= s,
        overlap_clause(c.start_date, c.end_date, s, e),
    )
    latest = (
        sa.select(*cols)
        .where(c.machine_id == m, blocking, c.start_date < s)
        .order_by(c.start_date.desc())
        .limit(1)
        .subquery()
    )
    before = sa.select(latest).where(latest.c.end_date >= s)
    return [inside, before]


#: Conflicts of one machine with [:s, :e]: blocking rentals, then scheduled maintenance.
CONFLICTS_STATEMENT = sa.union_all(
    *_blocking_seek(rental_t, rental_blocks("rental"), "rental"),
    *_blocking_seek(maintenance_t, maintenance_blocks("maintenance"), "maintenance"),
)
#: The machine row a check needs, looked up by its unique name.
MACHINE_BY_NAME = sa.select(machine_t).where(machine_t.c.name == sa.bindparam("n"))
_MACHINE_BY_ID = sa.select(machine_t).where(machine_t.c.id == sa.bindparam("i"))
_MEMBER_BY_HANDLE = sa.select(member_t).where(member_t.c.handle == sa.bindparam("h"))
_MEMBER_COUNT = sa.select(sa.func.count()).select_from(member_t)
_ADMIN_IDS = (
    sa.select(member_t.c.id)
    .where(member_t.c.role == Role.ADMIN, member_t.c.deactivated_at.is_(None))
    .order_by(member_t.c.id)
)
_c = change_log_t.c
_CHANGES = (
    sa.select(
        _c.entity,
        _c.entity_id,
        _c.field,
        _c.old_value,
        _c.new_value,
        member_t.c.handle.label("by"),
        _c.changed_at,
    )
    .select_from(change_log_t.outerjoin(member_t, member_t.c.id == _c.changed_by_id))
    .where(_c.entity == sa.bindparam("e"), _c.entity_id == sa.bindparam("i"))
    .order_by(_c.id)
)
_INSERT_CHANGES = sa.insert(change_log_t)
_ALL_MEMBERS = sa.select(member_t).order_by(member_t.c.handle)
_ALL_MACHINES = sa.select(machine_t).order_by(machine_t.c.name)
_ACTIVE_MACHINES = _ALL_MACHINES.where(machine_t.c.status == MachineStatus.ACTIVE)
_RENTAL_MACHINE = sa.select(rental_t.c.machine_id).where(rental_t.c.id == sa.bindparam("r"))
_RENTAL_OWNER = sa.select(rental_t.c.member_id).where(rental_t.c.id == sa.bindparam("r"))
_MAX_RENTAL_ID = sa.select(sa.func.max(rental_t.c.id))
_LOCK_MACHINE = (
    sa.select(machine_t.c.id).where(machine_t.c.id == sa.bindparam("m")).with_for_update()
)
#: The first key of PostgreSQL's two-key advisory locks on one member ("mbr"); the
#: two-key space is apart from the one-key locks (schema, members, login handles).
MEMBER_LOCK_CLASS = 0x6D6272
_MEMBER_KEYS = (sa.literal(MEMBER_LOCK_CLASS), sa.cast(sa.bindparam("m"), sa.Integer))
_LOCK_MEMBER = sa.select(sa.func.pg_advisory_xact_lock(*_MEMBER_KEYS))
_LOCK_MEMBER_SHARED = sa.select(sa.func.pg_advisory_xact_lock_shared(*_MEMBER_KEYS))

_changer = member_t.alias("changer")
_r = rental_t.c
# Columns in the order of the Rental value's fields: rows unpack straight into it.
RENTAL_SELECT = sa.select(
    _r.id,
    _r.uid,
    machine_t.c.name.label("machine_name"),
    machine_t.c.title.label("machine_title"),
    member_t.c.handle.label("member_handle"),
    member_t.c.name.label("member_name"),
    _r.start_date,
    _r.end_date,
    _r.status,
    _r.purpose,
    _r.price,
    _r.created_at,
    _r.updated_at,
    _r.sequence,
    _changer.c.handle.label("changer_handle"),
    _r.reason,
    _r.queued,
).select_from(
    rental_t.join(machine_t, machine_t.c.id == rental_t.c.machine_id)
    .join(member_t, member_t.c.id == rental_t.c.member_id)
    .outerjoin(_changer, _changer.c.id == rental_t.c.status_changed_by_id)
)
_RENTAL_BY_ID = RENTAL_SELECT.where(rental_t.c.id == sa.bindparam("r"))
MAINTENANCE_SELECT = sa.select(
    maintenance_t,
    machine_t.c.name.label("machine_name"),
    machine_t.c.title.label("machine_title"),
).select_from(maintenance_t.join(machine_t, machine_t.c.id == maintenance_t.c.machine_id))
_MAINTENANCE_BY_ID = MAINTENANCE_SELECT.where(maintenance_t.c.id == sa.bindparam("i"))
_h = history_t.c
_HISTORY = (
    sa.select(_h.from_status, _h.to_status, _h.reason, _h.changed_at, member_t.c.handle.label("by"))
    .select_from(history_t.outerjoin(member_t, member_t.c.id == _h.changed_by_id))
    .where(_h.rental_id == sa.bindparam("r"))
    .order_by(_h.id)
)
# -- housekeeping: what time has made stale (see rentcal.service.housekeeping) ----------
_today: Any = sa.bindparam("today", type_=sa.Date)
_cutoff: Any = sa.bindparam("cutoff", type_=rental_t.c.created_at.type)
_PENDING, _APPROVED = "pending", "approved"
#: Machines with a pending request whose first day has passed or an approved rental that
#: has ended; both seek ix_rental_status_end (status, end_date) / scan the few pending rows.
_STALE_MACHINES = sa.union(
    sa.select(_r.machine_id).where(_r.status == _APPROVED, _r.end_date < _today),
    sa.select(_r.machine_id).where(_r.status == _PENDING, _r.start_date < _today),
)
#: Machines whose pending requests expire after some hours: (id, hours).
_EXPIRING_MACHINES = sa.select(
    machine_t.c.id, machine_t.c.name, machine_t.c.request_expiry_hours
).where(machine_t.c.request_expiry_hours.is_not(None))
_m: Any = sa.bindparam("m", type_=sa.Integer)
#: Whether one machine has a pending request made at or before :cutoff.
_OVERDUE = (
    sa.select(_r.id)
    .where(_r.machine_id == _m, _r.status == _PENDING, _r.created_at <= _cutoff)
    .limit(1)
)
#: The stale rentals of one machine, in id order (the caller holds its lock).
_STALE_RENTALS = RENTAL_SELECT.where(
    _r.machine_id == _m,
    sa.or_(
        sa.and_(
            _r.status == _PENDING,
            sa.or_(_r.start_date < _today, _r.created_at <= _cutoff),
        ),
        sa.and_(_r.status == _APPROVED, _r.end_date < _today),
    ),
).order_by(_r.id)

#: Queued requests of one machine overlapping [:s, :e] (approving one rejects these).
_QUEUED_OVERLAPPING = RENTAL_SELECT.where(
    _r.machine_id == _m,
    _r.status == _PENDING,
    _r.queued.is_(True),
    overlap_clause(
        _r.start_date,
        _r.end_date,
        sa.bindparam("s", type_=sa.Date),
        sa.bindparam("e", type_=sa.Date),
    ),
).order_by(_r.id)

_n = notification_t.c
_NOTIFICATIONS = sa.select(notification_t).where(_n.member_id == sa.bindparam("m")).order_by(_n.id)
_UNREAD_NOTIFICATIONS = _NOTIFICATIONS.where(_n.read_at.is_(None))
_MARK_ALL_READ = (
    sa.update(notification_t)
    .where(_n.member_id == sa.bindparam("m"), _n.read_at.is_(None))
    .values(read_at=sa.bindparam("now", type_=notification_t.c.read_at.type))
)
_INSERT_NOTIFICATIONS = sa.insert(notification_t)
_INSERT_HISTORY = sa.insert(history_t)
_INSERT_RENTALS = sa.insert(rental_t)
_INSERT_MAINTENANCE = sa.insert(maintenance_t)


# -- row -> value mappers ------------------------------------------------------------


def machine(row: Row[Any]) -> Machine:
    """A Machine value from a machine row."""
    return Machine(
        row.id,
        row.name,
        row.title,
        row.daily_price,
        row.description,
        MachineStatus(row.status),
        bool(row.auto_approve),
        row.created_at,
        RequestPolicy(row.request_policy),
        row.request_expiry_hours,
    )


def member(row: Row[Any]) -> Member:
    """A Member value from a member row."""
    return Member(
        row.id,
        row.handle,
        row.name,
        row.email,
        bool(row.verified),
        Role(row.role),
        row.deactivated_at is None,
    )


def rental(row: Any) -> Rental:
    """A Rental value from a :data:`RENTAL_SELECT` row.

    Positional: feeds turn 100,000 rows into values, and attribute lookups
    on Row objects were the largest cost (see docs/performance.md).
    """
    return Rental(*row)


def maintenance(row: Row[Any]) -> Maintenance:
    """A Maintenance value from a :data:`MAINTENANCE_SELECT` row."""
    return Maintenance(
        id=row.id,
        uid=row.uid,
        machine=row.machine_name,
        machine_title=row.machine_title,
        start=row.start_date,
        end=row.end_date,
        kind=MaintenanceKind(row.kind),
        status=MaintenanceStatus(row.status),
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sequence=row.sequence,
    )


# -- reads ---------------------------------------------------------------------------


def machine_row(conn: Connection, name: str) -> Row[Any] | None:
    """The machine row named ``name`` (already cleaned), or None."""
    return conn.execute(MACHINE_BY_NAME, {"n": name}).first()


def machine_by_id(conn: Connection, machine_id: int) -> Row[Any] | None:
    """The machine row with ``machine_id``, or None."""
    return conn.execute(_MACHINE_BY_ID, {"i": machine_id}).first()


def member_row(conn: Connection, handle: str) -> Row[Any] | None:
    """The member row with ``handle`` (already cleaned), or None."""
    return conn.execute(_MEMBER_BY_HANDLE, {"h": handle}).first()


def member_count(conn: Connection) -> int:
    """How many members exist (0: a new database)."""
    return int(conn.execute(_MEMBER_COUNT).scalar_one())


def admin_ids(conn: Connection) -> list[int]:
    """Ids of every active admin, oldest first (who hears of new requests)."""
    return list(conn.execute(_ADMIN_IDS).scalars())


def all_members(conn: Connection) -> list[Member]:
    """Every member, by handle."""
    return [member(r) for r in conn.execute(_ALL_MEMBERS)]


def all_machines(conn: Connection, include_retired: bool) -> list[Machine]:
    """Every machine by name, or only the active ones."""
    query = _ALL_MACHINES if include_retired else _ACTIVE_MACHINES
    return [machine(r) for r in conn.execute(query)]


def machines_by_name(conn: Connection) -> dict[str, Row[Any]]:
    """Every machine row keyed by name (imports look many up)."""
    return {r.name: r for r in conn.execute(_ALL_MACHINES)}


def members_by_handle(conn: Connection) -> dict[str, Row[Any]]:
    """Every member row keyed by handle (imports look many up)."""
    return {r.handle: r for r in conn.execute(_ALL_MEMBERS)}


def rental_machine_id(conn: Connection, rental_id: int) -> int | None:
    """The machine of a rental, or None when there is no such rental."""
    value = conn.execute(_RENTAL_MACHINE, {"r": rental_id}).scalar_one_or_none()
    return None if value is None else int(value)


def open_rental_machine_ids(conn: Connection, member_id: int) -> list[int]:
    """The machines holding a member's pending or approved rentals, by id."""
    c = rental_t.c
    query = (
        sa.select(c.machine_id)
        .where(
            c.member_id == member_id,
            c.status.in_([RentalStatus.PENDING, RentalStatus.APPROVED]),
        )
        .distinct()
        .order_by(c.machine_id)
    )
    return [int(v) for v in conn.execute(query).scalars()]


def rental_owner_id(conn: Connection, rental_id: int) -> int:
    """The member id a rental belongs to."""
    return int(conn.execute(_RENTAL_OWNER, {"r": rental_id}).scalar_one())


def rental_by_id(conn: Connection, rental_id: int) -> Rental | None:
    """One rental value, or None."""
    row = conn.execute(_RENTAL_BY_ID, {"r": rental_id}).first()
    return None if row is None else rental(row)


def maintenance_by_id(conn: Connection, maintenance_id: int) -> Maintenance | None:
    """One maintenance value, or None."""
    row = conn.execute(_MAINTENANCE_BY_ID, {"i": maintenance_id}).first()
    return None if row is None else maintenance(row)


def conflicts(conn: Connection, machine_id: int, start: date, end: date) -> list[Conflict]:
    """Blocking rentals and scheduled maintenance of one machine overlapping [start, end]."""
    rows = conn.execute(CONFLICTS_STATEMENT, {"m": machine_id, "s": start, "e": end})
    return [
        Conflict(ConflictKind(kind), rid, first, last, str(status))
        for kind, rid, first, last, status in rows
    ]


def stale_machine_ids(conn: Connection, today: date) -> set[int]:
    """Machines with a pending request past its first day or an approved rental ended."""
    return {int(m) for m in conn.execute(_STALE_MACHINES, {"today": today}).scalars()}


def expiring_machines(conn: Connection) -> list[tuple[int, str, int]]:
    """(id, name, hours) of every machine whose pending requests expire after some hours."""
    return [(int(i), str(n), int(h)) for i, n, h in conn.execute(_EXPIRING_MACHINES)]


def has_overdue(conn: Connection, machine_id: int, cutoff: Any) -> bool:
    """Whether a pending request of the machine was made at or before ``cutoff``."""
    return conn.execute(_OVERDUE, {"m": machine_id, "cutoff": cutoff}).first() is not None


def stale_rentals(
    conn: Connection, machine_id: int, today: date, cutoff: Any | None
) -> list[Rental]:
    """Pending requests past their first day or made by ``cutoff``, and ended approved
    rentals, of one machine (``cutoff`` None: no expiry by age)."""
    params = {"m": machine_id, "today": today, "cutoff": cutoff}
    return [rental(r) for r in conn.execute(_STALE_RENTALS, params)]


def queued_overlapping(conn: Connection, machine_id: int, start: date, end: date) -> list[Rental]:
    """Queued (pending) requests of one machine overlapping [start, end], by id."""
    params = {"m": machine_id, "s": start, "e": end}
    return [rental(r) for r in conn.execute(_QUEUED_OVERLAPPING, params)]


def queue_pending(conn: Connection, machine_id: int) -> int:
    """Put a machine's pending requests in its queue (they stop holding their days)."""
    c = rental_t.c
    done = conn.execute(
        sa.update(rental_t)
        .where(
            c.machine_id == machine_id,
            c.status == RentalStatus.PENDING,
            c.queued == sa.false(),
        )
        .values(queued=True)
    )
    return done.rowcount


def _narrowed(
    query: Any, table: sa.Table, statuses: Sequence[Enum], start: date | None, end: date | None
) -> Any:
    """``query`` limited to ``statuses`` and to rows touching [start, end], by start then id."""
    c = table.c
    if statuses:
        query = query.where(c.status.in_([s.value for s in statuses]))
    if start is not None or end is not None:
        query = query.where(
            overlap_clause(c.start_date, c.end_date, start or date.min, end or date.max)
        )
    return query.order_by(c.start_date, c.id)


def find_rentals(
    conn: Connection,
    *,
    machine_id: int | None,
    member_id: int | None,
    statuses: Sequence[Enum],
    start: date | None,
    end: date | None,
) -> list[Rental]:
    """Rentals matching every filter given, by start day then id."""
    query = RENTAL_SELECT
    if machine_id is not None:
        query = query.where(rental_t.c.machine_id == machine_id)
    if member_id is not None:
        query = query.where(rental_t.c.member_id == member_id)
    query = _narrowed(query, rental_t, statuses, start, end)
    return [rental(r) for r in conn.execute(query)]


def find_maintenance(
    conn: Connection,
    *,
    machine_id: int | None,
    statuses: Sequence[Enum],
    start: date | None,
    end: date | None,
) -> list[Maintenance]:
    """Maintenance blocks matching every filter given, by start day then id."""
    query = MAINTENANCE_SELECT
    if machine_id is not None:
        query = query.where(maintenance_t.c.machine_id == machine_id)
    query = _narrowed(query, maintenance_t, statuses, start, end)
    return [maintenance(r) for r in conn.execute(query)]


def history(conn: Connection, rental_id: int) -> list[dict[str, Any]]:
    """Every status change of a rental, oldest first."""
    return [
        {
            "from": r.from_status.value if r.from_status else None,
            "to": r.to_status.value,
            "by": r.by,
            "reason": r.reason,
            "at": r.changed_at,
        }
        for r in conn.execute(_HISTORY, {"r": rental_id})
    ]


def notifications(
    conn: Connection, member_id: int, handle: str, unread_only: bool
) -> list[Notification]:
    """A member's notifications, oldest first."""
    query = _UNREAD_NOTIFICATIONS if unread_only else _NOTIFICATIONS
    return [
        Notification(r.id, handle, r.rental_id, r.message, r.created_at, r.read_at)
        for r in conn.execute(query, {"m": member_id})
    ]


# -- writes --------------------------------------------------------------------------


def lock_machine(conn: Connection, machine_id: int) -> None:
    """``SELECT ... FOR UPDATE`` on the machine row (PostgreSQL; SQLite drops it)."""
    conn.execute(_LOCK_MACHINE, {"m": machine_id})


def lock_member(conn: Connection, member_id: int, *, shared: bool) -> None:
    """A PostgreSQL advisory lock on one member until commit, ``shared`` or exclusive."""
    conn.execute(_LOCK_MEMBER_SHARED if shared else _LOCK_MEMBER, {"m": member_id})


def insert(conn: Connection, table: sa.Table, **values: Any) -> int:
    """Insert one row and return its new primary key."""
    key = conn.execute(sa.insert(table).values(**values)).inserted_primary_key
    if key is None:  # pragma: no cover - single-row inserts always report their key
        raise RuntimeError(f"no primary key returned by an insert into {table.name}")
    return int(key[0])


def insert_member(conn: Connection, **values: Any) -> int:
    """A new member row; returns its id."""
    return insert(conn, member_t, **values)


def insert_machine(conn: Connection, **values: Any) -> int:
    """A new machine row; returns its id."""
    return insert(conn, machine_t, **values)


def insert_rental(conn: Connection, **values: Any) -> int:
    """A new rental row; returns its id."""
    return insert(conn, rental_t, **values)


def insert_maintenance(conn: Connection, **values: Any) -> int:
    """A new maintenance row; returns its id."""
    return insert(conn, maintenance_t, **values)


def insert_rentals(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Many rental rows in one executemany."""
    conn.execute(_INSERT_RENTALS, rows)


def insert_maintenance_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Many maintenance rows in one executemany."""
    conn.execute(_INSERT_MAINTENANCE, rows)


def add_history(conn: Connection, **values: Any) -> None:
    """One status change of a rental."""
    conn.execute(_INSERT_HISTORY.values(**values))


def max_rental_id(conn: Connection) -> int:
    """The largest rental id so far (0 for none)."""
    return int(conn.execute(_MAX_RENTAL_ID).scalar() or 0)


def add_import_history(conn: Connection, after_id: int, actor_id: int, now: Any) -> None:
    """One 'imported' history row for every rental with an id above ``after_id``."""
    r = rental_t.c
    conn.execute(
        sa.insert(history_t).from_select(
            ["rental_id", "to_status", "changed_by_id", "reason", "changed_at"],
            sa.select(
                r.id,
                r.status,
                sa.literal(actor_id),
                sa.literal("imported"),
                sa.literal(now, type_=history_t.c.changed_at.type),
            ).where(r.id > after_id),
        )
    )


def update_member(conn: Connection, member_id: int, **values: Any) -> None:
    """Change columns of one member."""
    conn.execute(sa.update(member_t).where(member_t.c.id == member_id).values(**values))


def update_machine(conn: Connection, machine_id: int, **values: Any) -> None:
    """Change columns of one machine."""
    conn.execute(sa.update(machine_t).where(machine_t.c.id == machine_id).values(**values))


def update_rental(conn: Connection, rental_id: int, **values: Any) -> None:
    """Change columns of one rental; ``bump=True`` raises its SEQUENCE by one."""
    if values.pop("bump", False):
        values["sequence"] = rental_t.c.sequence + 1
    conn.execute(sa.update(rental_t).where(rental_t.c.id == rental_id).values(**values))


def update_maintenance(conn: Connection, maintenance_id: int, **values: Any) -> None:
    """Change columns of one maintenance block; ``bump=True`` raises its SEQUENCE."""
    if values.pop("bump", False):
        values["sequence"] = maintenance_t.c.sequence + 1
    conn.execute(
        sa.update(maintenance_t).where(maintenance_t.c.id == maintenance_id).values(**values)
    )


def add_changes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Change-log rows (none is fine): entity, entity_id, field, old/new_value, by, at."""
    if rows:
        conn.execute(_INSERT_CHANGES, rows)


def changes(conn: Connection, entity: str, entity_id: int) -> list[Change]:
    """The recorded changes of one machine / member / maintenance block, oldest first."""
    return [Change(*r) for r in conn.execute(_CHANGES, {"e": entity, "i": entity_id})]


def add_notifications(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Many notification rows at once (none is fine)."""
    batch = list(rows)
    if batch:
        conn.execute(_INSERT_NOTIFICATIONS, batch)


def mark_read(conn: Connection, ids: Sequence[int], now: Any) -> None:
    """Mark the given notifications read, in bounded IN lists."""
    for i in range(0, len(ids), 10_000):
        conn.execute(
            sa.update(notification_t).where(_n.id.in_(ids[i : i + 10_000])).values(read_at=now)
        )


def mark_all_read(conn: Connection, member_id: int, now: Any) -> int:
    """Mark every unread notification of a member read; how many."""
    return int(conn.execute(_MARK_ALL_READ, {"m": member_id, "now": now}).rowcount)


# -- organisation settings (append-only: the newest row of a key is its value) ----------

_os = org_setting_t.c
_SETTING_HISTORY: Any = (
    sa.select(_os.key, _os.value, _os.changed_at, member_t.c.handle.label("changed_by"))
    .select_from(org_setting_t.outerjoin(member_t, member_t.c.id == _os.changed_by_id))
    .where(_os.key == sa.bindparam("k", type_=sa.String))
    .order_by(_os.id.desc())
)
_SETTING_LATEST: Any = _SETTING_HISTORY.limit(1)


def org_setting(conn: Connection, key: str) -> Row[Any] | None:
    """The current row (key, value, changed_at, changed_by handle) of a setting, or None."""
    return conn.execute(_SETTING_LATEST, {"k": key}).first()


def org_setting_history(conn: Connection, key: str) -> list[Row[Any]]:
    """Every value a setting had, newest first (same columns as :func:`org_setting`)."""
    return list(conn.execute(_SETTING_HISTORY, {"k": key}))


def add_org_setting(conn: Connection, key: str, value: str, member_id: int | None, at: Any) -> None:
    """A new value for a setting (older values stay as its history)."""
    insert(conn, org_setting_t, key=key, value=value, changed_by_id=member_id, changed_at=at)


__all__ = [
    "CONFLICTS_STATEMENT",
    "MACHINE_BY_NAME",
    "MAINTENANCE_SELECT",
    "RENTAL_SELECT",
    "overlap_clause",
]
