"""``rentcal serve`` under load (wrk), alone or side by side with the design reference.

    python -m benchmarks.web --versus-design ../shared/design-reference   # the full comparison
    python -m benchmarks.web --rentals 500 --seconds 1 --connections 8 --connections-many 16

Both servers get the same data, the reference's ``seed_data`` shape: a history up
to yesterday, four approved or pending rentals ahead per machine, then a scheduled
maintenance (benchmarks/dataset.py). With ``--versus-design PATH`` the reference
builds it with its own ``seed_data`` (SQLite and PostgreSQL) and rentcal imports
the same members, machines, rentals and scheduled maintenance; without it the
data is generated here by the same rules and rentcal runs alone. Databases are
cached per day and size (``--cache``, benchmarks/prepare.py), so a rerun measures
at once.

Each scenario runs wrk (benchmarks/lua: a random machine and window per request,
as the reference's lua/check.lua) against ``rentcal serve --workers 2`` and against
its baseline (the reference's gunicorn with 2 sync workers, rentcal's /healthz,
or one ``rentcal serve``), alternating which goes first, for ``--rounds`` rounds;
the table gives the medians, their ratio and the issue's targets. Nothing here
is a pass/fail test; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sqlite3
import sys
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from dateutil.relativedelta import relativedelta

import rentcal
from benchmarks import wrk
from benchmarks.dataset import MEMBER
from benchmarks.prepare import Cache, Side
from benchmarks.report import Row, cpu_model, load_average, ratio_at_least, survives, table
from benchmarks.servers import (
    Postgres,
    Server,
    ensure_reference_venv,
    reference_versions,
    start_reference,
    start_rentcal,
)

RENTCAL_BODY = '{"machine": "%s", "start": "%s", "end": "%s"}'
REFERENCE_BODY = '{"machine_id": %s, "start_date": "%s", "end_date": "%s"}'
#: A row and the wrk jobs of its two sides (None: no baseline in this run).
Scenario = tuple[Row, list[wrk.Job], list[wrk.Job] | None]


def measure(scenarios: list[Scenario], rounds: int, seconds: float) -> None:
    """Every scenario's two sides, one after the other, the first side alternating."""
    for number in range(rounds):
        for row, ours, base in scenarios:
            sides = [(row.ours, ours), (row.base, base)]
            for into, jobs in sides[:: -1 if number % 2 else 1]:
                if jobs:
                    what = f"{row.backend} {row.scenario}"
                    into.append(wrk.run(jobs, seconds, what))
                    row.loads.append(os.getloadavg()[0])
                    got = into[-1]
                    _say(f"  round {number + 1}: {what}: {got.rate:,.0f} req/s ({got.statuses})")


def warm(jobs: list[wrk.Job], seconds: float) -> None:
    """Not recorded: the first requests of each worker open files and caches."""
    for job in jobs:
        wrk.run([job], min(3.0, seconds), "warm-up")


@dataclass
class Target:
    """The servers of one backend and how to address them."""

    rentcal: Server
    side: Side
    reference: Server | None
    month: tuple[date, date]

    @property
    def auth(self) -> str:
        return f"Bearer {self.side.loaded.token}"

    def check(self, server: Server, connections: int, threads: int = 2) -> wrk.Job:
        """An availability-check job for rentcal ``server``."""
        env = {"CHECK_PATH": "/api/check-availability", "AUTH": self.auth, "BODY": RENTCAL_BODY}
        env["MACHINES"] = ",".join(h for _, h in self.side.machines)
        return wrk.Job(server.url + "/", "check.lua", env, connections, threads)

    def events(self, connections: int) -> wrk.Job:
        """One month of the first machine (the reference's lua/events.lua)."""
        handle, (first, end) = self.side.machines[0][1], self.month
        path = f"/api/machines/{handle}/events?start={first}&end={end}"
        return wrk.Job(self.rentcal.url + path, "get.lua", {"AUTH": self.auth}, connections)

    def ref_check(self, connections: int) -> list[wrk.Job] | None:
        if self.reference is None:
            return None
        env = {"CHECK_PATH": "/machines/api/check-availability/", "AUTH": reference_auth()}
        env |= {"BODY": REFERENCE_BODY, "MACHINES": ",".join(str(i) for i, _ in self.side.machines)}
        return [wrk.Job(self.reference.url + "/", "check.lua", env, connections)]

    def ref_events(self, connections: int) -> list[wrk.Job] | None:
        if self.reference is None:
            return None
        number, (first, end) = self.side.machines[0][0], self.month
        path = f"/machines/api/calendar/{number}/events/?start={first}&end={end}"
        env = {"AUTH": reference_auth()}
        return [wrk.Job(self.reference.url + path, "get.lua", env, connections)]


