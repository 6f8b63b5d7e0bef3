"""rentcal's benchmark: medians and ratios measured side by side in one run.

    python benchmarks/run.py                 # full: 10,000 vs 1,000,000 rentals
    python benchmarks/run.py --rentals 50000 # a smaller "large" database (CI smoke test)

    python benchmarks/run.py --postgres postgresql+psycopg://root@127.0.0.1:5432/test

It builds its own SQLite databases through rentcal's bulk import, then
measures availability checks (ours beside the original design's query on the
same database), bulk import, batch checks, feeds, start-up of the CLI, and
concurrent writers (``benchmarks/load.py``: 4 to 256 writers booking one
machine on SQLite and, with ``--postgres``, PostgreSQL: outcomes and waits).
Nothing here is a pass/fail test; see docs/performance.md for the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import rentcal
from rentcal.imports import read_rentals_csv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, too
from benchmarks import dataset
from benchmarks.load import HEADERS as LOAD_HEADERS
from benchmarks.load import bench_load

MACHINES = 100
MACHINE = "machine-{:03d}"  # benchmarks/dataset.py's handles
TODAY = date(2030, 1, 1)
ORIGINAL_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_original ON rental (machine_id, start_date, end_date, status)"
)
ORIGINAL_QUERY = (
    "SELECT id, start_date, end_date, status FROM rental WHERE machine_id = ? "
    "AND start_date <= ? AND end_date >= ? AND status IN ('pending', 'approved')"
)


def build(path: Path, total: int) -> tuple[float, int]:
    """A database with ``total`` rentals; returns (seconds to import the rentals, rows).

    The data has the design reference's ``seed_data`` shape (benchmarks/dataset.py):
    history up to the day before TODAY, a few approved and pending rentals ahead,
    then a scheduled maintenance. The original design's index is added for its
    query only: this database is never served (benchmarks/web.py builds its own).
    """
    loaded = dataset.load(dataset.generate(total, TODAY), f"sqlite:///{path}", credentials=False)
    with sqlite3.connect(path) as conn:
        conn.execute(ORIGINAL_INDEX)  # the original design's index, for its query
    return loaded.import_seconds, loaded.rentals


def requests(n: int, seed: int = 2) -> list[tuple[str, date, date]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        start = TODAY - timedelta(days=rng.randrange(40)) + timedelta(days=45)
        machine = MACHINE.format(rng.randrange(MACHINES) + 1)
        out.append((machine, start, start + timedelta(days=rng.randrange(5))))
    return out


def per_call(
    fn: Callable[[str, date, date], object], reqs: list[tuple[str, date, date]]
) -> list[float]:
    times = []
    for machine, start, end in reqs:
        t = time.perf_counter()
        fn(machine, start, end)
        times.append(time.perf_counter() - t)
    return times


def check_timers(path: Path) -> dict[str, Callable[[str, date, date], object]]:
    """The contenders on one database: ours through the library, the original
    design's query in raw sqlite3, and the same through an ORM query rebuilt per call."""
    from sqlmodel import Session, col, select

    from rentcal.db.tables import MachineRow, RentalRow

    cal = rentcal.connect(f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    ids = {name: mid for mid, name in raw.execute("SELECT id, name FROM machine")}
    session = Session(cal.store.engine)

    def original_raw(machine: str, start: date, end: date) -> object:
        return raw.execute(
            ORIGINAL_QUERY, (ids[machine], end.isoformat(), start.isoformat())
        ).fetchall()

    def original_orm(machine: str, start: date, end: date) -> object:
        mid = session.exec(select(MachineRow.id).where(MachineRow.name == machine)).one()
        query = select(RentalRow).where(
            RentalRow.machine_id == mid,
            col(RentalRow.start_date) <= end,
            col(RentalRow.end_date) >= start,
            col(RentalRow.status).in_(["pending", "approved"]),
        )
        return session.exec(query).all()

    return {
        "rentcal cal.check": lambda m, s, e: cal.check(m, s, e, today=TODAY),
        "original query, raw sqlite3": original_raw,
        "original query, ORM rebuilt per call": original_orm,
    }


def median_us(times: list[float]) -> float:
    return statistics.median(times) * 1e6


def bench_checks(small: Path, large: Path, n: int, rounds: int) -> list[list[object]]:
    timers = {"small": check_timers(small), "large": check_timers(large)}
    reqs = requests(n)
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):  # interleave contenders so noise hits all alike
        for size in ("small", "large"):
            for name, fn in timers[size].items():
                samples.setdefault((name, size), []).extend(per_call(fn, reqs))
    rows = []
    for name in timers["small"]:
        s, big = median_us(samples[(name, "small")]), median_us(samples[(name, "large")])
        rows.append([name, f"{s:.0f} µs", f"{big:.0f} µs", f"{big / s:.2f}×"])
    ours = median_us(samples[("rentcal cal.check", "large")])
    for name in list(timers["large"])[1:]:
        theirs = median_us(samples[(name, "large")])
        rows.append([f"  {name} / ours (large)", "", "", f"{theirs / ours:.1f}×"])
    return rows


