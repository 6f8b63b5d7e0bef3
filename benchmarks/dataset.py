"""The benchmarks' data: the design reference's ``seed_data`` shape, built here or read from it.

``seed_data`` (../shared/design-reference/machines/management/commands/seed_data.py)
gives every machine a back-to-back history that ends yesterday, four approved or
pending rentals from today on, one scheduled maintenance after them and a completed
maintenance every 50 past rentals. :func:`generate` builds the same shape (same
rules, same proportions) so a run without the reference measures what a run with
it does; :func:`read_reference` reads what ``seed_data`` stored (SQLite or
PostgreSQL); :func:`load` imports either into a fresh rentcal database through the
library's bulk use cases, as an organisation moving over would.

Differences from the reference, on purpose: rentcal keeps scheduled maintenance
only (the completed blocks are history no check or month view reads), and every
member is imported verified, because rentcal refuses a blocking rental of an
unverified member while ``seed_data`` hands future rentals to anyone; only
booking reads the flag, and the benchmarks do not book.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import rentcal
from rentcal.core.types import MaintenanceKind, RentalStatus
from rentcal.imports import BlockRow, ImportRow

FUTURE_PER_MACHINE = 4
PURPOSES = ["Garden work", "Construction site", "Renovation", "Field work", "Event setup",
            "Harvest", "Landscaping", "Moving", ""]  # fmt: skip
#: The reference's maintenance types and rentcal's kinds.
KINDS = {
    "routine": MaintenanceKind.PREVENTIVE,
    "repair": MaintenanceKind.REPAIR,
    "inspection": MaintenanceKind.INSPECTION,
}
#: Who the benchmarks act as: the reference's load.sh uses member000001 too.
MEMBER = "member000001"
ONE = timedelta(days=1)

#: A rental: machine handle, member handle, first day, last day, status, purpose.
Rental = tuple[str, str, date, date, str, str]
#: A scheduled maintenance block: machine handle, first day, last day, reference type.
Block = tuple[str, date, date, str]


def handle(title: str) -> str:
    """rentcal's handle for a reference machine name: ``Machine 001`` -> ``machine-001``."""
    return title.strip().lower().replace(" ", "-")


