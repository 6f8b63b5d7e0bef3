"""Draw docs/img/grafana-dashboard-panels.png: the panels of docs/grafana-dashboard.json,
their own PromQL evaluated over real scrapes. NOT a Grafana screenshot.

Grafana cannot be installed where this was made, so: an hour of real requests
goes through the app in this process (the traffic of make_admin_metrics.py,
squeezed into seconds), ``/metrics``' text is scraped after each simulated
minute, and every panel's query is evaluated at each minute by the small
PromQL subset below (``sum [by]``, ``rate``, ``histogram_quantile``,
``scalar``, ``vector``, ``/``, ``-``, ``or``, numbers) with a one-minute rate window. The panels
are drawn as plain SVG in the dashboard's grid and Chromium saves the page.
A panel whose metric the app does not feed yet shows "No data", as Grafana would.

    .venv/bin/python docs/img/make_dashboard_picture.py
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from make_admin_metrics import Clock, traffic
from playwright.sync_api import sync_playwright
from prometheus_client.parser import text_string_to_metric_families

import rentcal
from rentcal.web import Settings, create_app, metrics

HERE = Path(__file__).resolve().parent
DASHBOARD = HERE.parent / "grafana-dashboard.json"
OUT = HERE / "grafana-dashboard-panels.png"
STEP = 60.0  # seconds between scrapes, and the rate window
Labels = frozenset[tuple[str, str]]
Vector = dict[Labels, float]
Scrape = dict[str, Vector]

# -- the PromQL subset ---------------------------------------------------------------------

TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<range>\[[^\]]*\])|(?P<op>=~|!~|!=|[=(){},/\-]))"
)


def tokens(expr: str) -> list[tuple[str, str]]:
    found, pos = [], 0
    while pos < len(expr.rstrip()):
        match = TOKEN.match(expr, pos)
        if match is None:
            raise ValueError(f"cannot read {expr[pos:]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        pos = match.end()
    return found


class Evaluator:
    """One query at one minute: ``now`` and ``before`` are consecutive scrapes."""

    def __init__(self, expr: str, now: Scrape, before: Scrape) -> None:
        self.toks = tokens(expr)
        self.i = 0
        self.now, self.before = now, before

    def peek(self) -> str:
        return self.toks[self.i][1] if self.i < len(self.toks) else ""

    def take(self, want: str | None = None) -> str:
        value = self.toks[self.i][1]
        if want is not None and value != want:
            raise ValueError(f"expected {want!r}, found {value!r}")
        self.i += 1
        return value

    def run(self) -> Vector | float:
        value = self.additive()
        if self.i != len(self.toks):
            raise ValueError(f"left over: {self.toks[self.i :]}")
        return value

    def additive(self) -> Vector | float:
        left = self.ratio()
        while self.peek() in ("-", "or"):
            if self.take() == "or":
                right = self.vector(self.ratio())
                left = {**right, **self.vector(left)}  # the left side's series win
            else:
                left = binary(left, self.ratio(), lambda a, b: a - b)
        return left

    def ratio(self) -> Vector | float:
        left = self.unary()
        while self.peek() == "/":
            self.take()
            left = binary(left, self.unary(), lambda a, b: a / b if b else math.nan)
        return left

    def unary(self) -> Vector | float:
        kind, value = self.toks[self.i]
        if kind == "num":
            self.take()
            return float(value)
        if value == "(":
            self.take()
            inner = self.additive()
            self.take(")")
            return inner
        self.take()
        if value == "sum":
            by: list[str] | None = None
            if self.peek() == "by":
                self.take()
                by = self.names()
            self.take("(")
            inner = self.vector(self.additive())
            self.take(")")
            return summed(inner, by)
        if value == "rate":
            self.take("(")
            rated = self.rate()
            self.take(")")
            return rated
        if value == "histogram_quantile":
            self.take("(")
            q = float(self.take())
            self.take(",")
            inner = self.vector(self.additive())
            self.take(")")
            return quantiles(q, inner)
        if value == "vector":
            self.take("(")
            number = float(self.take())
            self.take(")")
            return {frozenset(): number}
        if value == "scalar":
            self.take("(")
            inner = self.vector(self.additive())
            self.take(")")
            return next(iter(inner.values())) if len(inner) == 1 else math.nan
        raise ValueError(f"not in the subset: {value!r}")

    def names(self) -> list[str]:
        self.take("(")
        found = []
        while self.peek() != ")":
            found.append(self.take())
            if self.peek() == ",":
                self.take()
        self.take(")")
        return found

    def rate(self) -> Vector:
        name = self.take()
        tests: list[Callable[[dict[str, str]], bool]] = []
        if self.peek() == "{":
            self.take()
            while self.peek() != "}":
                label, op, raw = self.take(), self.take(), json.loads(self.take())
                tests.append(matcher(label, op, raw))
                if self.peek() == ",":
                    self.take()
            self.take("}")
        self.take()  # the range: one scrape interval here
        rated: Vector = {}
        for labels, value in self.now.get(name, {}).items():
            if all(test(dict(labels)) for test in tests):
                previous = self.before.get(name, {}).get(labels, 0.0)
                rated[labels] = max(value - previous, 0.0) / STEP
        return rated

    @staticmethod
    def vector(value: Vector | float) -> Vector:
        if isinstance(value, float):
            raise ValueError("a vector is needed here")
        return value


def matcher(label: str, op: str, raw: str) -> Callable[[dict[str, str]], bool]:
    if op == "=":
        return lambda labels: labels.get(label, "") == raw
    if op == "!=":
        return lambda labels: labels.get(label, "") != raw
    pattern = re.compile(raw)
    if op == "=~":
        return lambda labels: pattern.fullmatch(labels.get(label, "")) is not None
    return lambda labels: pattern.fullmatch(labels.get(label, "")) is None


def binary(left: Vector | float, right: Vector | float, op: Callable[[float, float], float]):  # type: ignore[no-untyped-def]
    if isinstance(left, float) and isinstance(right, float):
        return op(left, right)
    if isinstance(left, float):
        return {k: op(left, v) for k, v in right.items()}  # type: ignore[union-attr]
    if isinstance(right, float):
        return {k: op(v, right) for k, v in left.items()}
    return {k: op(v, right[k]) for k, v in left.items() if k in right}


def summed(vector: Vector, by: list[str] | None) -> Vector:
    out: Vector = {}
    for labels, value in vector.items():
        key = frozenset((k, v) for k, v in labels if by is not None and k in by)
        out[key] = out.get(key, 0.0) + value
    return out


def quantiles(q: float, vector: Vector) -> Vector:
    """Prometheus' histogram_quantile: cumulative buckets, linear inside the bucket."""
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for labels, value in vector.items():
        le = dict(labels)["le"]
        rest = frozenset((k, v) for k, v in labels if k != "le")
        groups.setdefault(rest, []).append((float(le), value))
    out: Vector = {}
    for rest, buckets in groups.items():
        buckets.sort()
        total = buckets[-1][1]
        if total <= 0:
            continue
        rank, low, below = q * total, 0.0, 0.0
        for bound, count in buckets:
            if count >= rank:
                if math.isinf(bound):
                    out[rest] = buckets[-2][0]
                elif count == below:
                    out[rest] = bound
                else:
                    out[rest] = low + (bound - low) * (rank - below) / (count - below)
                break
            low, below = bound, count
    return out