def bench_batch(large: Path, n: int) -> float:
    cal = rentcal.connect(f"sqlite:///{large}")
    reqs = requests(n, seed=3)
    t = time.perf_counter()
    answered = sum(1 for _ in cal.check_many(reqs, today=TODAY))
    return answered / (time.perf_counter() - t)


def bench_feeds(workdir: Path) -> list[list[object]]:
    """Feeds of 10,000 (.ics) and 100,000 (JSON) events, in a child process each
    so its peak memory (ru_maxrss) is the feed's own."""
    path = workdir / "feeds.db"
    cal = rentcal.connect(f"sqlite:///{path}")
    cal.add_member("admin", admin=True)
    cal.set_limits(horizon_days=36_500, acting="admin")  # 1,000 rentals two days apart
    lines = ["machine,member,start,end,status,purpose"]
    for m in range(MACHINES):
        cal.add_machine(f"m{m}", daily_price="10", title=f"Machine {m}", acting="admin")
        for k in range(1000):
            day = TODAY + timedelta(days=2 * k)
            lines.append(f'm{m},admin,{day},{day},approved,"purpose {k}, with commas; and ü"')
    cal.import_rentals(read_rentals_csv(lines), acting="admin", today=TODAY)
    cal.close()
    code = """
import sys, time, json
from datetime import date
import rentcal
cal = rentcal.connect(sys.argv[1])
kind, count = sys.argv[2], int(sys.argv[3])
end = date(2030, 1, 1).toordinal() + 2 * (count // 100) - 1
t = time.perf_counter()
if kind == "ics":
    out = cal.ical(start=date(2030, 1, 1), end=date.fromordinal(end))
else:
    out = json.dumps(cal.events(start=date(2030, 1, 1), end=date.fromordinal(end))).encode()
took = time.perf_counter() - t
# VmHWM: this process's own peak (ru_maxrss would include the forking parent's)
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"seconds": took, "bytes": len(out), "maxrss_kb": rss}))
"""
    rows = []
    for kind, count in (("ics", 10_000), ("json", 100_000)):
        out = subprocess.run(
            [sys.executable, "-c", code, f"sqlite:///{path}", kind, str(count)],
            capture_output=True,
            text=True,
            check=True,
        )
        data = json.loads(out.stdout)
        rows.append(
            [
                f"{kind} feed, {count:,} events",
                f"{data['seconds']:.2f} s",
                f"{data['bytes'] / 1e6:.1f} MB out",
                f"peak RSS {data['maxrss_kb'] / 1024:.0f} MB",
            ]
        )
    return rows


