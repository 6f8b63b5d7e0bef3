"""Concurrent writers on one machine: outcomes and waits, SQLite and PostgreSQL.

    python -m benchmarks.load                          # SQLite, 4..256 writers
    python -m benchmarks.load --postgres URL           # and PostgreSQL
    python -m benchmarks.load --writers 64 --bookings 8

Every writer is a process with its own ``rentcal.connect()`` (as many CLI
invocations or hosts are), released together. Each makes ``--bookings``
bookings of the same machine: even-numbered ones ask for a day every writer
asks for (one wins, the rest are "unavailable"), odd-numbered ones for a day
of its own (all should be booked). A "wait" is the time one ``book`` call
took, lock wait included. PostgreSQL writers beyond ``--pg-processes``
become threads sharing a pool per process (``connect(pool_size=...)``), so
the server's connection limit is never reached; see docs/postgres.md.

After each run the database is checked: no overlapping blocking rentals, one
rental stored per "booked". Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import rentcal

CTX = mp.get_context("fork")
#: Bounds on every wait, so a writer that dies cannot hang the benchmark (or CI's smoke run).
START_TIMEOUT = 120.0
RESULTS_TIMEOUT = 600.0
TODAY = date(2030, 1, 1)
OVERLAP_SQL = """
    SELECT count(*) FROM rental a JOIN rental b
      ON a.machine_id = b.machine_id AND a.id < b.id
     AND a.start_date <= b.end_date AND b.start_date <= a.end_date
    WHERE a.status IN ('pending', 'approved') AND b.status IN ('pending', 'approved')
"""


@dataclass
class LoadResult:
    """The outcomes of one run and the time each ``book`` call took."""

    backend: str
    writers: int
    connections: str
    outcomes: dict[str, int] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    overlaps: int = 0
    stored: int = 0
    errors: list[str] = field(default_factory=list)

    def row(self) -> list[object]:
        """One line of the benchmark's table."""
        waits = sorted(self.waits)
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else 0.0
        ok = self.overlaps == 0 and self.stored == self.outcomes.get("booked", 0)
        return [
            self.backend,
            self.writers,
            self.connections,
            self.outcomes.get("booked", 0),
            self.outcomes.get("unavailable", 0),
            self.outcomes.get("busy", 0),
            self.outcomes.get("error", 0),
            f"{statistics.median(waits) * 1000:.0f} ms" if waits else "-",
            f"{p99:.2f} s",
            f"{waits[-1]:.2f} s" if waits else "-",
            "ok" if ok else f"overlaps={self.overlaps} stored={self.stored}",
        ]


HEADERS = [
    "backend",
    "writers",
    "connections",
    "booked",
    "unavailable",
    "busy",
    "error",
    "median wait",
    "p99 wait",
    "worst wait",
    "check",
]


def _book(cal: rentcal.Rentcal, writer: int, k: int, member: str) -> tuple[str, float]:
    shared = k % 2 == 0
    day = TODAY + timedelta(days=10 + k if shared else 1000 + writer * 100 + k)
    started = time.monotonic()
    try:
        cal.book("m0", day, day, member=member, today=TODAY)
        outcome = "booked"
    except rentcal.Unavailable:
        outcome = "unavailable"
    except rentcal.Busy:
        outcome = "busy"
    except rentcal.RentcalError as err:
        outcome = f"error: {err}"
    return outcome, time.monotonic() - started


def _process(
    url: str,
    writers: list[int],
    bookings: int,
    busy_timeout: float,
    pool_size: int | None,
    barrier: Any,
    results: Any,
) -> None:
    """One process hosting ``writers`` (threads when more than one, sharing a pool)."""
    out: list[tuple[str, float]] = []
    try:
        kwargs: dict[str, Any] = {"busy_timeout": busy_timeout}
        if pool_size is not None:
            kwargs["pool_size"] = pool_size
        cal = rentcal.connect(url, **kwargs)
        cal.machine("m0")  # connected and warm before the start signal
    except rentcal.RentcalError as err:
        _start(barrier)
        results.put([(f"error: {err}", 0.0)] * (len(writers) * bookings))
        return

    def writer(w: int) -> None:
        for k in range(bookings):
            out.append(_book(cal, w, k, f"member{w % 10}"))

    if not _start(barrier):
        results.put([("error: the start signal never came", 0.0)] * (len(writers) * bookings))
        return
    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in writers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + RESULTS_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    missing = len(writers) * bookings - len(out)
    out.extend([("error: a writer did not finish in time", 0.0)] * max(0, missing))
    cal.close()
    results.put(out)


def _start(barrier: Any) -> bool:
    """Wait for the start signal; False when it broke (a writer died) or never came."""
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return False
    return True