@dataclass
class Dataset:
    """Members, machines, rentals and scheduled maintenance, as ``seed_data`` makes them.

    ``machines`` lists (reference id, handle, title, daily price) in id order, so
    wrk's scripts can pick the same machine on both servers.
    """

    today: date
    members: list[str] = field(default_factory=list)
    machines: list[tuple[int, str, str, Decimal]] = field(default_factory=list)
    rentals: list[Rental] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def generate(
    rentals: int,
    today: date,
    machines: int = 100,
    seed: int = 42,
    name: Callable[[int], str] = lambda i: f"Machine {i:03d}",
) -> Dataset:
    """``seed_data --rentals N --machines M``'s data, built in memory (same rules)."""
    rng = random.Random(seed)
    data = Dataset(
        today, members=[f"member{i:06d}" for i in range(1, max(100, rentals // 100) + 1)]
    )
    for i in range(1, machines + 1):
        title = name(i)
        data.machines.append((i, handle(title), title, Decimal(rng.randrange(2000, 40000)) / 100))
    for k, (_, machine, _, _) in enumerate(data.machines):
        count = rentals // machines + (1 if k < rentals % machines else 0)
        _machine_history(data, rng, machine, count)
    return data


def _machine_history(data: Dataset, rng: random.Random, machine: str, count: int) -> None:
    """One machine's rentals: a few ahead of today, then back to back into the past."""
    future = min(FUTURE_PER_MACHINE, count)
    cursor = data.today + timedelta(days=rng.randint(0, 2))
    for k in range(future):
        end = cursor + timedelta(days=rng.randint(1, 5) - 1)
        status = "approved" if k < future // 2 else "pending"
        data.rentals.append(
            (machine, rng.choice(data.members), cursor, end, status, rng.choice(PURPOSES))
        )
        cursor = end + timedelta(days=1 + rng.randint(0, 2))
    first = cursor + timedelta(days=rng.randint(0, 3))
    kind = rng.choice(list(KINDS))
    data.blocks.append((machine, first, first + timedelta(days=rng.randint(0, 1)), kind))
    cursor = data.today - ONE
    for k in range(count - future):
        end = cursor - timedelta(days=rng.randint(0, 2))
        start = end - timedelta(days=rng.randint(1, 5) - 1)
        r = rng.random()
        status = "cancelled" if r < 0.04 else "rejected" if r < 0.06 else "completed"
        data.rentals.append(
            (machine, rng.choice(data.members), start, end, status, rng.choice(PURPOSES))
        )
        cursor = start - ONE
        if k % 50 == 49:  # a completed maintenance day: history rentcal does not import
            cursor -= ONE


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


RENTALS_SQL = (
    "SELECT m.name, u.username, r.start_date, r.end_date, r.status, r.purpose "
    "FROM machines_rental r JOIN machines_machine m ON m.id = r.machine_id "
    "JOIN machines_member u ON u.id = r.user_id ORDER BY r.id"
)
BLOCKS_SQL = (
    "SELECT m.name, b.start_date, b.end_date, b.maintenance_type FROM machines_maintenance b "
    "JOIN machines_machine m ON m.id = b.machine_id WHERE b.status = 'scheduled' ORDER BY b.id"
)


def read_reference(cursor: Any, today: date) -> Dataset:
    """What ``seed_data`` stored, through a DB-API cursor (sqlite3 or psycopg)."""
    data = Dataset(today)
    cursor.execute("SELECT username FROM machines_member ORDER BY id")
    data.members = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT id, name, daily_price FROM machines_machine ORDER BY id")
    data.machines = [
        (int(i), handle(n), n, Decimal(str(p)).quantize(Decimal("0.01")))
        for i, n, p in cursor.fetchall()
    ]
    cursor.execute(RENTALS_SQL)
    data.rentals = [
        (handle(m), u, _day(s), _day(e), st, p or "") for m, u, s, e, st, p in cursor.fetchall()
    ]
    cursor.execute(BLOCKS_SQL)
    data.blocks = [(handle(m), _day(s), _day(e), t) for m, s, e, t in cursor.fetchall()]
    return data


def read_reference_sqlite(path: str, today: date) -> Dataset:
    """The reference's SQLite database, read with the standard library."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return read_reference(conn.cursor(), today)


def read_reference_postgres(conninfo: str, today: date) -> Dataset:
    """The reference's PostgreSQL database (psycopg)."""
    import psycopg

    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        return read_reference(cur, today)


@dataclass
class Loaded:
    """What :func:`load` made: counts, seconds, and the credentials the runs use."""

    rentals: int
    members: int
    machines: int
    blocks: int
    seconds: float  # all of it
    import_seconds: float  # the rentals' bulk import alone
    token: str = ""
    feed_path: str = ""


def _rows(data: Dataset) -> Iterator[ImportRow]:
    for line, (machine, member, start, end, status, purpose) in enumerate(data.rentals, start=2):
        yield ImportRow(line, machine, member, start, end, RentalStatus(status), purpose or None)


def load(data: Dataset, url: str, *, credentials: bool = True) -> Loaded:
    """Import ``data`` into the empty rentcal database at ``url`` (admin: ``admin``).

    With ``credentials``, an API token of :data:`MEMBER` and a secret feed URL of
    the first machine are created for the web benchmark.
    """
    started = time.perf_counter()
    # A million rows are one transaction: on PostgreSQL it takes longer than the
    # default 10 s an operation may last (``busy_timeout`` bounds the statements too).
    cal = rentcal.connect(url, busy_timeout=3600)
    try:
        cal.add_member("admin", admin=True)
        for member in data.members:
            cal.add_member(member, verified=True, acting="admin")
        for _, machine, title, price in data.machines:
            cal.add_machine(machine, daily_price=price, title=title, acting="admin")
        rows = list(_rows(data))
        importing = time.perf_counter()
        result = cal.import_rentals(rows, acting="admin", today=data.today)
        import_seconds = time.perf_counter() - importing
        by_machine: dict[tuple[str, str], list[BlockRow]] = {}
        for line, (machine, start, end, kind) in enumerate(data.blocks, start=1):
            by_machine.setdefault((machine, kind), []).append(BlockRow(line, start, end, None))
        for (machine, kind), blocks in by_machine.items():
            cal.import_maintenance(
                machine, blocks, kind=KINDS.get(kind, MaintenanceKind.PREVENTIVE), acting="admin"
            )
        loaded = Loaded(
            result.imported,
            len(data.members),
            len(data.machines),
            len(data.blocks),
            time.perf_counter() - started,
            import_seconds,
        )
        if credentials and data.machines:
            _, loaded.token = cal.create_token("admin", member=MEMBER, name="web benchmark")
            feed, secret = cal.create_feed("admin", machine=data.machines[0][1])
            loaded.feed_path = feed.path(secret)
    finally:
        cal.close()
    return loaded


__all__ = ["Dataset", "Loaded", "generate", "handle", "load", "read_reference"]
