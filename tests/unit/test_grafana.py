"""The Grafana dashboard, the Prometheus scrape config and the alert rules, checked offline: every PromQL
expression parses, and every metric (and label) it reads exists on a live scrape of the exporter over
seeded ImportLogs in the real test Mongo. (No Grafana or Prometheus server can run here: see
docs/operations.md.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser as pp
import pytest
import yaml

from jobfeed import constants as C
from jobfeed.store import Store
from tests.support.metrics import scrape, seed_everything, serving
from tests.support.paths import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
PROMETHEUS = ROOT / "deploy" / "prometheus"
PROMETHEUS_OWN = {"up"}  # series Prometheus makes itself for every target, never on /metrics
# Grafana's variables, replaced by a value of the right kind before PromQL parsing
GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1h", "$__range": "1d", "$feed": ".*"}
LABEL_VALUES = re.compile(r"^label_values\((?P<metric>[a-zA-Z_:][\w:]*)\s*,\s*(?P<label>\w+)\)$")
PANEL_TYPES = {"row", "stat", "timeseries", "table", "bargauge", "gauge", "barchart", "piechart", "text"}


def dashboard() -> dict[str, Any]:
    return json.loads((GRAFANA / "jobfeed.json").read_text())


def alert_rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def panel_queries() -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every query target of every panel."""
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]


def promql(expr: str) -> pp.Expr:
    for name, stand_in in GRAFANA_VARS.items():
        expr = expr.replace(name, stand_in)
    return pp.parse(expr)


def selectors(node: Any) -> Iterator[pp.VectorSelector]:
    """Every vector selector in a parsed PromQL expression."""
    if isinstance(node, pp.VectorSelector):
        yield node
    elif isinstance(node, pp.MatrixSelector):
        yield node.vector_selector
    elif isinstance(node, pp.Call):
        for arg in node.args:
            yield from selectors(arg)
    elif isinstance(node, pp.BinaryExpr):
        yield from selectors(node.lhs)
        yield from selectors(node.rhs)
    elif isinstance(node, (pp.AggregateExpr, pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        yield from selectors(node.expr)
    else:
        assert isinstance(node, (pp.NumberLiteral, pp.StringLiteral)), f"unhandled PromQL node {type(node)}"


def used_series(expr: str) -> set[tuple[str, frozenset[str]]]:
    """(metric name, label names matched) of every selector of an expression."""
    found = set()
    for selector in selectors(promql(expr)):
        assert selector.name, f"a selector without a metric name in {expr!r}"
        labels = frozenset(m.name for m in selector.matchers.matchers if m.name != "__name__")
        found.add((selector.name, labels))
    return found


def every_query() -> list[tuple[str, str]]:
    """Dashboard panels and variables, and alert rules: (where, PromQL)."""
    queries = list(panel_queries())
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            match = LABEL_VALUES.match(variable["query"]["query"])
            assert match, f"variable {variable['name']}: expected label_values(metric, label)"
            queries.append((f"variable {variable['name']}", f"{match['metric']}{{{match['label']}!=''}}"))
    queries += [(f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules()]
    return queries


def live_series(store: Store) -> dict[str, set[str]]:
    """Sample name -> label names, from one scrape of the exporter over seeded data (every family has samples)."""
    seed_everything(store)
    with serving(lambda: store) as url:
        samples = scrape(url)
    exposed: dict[str, set[str]] = {}
    for name, labels in samples:
        exposed.setdefault(name, set()).update(label for label, _ in labels)
    return exposed


def test_every_metric_and_label_the_dashboard_and_alerts_read_is_on_metrics(store: Store) -> None:
    exposed = live_series(store)
    assert exposed["jobfeed_store_up"] == set()
    missing = []
    for where, expr in every_query():
        for name, labels in used_series(expr):
            if name in PROMETHEUS_OWN:
                continue
            if name not in exposed:
                missing.append(f"{where}: no metric {name}")
            elif not labels <= exposed[name]:
                missing.append(f"{where}: {name} has no label {sorted(labels - exposed[name])}")
    assert not missing, "\n".join(missing)


def test_the_dashboard_has_the_panels_of_the_issue_and_imports_cleanly() -> None:
    board = dashboard()
    assert board["uid"] == "jobfeed" and board["schemaVersion"] >= 36 and board["title"]
    panels = board["panels"]
    titles = {panel["title"] for panel in panels}
    wanted = {"Runs by status", "Jobs new / updated / closed", "Fetch latency", "Feed failures by reason",
              "Item failures by reason", "Last success per feed"}  # fmt: skip
    assert wanted <= titles
    assert len({panel["id"] for panel in panels}) == len(panels)
    variables = {variable["name"] for variable in board["templating"]["list"]}
    assert "datasource" in variables
    for panel in panels:
        assert panel["type"] in PANEL_TYPES and {"h", "w", "x", "y"} <= set(panel["gridPos"])
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert refs and len(set(refs)) == len(refs), panel["title"]
    for where, expr in panel_queries():  # every expression is valid PromQL once Grafana's variables are in
        assert promql(expr) is not None, where


def test_alert_rules_are_well_formed() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(set(names)) == len(names)
    assert {"JobfeedFeedNoSuccess", "JobfeedFeedFailuresRising", "JobfeedDatabaseDown"} <= set(names)
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smhd]", rule.get("for", "0s")), rule["alert"]
        promql(rule["expr"])  # raises on invalid PromQL
    no_success = next(rule for rule in rules if rule["alert"] == "JobfeedFeedNoSuccess")
    assert "3 * 3600" in no_success["expr"]  # the issue's threshold: no success for 3 h


def test_prometheus_scrapes_the_exporter_and_loads_the_rules() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "jobfeed"]
    assert job["metrics_path"] == "/metrics"
    targets = [target for group in job["static_configs"] for target in group["targets"]]
    assert targets == [f"127.0.0.1:{C.METRICS_PORT}"] and C.METRICS_PORT == 9491
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS / rule_file).is_file()
    alerts_job = {m["job"] for rule in alert_rules() for m in _matchers(rule["expr"], "up")}
    assert alerts_job == {"jobfeed"}  # the exporter-down alert names this scrape job
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards.yml").read_text())
    assert provider["providers"][0]["type"] == "file"
    source = yaml.safe_load((GRAFANA / "provisioning" / "datasources.yml").read_text())
    assert source["datasources"][0]["type"] == "prometheus"


def _matchers(expr: str, metric: str) -> Iterator[dict[str, str]]:
    for selector in selectors(promql(expr)):
        if selector.name == metric:
            yield {m.name: m.value for m in selector.matchers.matchers}


def test_the_checker_finds_a_missing_metric_and_label() -> None:
    assert used_series('sum by (reason) (increase(jobfeed_nope_total{feed=~"$feed"}[$__interval]))') == {
        ("jobfeed_nope_total", frozenset({"feed"}))
    }
    assert ("x", frozenset()) in used_series("histogram_quantile(0.9, rate(x[5m])) / on (a) group_left y offset 1h")
    with pytest.raises(Exception):  # noqa: B017 - promql_parser raises a plain Exception subclass of its own
        promql("sum(rate(x[5m]")
    assert not Path(GRAFANA / "jobfeed.json").read_text().count("${DS_")  # no import-only placeholders
