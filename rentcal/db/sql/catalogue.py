"""Statements for members and machines: lookups as typed records, inserts, edits, locks.

The machine and member rows the service decides on come back as
:class:`rentcal.db.rows.MachineRecord` / :class:`rentcal.db.rows.MemberRecord`
(statements select the records' fields, in order); inserts take one typed
keyword per column, so a misspelt or mistyped column is a mypy error.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from rentcal.core.types import MachineStatus, RequestPolicy, Role
from rentcal.core.values import Machine, Member
from rentcal.db.rows import ExpiringMachine, MachineRecord, MemberRecord
from rentcal.db.sql.common import insert_one
from rentcal.db.sql.revisions import bump_credentials
from rentcal.db.tables import machine_t, member_t

_MACHINE = sa.select(*(machine_t.c[f] for f in MachineRecord._fields))
_MEMBER = sa.select(*(member_t.c[f] for f in MemberRecord._fields))
#: The machine row a check needs, looked up by its unique name.
MACHINE_BY_NAME = _MACHINE.where(machine_t.c.name == sa.bindparam("n"))
_MACHINE_BY_ID = _MACHINE.where(machine_t.c.id == sa.bindparam("i"))
_MEMBER_BY_HANDLE = _MEMBER.where(member_t.c.handle == sa.bindparam("h"))
_MEMBER_COUNT = sa.select(sa.func.count()).select_from(member_t)
_ADMIN_IDS = (
    sa.select(member_t.c.id)
    .where(member_t.c.role == Role.ADMIN, member_t.c.deactivated_at.is_(None))
    .order_by(member_t.c.id)
)
_ALL_MEMBERS = _MEMBER.order_by(member_t.c.handle)
_ALL_MACHINES = _MACHINE.order_by(machine_t.c.name)
_ACTIVE_MACHINES = _ALL_MACHINES.where(machine_t.c.status == MachineStatus.ACTIVE)
#: Machines whose pending requests expire after some hours: (id, name, hours).
_EXPIRING_MACHINES = sa.select(
    machine_t.c.id, machine_t.c.name, machine_t.c.request_expiry_hours
).where(machine_t.c.request_expiry_hours.is_not(None))
_LOCK_MACHINE = (
    sa.select(machine_t.c.id).where(machine_t.c.id == sa.bindparam("m")).with_for_update()
)
#: The first key of PostgreSQL's two-key advisory locks on one member ("mbr"); the
#: two-key space is apart from the one-key locks (schema, members, login handles).
MEMBER_LOCK_CLASS = 0x6D6272


def _member_lock(shared: bool) -> sa.Select[tuple[object]]:
    """The advisory lock on the member with handle :h (none taken for no such member)."""
    lock = sa.func.pg_advisory_xact_lock_shared if shared else sa.func.pg_advisory_xact_lock
    keys = (sa.literal(MEMBER_LOCK_CLASS), sa.cast(member_t.c.id, sa.Integer))
    return sa.select(lock(*keys)).where(member_t.c.handle == sa.bindparam("h"))


_LOCK_MEMBER = _member_lock(shared=False)
_LOCK_MEMBER_SHARED = _member_lock(shared=True)


# -- row -> value mappers ------------------------------------------------------------


def machine(row: MachineRecord) -> Machine:
    """A Machine value from a machine record."""
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
        row.meter_unit,
        row.unit_price,
        row.minimum_charge,
    )


def member(row: MemberRecord) -> Member:
    """A Member value from a member record."""
    return Member(
        row.id,
        row.handle,
        row.name,
        row.email,
        bool(row.verified),
        Role(row.role),
        row.deactivated_at is None,
    )


# -- reads ---------------------------------------------------------------------------


def machine_row(conn: Connection, name: str) -> MachineRecord | None:
    """The machine named ``name`` (already cleaned), or None."""
    row = conn.execute(MACHINE_BY_NAME, {"n": name}).first()
    return None if row is None else MachineRecord._make(row)


def machine_by_id(conn: Connection, machine_id: int) -> MachineRecord | None:
    """The machine with ``machine_id``, or None."""
    row = conn.execute(_MACHINE_BY_ID, {"i": machine_id}).first()
    return None if row is None else MachineRecord._make(row)


def member_row(conn: Connection, handle: str) -> MemberRecord | None:
    """The member with ``handle`` (already cleaned), or None."""
    row = conn.execute(_MEMBER_BY_HANDLE, {"h": handle}).first()
    return None if row is None else MemberRecord._make(row)


def member_count(conn: Connection) -> int:
    """How many members exist (0: a new database)."""
    return int(conn.execute(_MEMBER_COUNT).scalar_one())


def admin_ids(conn: Connection) -> list[int]:
    """Ids of every active admin, oldest first (who hears of new requests)."""
    return list(conn.execute(_ADMIN_IDS).scalars())


def all_members(conn: Connection) -> list[Member]:
    """Every member, by handle."""
    return [member(MemberRecord._make(r)) for r in conn.execute(_ALL_MEMBERS)]


def all_machines(conn: Connection, include_retired: bool) -> list[Machine]:
    """Every machine by name, or only the active ones."""
    query = _ALL_MACHINES if include_retired else _ACTIVE_MACHINES
    return [machine(MachineRecord._make(r)) for r in conn.execute(query)]


def machines_by_name(conn: Connection) -> dict[str, MachineRecord]:
    """Every machine keyed by name (imports look many up)."""
    return {r.name: r for r in map(MachineRecord._make, conn.execute(_ALL_MACHINES))}


def members_by_handle(conn: Connection) -> dict[str, MemberRecord]:
    """Every member keyed by handle (imports look many up)."""
    return {r.handle: r for r in map(MemberRecord._make, conn.execute(_ALL_MEMBERS))}


def expiring_machines(conn: Connection) -> list[ExpiringMachine]:
    """Every machine whose pending requests expire after some hours."""
    return [ExpiringMachine(int(i), str(n), int(h)) for i, n, h in conn.execute(_EXPIRING_MACHINES)]


# -- locks ---------------------------------------------------------------------------


def lock_machine(conn: Connection, machine_id: int) -> None:
    """``SELECT ... FOR UPDATE`` on the machine row (PostgreSQL; SQLite drops it)."""
    conn.execute(_LOCK_MACHINE, {"m": machine_id})


def lock_member(conn: Connection, handle: str, *, shared: bool) -> None:
    """A PostgreSQL advisory lock on the member ``handle`` until commit, ``shared`` or
    exclusive (nothing is locked when there is no such member)."""
    conn.execute(_LOCK_MEMBER_SHARED if shared else _LOCK_MEMBER, {"h": handle})


# -- writes --------------------------------------------------------------------------


def insert_member(
    conn: Connection,
    *,
    handle: str,
    name: str,
    email: str | None,
    verified: bool,
    role: Role,
    created_at: datetime,
) -> int:
    """A new member row; returns its id."""
    values: dict[str, object] = {
        "handle": handle,
        "name": name,
        "email": email,
        "verified": verified,
        "role": role,
        "created_at": created_at,
    }
    return insert_one(conn, member_t, values)


def insert_machine(
    conn: Connection,
    *,
    name: str,
    title: str,
    daily_price: Decimal,
    description: str | None,
    status: MachineStatus,
    auto_approve: bool,
    created_at: datetime,
    request_policy: RequestPolicy,
    request_expiry_hours: int | None,
    unit_price: Decimal | None = None,
    minimum_charge: Decimal | None = None,
) -> int:
    """A new machine row; returns its id."""
    values: dict[str, object] = {
        "name": name,
        "title": title,
        "daily_price": daily_price,
        "description": description,
        "status": status,
        "auto_approve": auto_approve,
        "created_at": created_at,
        "request_policy": request_policy,
        "request_expiry_hours": request_expiry_hours,
        "unit_price": unit_price,
        "minimum_charge": minimum_charge,
    }
    return insert_one(conn, machine_t, values)


def update_member(conn: Connection, member_id: int, **values: object) -> None:
    """Change columns of one member (an edit names the fields it changes).

    Raises the credentials' revision: any change (deactivation, demotion,
    verification, a new name) may change what the member's secrets allow.
    """
    conn.execute(sa.update(member_t).where(member_t.c.id == member_id).values(values))
    bump_credentials(conn)


def update_machine(conn: Connection, machine_id: int, **values: object) -> None:
    """Change columns of one machine (an edit names the fields it changes)."""
    conn.execute(sa.update(machine_t).where(machine_t.c.id == machine_id).values(values))


__all__ = [
    "MACHINE_BY_NAME",
    "MEMBER_LOCK_CLASS",
    "admin_ids",
    "all_machines",
    "all_members",
    "expiring_machines",
    "insert_machine",
    "insert_member",
    "lock_machine",
    "lock_member",
    "machine",
    "machine_by_id",
    "machine_row",
    "machines_by_name",
    "member",
    "member_count",
    "member_row",
    "members_by_handle",
    "update_machine",
    "update_member",
]