def bench_startup(large: Path, runs: int) -> list[list[object]]:
    exe = shutil.which("rentcal", path=str(Path(sys.executable).parent)) or shutil.which("rentcal")
    if exe is None:
        return [["rentcal entry point not installed", "", "", ""]]
    req = requests(1, seed=4)[0]
    env = {**os.environ, "RENTCAL_TODAY": TODAY.isoformat()}
    commands = {
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "rentcal --version": [exe, "--version"],
        "rentcal --help": [exe, "--help"],
        "python -c 'import sqlmodel, typer'": [sys.executable, "-c", "import sqlmodel, typer"],
        "rentcal check M S E": [
            exe,
            "--db",
            f"sqlite:///{large}",
            "check",
            req[0],
            req[1].isoformat(),
            req[2].isoformat(),
        ],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            t = time.perf_counter()
            subprocess.run(argv, capture_output=True, env=env, check=False)
            samples[name].append(time.perf_counter() - t)
    med = {name: statistics.median(v) * 1000 for name, v in samples.items()}
    typer_ms, sqlmodel_ms = (
        med["python -c 'import typer'"],
        med["python -c 'import sqlmodel, typer'"],
    )
    return [
        [
            name,
            f"{ms:.0f} ms",
            f"{ms / (sqlmodel_ms if name == 'rentcal check M S E' else typer_ms):.2f}× "
            + ("sqlmodel+typer" if name == "rentcal check M S E" else "typer"),
        ]
        for name, ms in med.items()
    ]


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    from tabulate import tabulate

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10_000, help="rentals in the small database")
    parser.add_argument(
        "--rentals", type=int, default=1_000_000, help="rentals in the large database"
    )
    parser.add_argument("--checks", type=int, default=2000, help="checks per contender per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--skip-feeds", action="store_true")
    parser.add_argument(
        "--writers", type=int, nargs="*", default=[4, 16, 64, 128, 256], help="load: writer counts"
    )
    parser.add_argument("--load-bookings", type=int, default=16, help="load: bookings per writer")
    parser.add_argument("--postgres", metavar="URL", help="load: also on this PostgreSQL")
    args = parser.parse_args(argv)
    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="rentcal-bench-") as tmp:
        work = Path(tmp)
        print(f"machine: {machine_description()}", file=out)
        _, small_n = build(work / "small.db", args.small)
        large_s, large_n = build(work / "large.db", args.rentals)
        print(
            f"databases: {small_n:,} and {large_n:,} rentals over {MACHINES} machines\n", file=out
        )
        rows = bench_checks(work / "small.db", work / "large.db", args.checks, args.rounds)
        print(
            tabulate(
                rows,
                headers=[
                    "availability check (median)",
                    f"{small_n:,}",
                    f"{large_n:,}",
                    "large / small",
                ],
            ),
            file=out,
        )
        print(file=out)
        other = [
            [
                "bulk import (SQLite)",
                f"{large_n / large_s:,.0f} rows/s",
                f"{large_n:,} rows in {large_s:.1f} s",
            ],
            [
                "batch checks (check_many)",
                f"{bench_batch(work / 'large.db', 20_000):,.0f} checks/s",
                f"on {large_n:,} rentals",
            ],
        ]
        print(tabulate(other, headers=["throughput", "rate", "detail"]), file=out)
        print(file=out)
        if not args.skip_feeds:
            print(tabulate(bench_feeds(work), headers=["feed", "time", "size", "memory"]), file=out)
            print(file=out)
        print(
            tabulate(
                bench_startup(work / "large.db", args.startup_runs),
                headers=["start-up (median)", "time", "ratio"],
            ),
            file=out,
        )
        if args.writers:
            print(file=out)
            print(
                f"load: each writer a process booking one machine {args.load_bookings} times "
                f"(half on days all want, half on its own), busy timeout 10 s",
                file=out,
            )
            results = bench_load(
                args.writers,
                postgres=args.postgres,
                bookings=args.load_bookings,
                busy_timeout=10.0,
                pg_processes=16,
            )
            print(tabulate([r.row() for r in results], headers=LOAD_HEADERS), file=out)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
