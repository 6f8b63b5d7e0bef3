"""``rentcal serve`` under load (wrk), side by side with the same calls through the library.

    python -m benchmarks.web                       # 1,000,000 rentals, 10 s per scenario
    python -m benchmarks.web --rentals 5000 --seconds 2 --connections-many 200   # smoke

It builds a SQLite database with ``--rentals`` rentals (benchmarks/run.py's
history), starts a real ``rentcal serve --workers 2`` on a loopback port and
drives it with Debian's ``wrk`` (``apt-get install wrk``): availability checks
at 64 connections, one month of one machine's events, the 304 revalidation of a
secret feed URL, and many keep-alive connections at once. The same calls made
in this process through the library, one at a time, give the floor the HTTP
layer adds to. Nothing here is a pass/fail test; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import rentcal
from benchmarks.run import MACHINES, build, requests


@dataclass
class Load:
    """What wrk measured for one scenario."""

    name: str
    connections: int
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def busy_month(cal: rentcal.Rentcal) -> tuple[date, date]:
    """FullCalendar's [start, end) of the month where m0's pending/approved rentals begin."""
    found = cal.rentals(machine="m0", status=["approved", "pending"])
    first = (found[0].start if found else date(2030, 1, 1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(name: str, connections: int, out: str) -> Load:
    """Requests/s, p50, p99 and errors (socket errors + non-2xx/3xx) from wrk --latency."""
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if set(pct) != {"50", "99"}:
        raise SystemExit(f"{name}: wrk measured nothing:\n{out}")
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return Load(
        name=name,
        connections=connections,
        rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(pct["50"]),
        p99_ms=_ms(pct["99"]),
        errors=socket_errors + (int(bad.group(1)) if bad else 0),
        requests=int(total.group(1)) if total else 0,
    )


def lua(method: str, paths: list[str], headers: dict[str, str], bodies: list[str]) -> str:
    """A wrk script cycling through request paths (and bodies)."""
    pairs = [f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return (
        f"local paths = {{{', '.join(json.dumps(p) for p in paths)}}}\n"
        f"local bodies = {{{', '.join(json.dumps(b) for b in bodies) or ''}}}\n"
        f"local headers = {{{', '.join(pairs)}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  local body = nil\n"
        "  if #bodies > 0 then body = bodies[(i % #bodies) + 1] end\n"
        f"  return wrk.format({json.dumps(method)}, paths[(i % #paths) + 1], headers, body)\n"
        "end\n"
    )


def run_wrk(
    url: str, name: str, script: str, workdir: Path, connections: int, seconds: float
) -> Load:
    path = workdir / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.lua"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(path),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(name, connections, done.stdout)


def library(fn: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Calls/s and p99 (ms) of ``fn`` called back to back in this process."""
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return len(times) / sum(times), times[int(len(times) * 0.99) - 1] * 1000


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "PROMETHEUS_"))}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "rentcal", "--db", f"sqlite:///{db}", "serve"),
                *("--port", str(port), "--workers", "2", "--slow-ms", "60000"),
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"rentcal serve exited:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            out = subprocess.run(
                ["wrk", "-t1", "-c1", "-d1s", url + "/readyz"], capture_output=True, text=True
            )
            if "Non-2xx" not in out.stdout and "Requests/sec" in out.stdout:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"rentcal serve did not start:\n{log.read_text()}")