def _setup(url: str) -> None:
    with rentcal.connect(url) as cal:
        cal.add_member("admin", admin=True)
        for i in range(10):
            cal.add_member(f"member{i}", verified=True, acting="admin")
        cal.add_machine("m0", daily_price="10", auto_approve=True, acting="admin")
        # The disjoint bookings spread over years (1000 + 100 per writer days ahead).
        cal.set_limits(horizon_days=36_500, acting="admin")


def _verify(url: str, result: LoadResult) -> None:
    import sqlalchemy as sa

    with rentcal.connect(url) as cal, cal.store.engine.connect() as conn:
        result.overlaps = int(conn.execute(sa.text(OVERLAP_SQL)).scalar_one())
        result.stored = int(conn.execute(sa.text("SELECT count(*) FROM rental")).scalar_one())


def run_load(
    url: str,
    writers: int,
    *,
    backend: str,
    bookings: int = 4,
    busy_timeout: float = 10.0,
    processes: int | None = None,
) -> LoadResult:
    """``writers`` writers on a fresh database at ``url``, over at most
    ``processes`` processes (threads sharing one pool per process beyond that)."""
    _setup(url)
    procs_n = min(writers, processes or writers)
    groups = [list(range(p, writers, procs_n)) for p in range(procs_n)]
    pool = None if procs_n == writers else min(4, max(len(g) for g in groups))
    connections = f"{procs_n} × 1" if pool is None else f"{procs_n} × pool {pool}"
    barrier = CTX.Barrier(procs_n + 1, timeout=START_TIMEOUT)
    results = CTX.Queue()
    procs = [
        CTX.Process(
            target=_process,
            args=(url, g, bookings, busy_timeout, pool, barrier, results),
            daemon=True,
        )
        for g in groups
    ]
    result = LoadResult(backend, writers, connections)
    try:
        for p in procs:
            p.start()
        _start(barrier)
        for _ in procs:
            for outcome, seconds in results.get(timeout=RESULTS_TIMEOUT):
                key = "error" if outcome.startswith("error") else outcome
                result.outcomes[key] = result.outcomes.get(key, 0) + 1
                result.waits.append(seconds)
                if key == "error" and len(result.errors) < 3:
                    result.errors.append(outcome)
        for p in procs:
            p.join(60)
    finally:
        for p in procs:  # a writer still there after its answer (or none) is stopped
            if p.is_alive():
                p.kill()
                p.join(10)
    _verify(url, result)
    return result


def fresh_postgres_url(base: str) -> tuple[str, Any]:
    """A URL whose connections see only a new, empty schema; and a function dropping it."""
    import sqlalchemy as sa

    from rentcal.db.store import resolve_url

    url = sa.make_url(resolve_url(base))
    schema = f"load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    fresh = url.update_query_dict({"options": f"-csearch_path={schema},public"})
    return fresh.render_as_string(hide_password=False), drop


def bench_load(
    counts: list[int],
    *,
    postgres: str | None,
    bookings: int,
    busy_timeout: float,
    pg_processes: int,
) -> list[LoadResult]:
    """One run per writer count on SQLite (a file) and, if given, PostgreSQL."""
    results = []
    for n in counts:
        with tempfile.TemporaryDirectory(prefix="rentcal-load-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'load.db'}"
            results.append(
                run_load(url, n, backend="SQLite", bookings=bookings, busy_timeout=busy_timeout)
            )
        if postgres:
            url, drop = fresh_postgres_url(postgres)
            try:
                results.append(
                    run_load(
                        url,
                        n,
                        backend="PostgreSQL",
                        bookings=bookings,
                        busy_timeout=busy_timeout,
                        processes=pg_processes,
                    )
                )
            finally:
                drop()
    return results


def main(argv: list[str] | None = None) -> int:
    from tabulate import tabulate

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, nargs="*", default=[4, 16, 64, 128, 256])
    parser.add_argument("--bookings", type=int, default=4, help="bookings per writer")
    parser.add_argument("--busy-timeout", type=float, default=10.0)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL")
    parser.add_argument(
        "--pg-processes",
        type=int,
        default=16,
        help="PostgreSQL: at most this many processes (connections = processes × pool)",
    )
    args = parser.parse_args(argv)
    results = bench_load(
        args.writers,
        postgres=args.postgres,
        bookings=args.bookings,
        busy_timeout=args.busy_timeout,
        pg_processes=args.pg_processes,
    )
    print(tabulate([r.row() for r in results], headers=HEADERS))
    for r in results:
        for line in r.errors:
            print(f"{r.backend} {r.writers}: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
