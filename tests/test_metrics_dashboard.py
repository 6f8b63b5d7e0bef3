"""docs/grafana-dashboard.json: importable, one panel per figure of the design's
metrics dashboard, and every query names only what the app really exports.

The app is scraped after a few requests (``/metrics``, parsed with
prometheus-client's own parser); each panel's PromQL is taken apart (metric
names, label matchers, ``by`` labels) and checked against the samples. A
renamed metric or label in the code fails here, so the dashboard cannot drift.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rentcal.web import Settings, metrics
from tests.web_support import Web

DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json"
#: The figures the design's dashboard lists, and the request rate.
FIGURES = {
    "Calendar load time",
    "Availability check time",
    "Form submission success rate",
    "API error rate",
    "Database queries per request",
    "Cache hit rate",
    "Request rate",
}
#: PromQL words that are not metric names.
PROMQL = {
    "sum", "rate", "histogram_quantile", "scalar", "vector", "by", "without", "on", "ignoring",
    "and", "or", "unless", "le",
}  # fmt: skip
#: Values a label may take that a few requests do not show (no 5xx on purpose).
CLOSED = {"status": set(metrics.STATUSES)}
SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def expressions() -> Iterator[tuple[str, str]]:
    for panel in dashboard()["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    """Sample name -> the label sets the app exports, after the requests every panel needs."""
    import rentcal
    from tests.conftest import BUSY_TIMEOUT, make_clock, seed

    url = f"sqlite:///{tmp_path_factory.mktemp('dash')}/rentcal.db"
    with rentcal.connect(url, clock=make_clock(), busy_timeout=BUSY_TIMEOUT) as cal:
        web = Web(seed(cal), Settings(metrics=True))
        client = web.as_("bob")
        days = {"start": "2030-01-20", "end": "2030-01-21"}
        client.get("/api/events", params={"start": "2030-01-01", "end": "2030-02-01"})
        client.get("/api/machines/tractor/events", params={"start": "2030-01-01"})
        client.post("/api/check-availability", json={"machine": "tractor", **days})
        client.post("/api/rentals", json={"machine": "saw", **days})
        client.post("/api/rentals", json={"machine": "saw", **days})  # unavailable
        client.get("/api/rentals/999")  # 404
        answer = web.as_("ada").get("/metrics")  # an admin's token
        assert answer.status_code == 200, answer.text
        text = answer.text
    found: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, []).append(dict(s.labels))
    return found


class TestShape:
    """A standard dashboard Grafana imports: a datasource input, one panel per figure."""

    def test_importable(self) -> None:
        board = dashboard()
        assert 36 <= board["schemaVersion"] <= 41
        assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
            assert panel["targets"] and {"h", "w", "x", "y"} <= set(panel["gridPos"])
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs)), panel["title"]

    def test_every_figure_has_its_panel(self) -> None:
        assert {p["title"] for p in dashboard()["panels"]} >= FIGURES


class TestQueriesMatchTheCode:
    """Every metric, label and label value a query names is one the app exports."""

    @pytest.mark.parametrize(("title", "expr"), list(expressions()))
    def test_names_exist(
        self, exported: dict[str, list[dict[str, str]]], title: str, expr: str
    ) -> None:
        selectors = SELECTOR.findall(expr)
        for name, matchers in selectors:
            assert name in exported, f"{title}: {name} is not exported"
            label_sets = exported[name]
            for label, op, value in MATCHER.findall(matchers):
                assert any(label in labels for labels in label_sets), f"{title}: {name}.{label}"
                if op in ("=", "=~"):
                    pattern = re.escape(value) if op == "=" else value
                    values = {labels.get(label, "") for labels in label_sets}
                    values |= CLOSED.get(label, set())
                    assert any(re.fullmatch(pattern, v) for v in values), (
                        f"{title}: no {name}{{{label}{op}{value!r}}} sample"
                    )
        bare = SELECTOR.sub(" ", expr)
        bare = re.sub(r"\[[^\]]*\]|\"[^\"]*\"|\b\d+(?:\.\d+)?\b", " ", bare)
        grouped: set[str] = set()
        for group in GROUPING.findall(bare):
            grouped |= {g.strip() for g in group.split(",") if g.strip()}
        bare = GROUPING.sub(" ", bare)
        names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare)) - PROMQL
        for name in names:
            assert name in exported, f"{title}: {name} is not exported"
        used = {name for name, _ in selectors} | names
        for label in grouped:
            assert any(label in labels for name in used for labels in exported[name]), (
                f"{title}: no metric it reads has the label {label!r}"
            )