# -- scrapes, series, drawing -------------------------------------------------------------------


def scrape() -> Scrape:
    text, _ = metrics.exposition()
    found: Scrape = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            found.setdefault(s.name, {})[frozenset(s.labels.items())] = float(s.value)
    return found


def legend(template: str, labels: Labels) -> str:
    values = dict(labels)
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values.get(m.group(1), ""), template)


COLOURS = ["#1a5fb4", "#e66100", "#26a269", "#a51d2d", "#613583", "#986a44", "#5e5c64", "#c64600"]


def fmt(value: float, unit: str) -> str:
    if unit == "percentunit":
        return f"{value * 100:.0f} %"
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    if unit == "reqps":
        return f"{value:.2f}/s"
    return f"{value:.1f}"


def panel_svg(panel: dict[str, Any], series: dict[str, list[float | None]]) -> str:
    width, height, top, left = 560, 170, 10, 56
    unit = panel["fieldConfig"]["defaults"]["unit"]
    values = [v for line in series.values() for v in line if v is not None]
    body = [f"<h2>{html.escape(panel['title'])}</h2>"]
    if not values:
        body.append('<p class="nodata">No data</p>')
        return f'<section class="panel">{"".join(body)}</section>'
    peak = 1.0 if panel["fieldConfig"]["defaults"].get("max") == 1 else (max(values) or 1.0) * 1.1
    svg = [f'<svg viewBox="0 0 {width} {height + 32}">']
    for frac in (0, 0.5, 1):
        y = top + height * (1 - frac)
        svg.append(f'<line x1="{left}" x2="{width}" y1="{y}" y2="{y}" class="grid"/>')
        svg.append(
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{fmt(peak * frac, unit)}</text>'
        )
    keys = []
    for n, (name, line) in enumerate(sorted(series.items())):
        colour = COLOURS[n % len(COLOURS)]
        steps = len(line) - 1 or 1
        runs, run = [], []
        for i, v in enumerate(line):
            if v is None:
                runs, run = [*runs, run] if run else runs, []
                continue
            x = left + (width - left) * i / steps
            run.append(f"{x:.1f},{top + height * (1 - v / peak):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            svg.append(f'<polyline points="{" ".join(points)}" stroke="{colour}"/>')
        keys.append(f'<span><i style="background:{colour}"></i>{html.escape(name)}</span>')
    svg.append(f'<text x="{left}" y="{height + 26}">60 min ago</text>')
    svg.append(f'<text x="{width}" y="{height + 26}" text-anchor="end">now</text></svg>')
    body.append("".join(svg))
    body.append(f'<p class="keys">{"".join(keys[:8])}</p>')
    return f'<section class="panel">{"".join(body)}</section>'


PAGE = """<!doctype html><meta charset="utf-8"><style>
body {{ font: 13px system-ui, sans-serif; margin: 12px; background: #f4f5f7; color: #1d2125;
  width: 1176px; }}
header p {{ margin: 2px 0 10px; color: #5b636b; }}
main {{ display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }}
.panel {{ background: #fff; border: 1px solid #cfd4da; border-radius: 4px; padding: 6px 10px; }}
h1 {{ font-size: 18px; margin: 0; }} h2 {{ font-size: 14px; margin: 0 0 4px; }}
svg {{ width: 100%; }} polyline {{ fill: none; stroke-width: 1.6; }}
text {{ font-size: 10px; fill: #5b636b; }} .grid {{ stroke: #e3e6ea; }}
.keys span {{ margin-right: 12px; }}
.keys i {{ display: inline-block; width: 14px; height: 3px; margin-right: 4px;
  vertical-align: middle; }}
.nodata {{ color: #5b636b; height: 160px; display: grid; place-items: center; margin: 0; }}
</style><header><h1>{title}</h1><p>{note}</p></header><main>{panels}</main>"""


def main() -> None:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    rng = random.Random(19)
    folder = Path(tempfile.mkdtemp(prefix="rentcal-dashboard-"))
    cal = rentcal.connect(f"sqlite:///{folder / 'rentcal.db'}", clock=Clock())
    cal.add_member("ada", name="Ada Admin", admin=True)
    cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
    machines = ["tractor", "saw", "press", "lathe"]
    for name in machines:
        cal.add_machine(name, daily_price="50.00", auto_approve=True, acting="ada")
    client = TestClient(create_app(cal, Settings()), base_url="http://testserver")
    client.headers["Authorization"] = f"Bearer {cal.create_token('bob')[1]}"
    scrapes = [scrape()]
    for minute in range(60):
        traffic(client, machines, minute, rng)
        scrapes.append(scrape())
    cal.close()
    sections = []
    for panel in sorted(board["panels"], key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"])):
        series: dict[str, list[float | None]] = {}
        for t in range(1, len(scrapes)):
            for target in panel["targets"]:
                value = Evaluator(target["expr"], scrapes[t], scrapes[t - 1]).run()
                points = {frozenset(): value} if isinstance(value, float) else value
                for labels, v in points.items():
                    name = legend(target["legendFormat"], labels) or target["refId"]
                    line = series.setdefault(name, [None] * (len(scrapes) - 1))
                    line[t - 1] = None if math.isnan(v) else v
        sections.append(panel_svg(panel, series))
    note = (
        "Not a Grafana screenshot: each panel's own PromQL from docs/grafana-dashboard.json, "
        "evaluated by docs/img/make_dashboard_picture.py over 60 scrapes of /metrics taken while "
        "an hour of real requests (squeezed into seconds) went through the app; "
        "1-minute rate window."
    )
    page_html = PAGE.format(title=html.escape(board["title"]), note=note, panels="".join(sections))
    page_file = folder / "dashboard.html"
    page_file.write_text(page_html, encoding="utf-8")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(page_file.as_uri())
        page.screenshot(path=str(OUT), full_page=True)
        browser.close()
    print(OUT)


if __name__ == "__main__":
    main()
