"""Running Debian's ``wrk`` with the scripts of benchmarks/lua and reading what it measured.

The scripts end with one ``SUMMARY`` line (benchmarks/lua/common.lua): requests/s,
p50 and p99 latency, socket errors and responses outside 2xx/3xx, which are the
errors counted here. Several wrk processes may run at once (two servers under load
together); their rates add up and the worst p99 stands for them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
SUMMARY = re.compile(
    r"SUMMARY rps=(?P<rate>[\d.]+) p50_ms=(?P<p50>[\d.]+) p99_ms=(?P<p99>[\d.]+) "
    r"requests=(?P<requests>\d+) socket_errors=(?P<sock>\d+) bad_status=(?P<bad>\d+) "
    r"status=(?P<status>\S*)"
)


@dataclass(frozen=True)
class Load:
    """What wrk measured in one run."""

    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    statuses: str

    @staticmethod
    def combined(loads: list[Load]) -> Load:
        """Runs made at the same time against different servers, as one."""
        return Load(
            rate=sum(x.rate for x in loads),
            p50_ms=max(x.p50_ms for x in loads),
            p99_ms=max(x.p99_ms for x in loads),
            requests=sum(x.requests for x in loads),
            errors=sum(x.errors for x in loads),
            statuses=" + ".join(x.statuses for x in loads),
        )


@dataclass(frozen=True)
class Job:
    """One wrk invocation: a URL, a script and its environment."""

    url: str
    script: str  # check.lua or get.lua
    env: dict[str, str]
    connections: int
    threads: int = 2


def require_wrk() -> str:
    """wrk's version line; stop with the install command when it is missing."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (out.stdout + out.stderr).split("\n", 1)[0].split(" [", 1)[0].strip()


def parse(out: str, what: str) -> Load:
    """The SUMMARY line of one wrk run."""
    found = SUMMARY.search(out)
    if found is None:
        raise SystemExit(f"{what}: wrk printed no SUMMARY line:\n{out}")
    return Load(
        rate=float(found["rate"]),
        p50_ms=float(found["p50"]),
        p99_ms=float(found["p99"]),
        requests=int(found["requests"]),
        errors=int(found["sock"]) + int(found["bad"]),
        statuses=found["status"],
    )


def run(jobs: list[Job], seconds: float, what: str) -> Load:
    """Run ``jobs`` side by side for ``seconds``; their combined load."""
    processes = []
    for job in jobs:
        argv = [
            "wrk",
            f"-t{min(job.threads, job.connections)}",
            f"-c{job.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA / job.script),
            job.url,
        ]
        env = {"PATH": "/usr/bin:/bin", "LUA_DIR": str(LUA), **job.env}
        processes.append(
            subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )
    outs = [p.communicate()[0].decode(errors="replace") for p in processes]
    return Load.combined([parse(out, what) for out in outs])


__all__ = ["Job", "Load", "parse", "require_wrk", "run"]