def reference_auth() -> str:
    """The reference's token of member000001 (its README: sha1 of "seed-django:<name>")."""
    return "Token " + hashlib.sha1(f"seed-django:{MEMBER}".encode()).hexdigest()


def fetch(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
    """A GET with the standard library (loopback: our own children): body and ETag."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as got:
        return got.read(), str(got.headers.get("ETag") or "")


def month_counts(t: Target) -> str:
    """How many events the measured month holds on each server: never an empty month."""
    ours = json.loads(fetch(t.events(1).url, {"Authorization": t.auth})[0])
    text = f"events: {len(ours)} (rentcal)"
    ref = t.ref_events(1)
    if ref is not None:
        found = json.loads(fetch(ref[0].url, {"Authorization": reference_auth()})[0])
        text += f", {len(found)} (reference)"
    return text


def sqlite_phase(t: Target, args: argparse.Namespace, notes: list[str]) -> list[Row]:
    """Check, events, feed revalidation vs /healthz and many connections on SQLite."""
    c, many = args.connections, args.connections_many
    _, etag = fetch(t.rentcal.url + t.side.loaded.feed_path, {})
    feed = wrk.Job(t.rentcal.url + t.side.loaded.feed_path, "get.lua", {"IF_NONE_MATCH": etag}, c)
    health = wrk.Job(t.rentcal.url + "/healthz", "get.lua", {}, c)
    notes.append(f"SQLite month {t.month[0]}..{t.month[1]} of machine 1: {month_counts(t)}")
    ref = "design reference"
    scenarios: list[Scenario] = [
        (
            Row("SQLite", "POST check-availability", c, ref, ">= 5x, p99 <= 50 ms",
                ratio_at_least(5, 50)),
            [t.check(t.rentcal, c)], t.ref_check(c),
        ),
        (
            Row("SQLite", "GET machine events, one month", c, ref, ">= 5x", ratio_at_least(5)),
            [t.events(c)], t.ref_events(c),
        ),
        (
            Row("SQLite", "GET feed, If-None-Match (304)", c, "rentcal GET /healthz", ">= 0.8x",
                ratio_at_least(0.8)),
            [feed], [health],
        ),
        (
            Row("SQLite", "POST check-availability, many connections", many, ref,
                "no error, p99 <= 250 ms", survives(250)),
            [t.check(t.rentcal, many)], t.ref_check(many),
        ),
    ]  # fmt: skip
    warm([t.check(t.rentcal, c), *(t.ref_check(c) or []), t.events(c)], 2)
    measure(scenarios, args.rounds, args.seconds)
    return [s[0] for s in scenarios]


def postgres_phase(t: Target, args: argparse.Namespace, work: Path, notes: list[str]) -> list[Row]:
    """Check and events against the reference, then two ``rentcal serve`` against one."""
    c = args.connections
    notes.append(f"PostgreSQL month of machine 1: {month_counts(t)}")
    ref = "design reference"
    scenarios: list[Scenario] = [
        (
            Row("PostgreSQL", "POST check-availability", c, ref, ">= 5x", ratio_at_least(5)),
            [t.check(t.rentcal, c)], t.ref_check(c),
        ),
        (
            Row("PostgreSQL", "GET machine events, one month", c, ref, ">= 5x",
                ratio_at_least(5)),
            [t.events(c)], t.ref_events(c),
        ),
    ]  # fmt: skip
    warm([t.check(t.rentcal, c), *(t.ref_check(c) or [])], 2)
    measure(scenarios, args.rounds, args.seconds)
    if t.reference is not None:
        t.reference.stop()
    second = start_rentcal(t.side.rentcal_url, work, "pg-second")
    try:
        two = Row("PostgreSQL", "POST check-availability, 2 serve processes (2 ports)", c,
                  "one rentcal serve", "> 1x", ratio_at_least(1.0001))  # fmt: skip
        pair = [t.check(t.rentcal, c // 2, threads=1), t.check(second, c - c // 2, threads=1)]
        warm([t.check(second, c)], 2)
        measure([(two, pair, [t.check(t.rentcal, c)])], args.rounds, args.seconds)
    finally:
        second.stop()
    return [s[0] for s in scenarios] + [two]


def run_backend(
    side: Side, args: argparse.Namespace, work: Path, label: str, notes: list[str]
) -> list[Row]:
    """Start rentcal (and the reference) on one backend, measure, stop them."""
    today = datetime.now(UTC).date()
    month = (today, today + relativedelta(months=1))
    rentcal_server = start_rentcal(side.rentcal_url, work, label)
    reference = None
    try:
        if side.reference_env is not None:
            reference = start_reference(args.versus_design, side.reference_env, work,
                                        reference_auth())  # fmt: skip
        t = Target(rentcal_server, side, reference, month)
        if label == "sqlite":
            return sqlite_phase(t, args, notes)
        return postgres_phase(t, args, work, notes)
    finally:
        for server in (reference, rentcal_server):
            if server is not None:
                server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rentals", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per wrk run (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations (default 3)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--connections-many", type=int, default=1000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("RENTCAL_TEST_POSTGRES_URL")
        or "postgresql+psycopg://root@127.0.0.1:5432/postgres",
        help="an admin URL of the server where rcbench_* databases are made "
        "(default: $RENTCAL_TEST_POSTGRES_URL, else root@127.0.0.1:5432/postgres)",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or find) the cached databases, then stop"
    )
    parser.add_argument(
        "--versus-design",
        type=Path,
        metavar="PATH",
        help="the design reference's directory (../shared/design-reference)",
    )
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/rentcal-bench"),
        help="where built databases are kept (default /tmp/rentcal-bench)",
    )
    args = parser.parse_args(argv)
    if args.versus_design is not None:
        args.versus_design = args.versus_design.resolve()
        if not (args.versus_design / "run.sh").exists():
            parser.error(f"--versus-design {args.versus_design}: no run.sh there")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk_version = wrk.require_wrk()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * args.connections_many + 256
    if soft < wanted:  # wrk and the servers need a descriptor per connection
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    versions = [f"Python {platform.python_version()}", f"rentcal {rentcal.__version__}",
                f"SQLite {sqlite3.sqlite_version}", wrk_version]  # fmt: skip
    if args.versus_design:
        ensure_reference_venv()
        versions.append(reference_versions())
    started, load_before = datetime.now(UTC), load_average()
    today = started.date()
    cache = Cache(args.cache, today, args.rentals, args.versus_design)
    rows: list[Row] = []
    notes: list[str] = []
    with TemporaryDirectory(prefix="rentcal-webbench-") as tmp:
        work = Path(tmp)
        side = cache.sqlite()
        notes.append(_data_note("SQLite", side))
        if not args.build_only:
            rows += run_backend(side, args, work, "sqlite", notes)
        if not args.skip_postgres:
            pg = Postgres(args.postgres)
            versions.append(pg.version())
            side = cache.postgres(pg)
            notes.append(_data_note("PostgreSQL", side))
            if not args.build_only:
                rows += run_backend(side, args, work, "pg", notes)
    if args.build_only:
        print("\n".join([f"cached in {cache.dir} (and PostgreSQL {cache.rc_pg})", *notes]))
        return 0
    head = [
        f"date: {started:%Y-%m-%d %H:%M} UTC to {datetime.now(UTC):%H:%M} UTC",
        f"machine: {cpu_model()}, nproc {os.cpu_count()}; load average (1/5/15 min) "
        f"{load_before} before, {load_average()} after",
        f"versions: {', '.join(versions)}",
        f"method: both servers with 2 workers; wrk -t2 --timeout 10s on the same cores, "
        f"{args.seconds:g} s per run, {args.rounds} round(s) alternating the servers, medians "
        f"(errors summed); load = the median 1-minute load average after the runs; "
        f"check = a random machine of {len(side.machines)}, first day "
        f"today+1..60, 1..7 days (benchmarks/lua/check.lua)",
        *notes,
    ]
    text = "\n".join(head) + "\n\n" + table(rows, "github") + "\n"
    print(text)
    if args.markdown:
        bullets = "\n".join(f"- {line}" for line in head)
        args.markdown.write_text(f"{bullets}\n\n{table(rows, 'github')}\n", encoding="utf-8")
    return 0


def _data_note(backend: str, side: Side) -> str:
    loaded = side.loaded
    source = "the reference's seed_data" if side.reference_env else "benchmarks/dataset.py"
    return (
        f"{backend} data ({source}; {side.built}): {loaded.rentals:,} rentals, "
        f"{loaded.members:,} members, {loaded.machines} machines, {loaded.blocks} scheduled "
        f"maintenance blocks"
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