def raise_fd_limit(wanted: int) -> None:
    """wrk and the server each need a descriptor per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def main(argv: list[str] | None = None) -> int:
    from tabulate import tabulate

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rentals", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per wrk scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--connections-many", type=int, default=1000)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    raise_fd_limit(4 * args.connections_many + 256)
    with tempfile.TemporaryDirectory(prefix="rentcal-webbench-") as tmp:
        work = Path(tmp)
        db = work / "web.db"
        _, rows = build(db, args.rentals)
        with rentcal.connect(f"sqlite:///{db}") as cal:
            # The checks ask about days spread over the generated years, past the
            # default horizon: what is measured is the check, not its refusal.
            cal.set_limits(horizon_days=36_500, acting="admin")
            _, token = cal.create_token("admin")
            feed, secret = cal.create_feed("admin", machine="m1")
            checks = requests(500)
            month_window = busy_month(cal)
            shown = sum(
                len(cal.events(f"m{i}", None, month_window[0], month_window[1]))
                for i in range(MACHINES)
            )
        auth = {"Authorization": f"Bearer {token}"}
        bodies = [
            json.dumps({"machine": m, "start": s.isoformat(), "end": e.isoformat()})
            for m, s, e in checks
        ]
        month = f"?start={month_window[0].isoformat()}&end={month_window[1].isoformat()}"
        event_paths = [f"/api/machines/m{i}/events{month}" for i in range(MACHINES)]
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(db, port, work / "server.log")
        try:
            with rentcal.connect(f"sqlite:///{db}") as cal:
                etag = _etag(url, feed.path(secret))
                loads = [
                    run_wrk(
                        url,
                        "POST /api/check-availability",
                        lua(
                            "POST",
                            ["/api/check-availability"],
                            {**auth, "Content-Type": "application/json"},
                            bodies,
                        ),
                        work,
                        args.connections,
                        args.seconds,
                    ),
                    run_wrk(
                        url,
                        "GET /api/machines/{name}/events (a month)",
                        lua("GET", event_paths, auth, []),
                        work,
                        args.connections,
                        args.seconds,
                    ),
                    run_wrk(
                        url,
                        "GET /feeds/{secret}.ics, If-None-Match (304)",
                        lua("GET", [feed.path(secret)], {"If-None-Match": etag}, []),
                        work,
                        args.connections,
                        args.seconds,
                    ),
                    run_wrk(
                        url,
                        "POST /api/check-availability, many connections",
                        lua(
                            "POST",
                            ["/api/check-availability"],
                            {**auth, "Content-Type": "application/json"},
                            bodies,
                        ),
                        work,
                        args.connections_many,
                        args.seconds,
                    ),
                ]
                first, last = month_window[0], month_window[1] - timedelta(days=1)
                it = iter(range(10**9))
                lib = [
                    library(lambda: cal.check(*checks[next(it) % len(checks)]), args.seconds / 2),
                    library(
                        lambda: cal.events(f"m{next(it) % MACHINES}", None, first, last),
                        args.seconds / 2,
                    ),
                    library(lambda: (cal.feed_by_secret(secret), cal.revision()), args.seconds / 2),
                ]
        finally:
            server.terminate()
            server.wait(timeout=60)
    table = []
    for i, load in enumerate(loads):
        side = lib[i] if i < len(lib) else lib[0]
        table.append(
            [
                load.name,
                load.connections,
                f"{load.rate:,.0f}",
                f"{load.p50_ms:.1f}",
                f"{load.p99_ms:.1f}",
                load.errors,
                f"{side[0]:,.0f}",
                f"{side[1]:.2f}",
            ]
        )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        f"SQLite file with {rows:,} rentals over {MACHINES} machines; rentcal serve --workers 2; "
        f"wrk -t2, {args.seconds:g} s per row (wrk runs on the same cores); the month of "
        f"events is {month_window[0]:%Y-%m} ({shown / MACHINES:.1f} events per machine)\n"
    )
    print(
        tabulate(
            table,
            headers=[
                "scenario",
                "connections",
                "HTTP req/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "library calls/s (1 thread)",
                "library p99 ms",
            ],
            tablefmt="github",
        )
    )
    return 0


def _etag(url: str, path: str) -> str:
    """The feed's current ETag, read with the standard library."""
    from urllib.request import urlopen

    with urlopen(url + path, timeout=30) as answer:  # loopback: our own server
        return str(answer.headers["ETag"])


if __name__ == "__main__":
    raise SystemExit(main())
