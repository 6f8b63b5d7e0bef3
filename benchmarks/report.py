"""The web benchmark's table: medians of the rounds, ratios, the issue's targets, the machine.

A row's verdict is "met", "MISSED", or "n/a" when its baseline was not measured
(no ``--versus-design``); any failed request misses a ratio target.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import wrk

Judge = Callable[[wrk.Load, wrk.Load | None], bool | None]


@dataclass
class Row:
    """One line of the table: a scenario, its baseline, the target, and the runs."""

    backend: str
    scenario: str
    connections: int
    baseline: str
    target: str
    judge: Judge
    ours: list[wrk.Load] = field(default_factory=list)
    base: list[wrk.Load] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-minute load average after each run


def median(loads: list[wrk.Load]) -> wrk.Load | None:
    """The median rate and latencies of the rounds; errors and requests summed."""
    if not loads:
        return None
    return wrk.Load(
        rate=statistics.median(x.rate for x in loads),
        p50_ms=statistics.median(x.p50_ms for x in loads),
        p99_ms=statistics.median(x.p99_ms for x in loads),
        requests=sum(x.requests for x in loads),
        errors=sum(x.errors for x in loads),
        statuses=loads[-1].statuses,
    )


def ratio_at_least(times: float, p99_ms: float | None = None) -> Judge:
    """Met when ours is ``times`` the baseline's rate (and its p99 within ``p99_ms``)."""

    def judge(ours: wrk.Load, base: wrk.Load | None) -> bool | None:
        if base is None:
            return None
        fast = ours.rate >= times * base.rate and (p99_ms is None or ours.p99_ms <= p99_ms)
        return fast and ours.errors == 0

    return judge


def survives(p99_ms: float) -> Judge:
    """Met when no request failed and the p99 is within ``p99_ms``."""
    return lambda ours, _base: ours.errors == 0 and ours.p99_ms <= p99_ms


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def table(rows: list[Row], fmt: str) -> str:
    """The medians, the ratio and the target of every row."""
    from tabulate import tabulate

    lines = []
    for row in rows:
        ours, base = median(row.ours), median(row.base)
        if ours is None:
            continue
        verdict = row.judge(ours, base)
        lines.append([
            row.backend, row.scenario, row.connections,
            f"{ours.rate:,.0f}", f"{ours.p99_ms:.1f}", ours.errors,
            row.baseline if base else f"({row.baseline}: not run)",
            f"{base.rate:,.0f}" if base else "", f"{base.p99_ms:.1f}" if base else "",
            base.errors if base else "",
            f"{ours.rate / base.rate:.2f}x" if base and base.rate else "",
            row.target, "n/a" if verdict is None else "met" if verdict else "MISSED",
            f"{statistics.median(row.loads):.1f}",
        ])  # fmt: skip
    headers = ["backend", "scenario", "conns", "rentcal req/s", "p99 ms", "errors", "versus",
               "req/s", "p99 ms", "errors", "ratio", "target", "verdict", "load"]  # fmt: skip
    return str(tabulate(lines, headers=headers, tablefmt=fmt, disable_numparse=True))


__all__ = ["Judge", "Row", "cpu_model", "load_average", "median", "ratio_at_least", "survives",
           "table"]  # fmt: skip
