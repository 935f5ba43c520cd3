"""Checks of the monitoring artefacts that schemas cannot make: every metric a PrometheusRule expression or a Grafana
dashboard query names is one the code exports (annostream_kernel.metrics, with the suffixes Prometheus adds), a
recording rule of the file, or a series Prometheus makes itself; every alert has a severity and a summary; rule
names are unique; the PodMonitor scrapes the ports the workloads declare; the dashboard's panels are well formed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .objects import Obj

PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE"}
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"), "gauge": ("",)}
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf",
    "nan",
}  # fmt: skip
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:.$])([A-Za-z_:][\w:]*)(\s*\()?")


def exported_metrics() -> set[str]:
    """Every series name the code exports (the kernel registry, with each type's suffixes)."""
    from annostream_kernel.metrics import REGISTRY

    names: set[str] = set()
    for family in REGISTRY.collect():
        base = family.name
        names.update(base + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels and Grafana variables left out)."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENT.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def _rules(rule_objects: list[Obj]) -> list[dict[str, Any]]:
    return [rule for obj in rule_objects for group in obj["spec"]["groups"] for rule in group["rules"]]


def check_rules(rule_objects: list[Obj], known: set[str]) -> list[str]:
    """Problems of the PrometheusRules: unknown metrics, duplicate names, alerts without severity or summary."""
    problems: list[str] = []
    rules = _rules(rule_objects)
    if not rules:
        return ["no rules in the PrometheusRule objects"]
    records = [r["record"] for r in rules if "record" in r]
    known = known | set(records) | PROMETHEUS_SERIES
    for name in {n for n in records if records.count(n) > 1}:
        problems.append(f"recording rule {name} is defined twice")
    alerts = [r["alert"] for r in rules if "alert" in r]
    for name in {n for n in alerts if alerts.count(n) > 1}:
        problems.append(f"alert {name} is defined twice")
    for rule in rules:
        label = rule.get("alert") or rule.get("record")
        names = metric_names(str(rule["expr"]))
        if not names:
            problems.append(f"{label}: its expression selects no metric")
        for name in sorted(names - known):
            problems.append(f"{label}: {name} is not a metric the code exports nor a recording rule")
        if "alert" in rule:
            if rule.get("labels", {}).get("severity") not in {"info", "warning", "critical"}:
                problems.append(f"{label}: needs a severity label (info, warning or critical)")
            if not rule.get("annotations", {}).get("summary"):
                problems.append(f"{label}: needs a summary annotation")
    return problems


def check_dashboard(path: Path, known: set[str], rule_objects: list[Obj]) -> list[str]:
    """Problems of a Grafana dashboard: JSON shape, unique panel ids, queries naming unknown metrics."""
    problems: list[str] = []
    dash = json.loads(path.read_text())
    for key in ("uid", "title", "panels"):
        if not dash.get(key):
            problems.append(f"{path}: missing {key}")
    known = known | {r["record"] for r in _rules(rule_objects) if "record" in r} | PROMETHEUS_SERIES
    ids = [p.get("id") for p in dash.get("panels", [])]
    if len(set(ids)) != len(ids):
        problems.append(f"{path}: panel ids are not unique")
    for panel in dash.get("panels", []):
        title = panel.get("title", "?")
        if not panel.get("targets"):
            problems.append(f"{path}: panel {title!r} has no query")
        for target in panel.get("targets", []):
            names = metric_names(target.get("expr", ""))
            if not names:
                problems.append(f"{path}: panel {title!r} query {target.get('refId')} selects no metric")
            for name in sorted(names - known):
                problems.append(f"{path}: panel {title!r}: {name} is not a metric the code exports")
    return problems


def check_pod_monitors(monitors: list[Obj], workloads: list[Obj]) -> list[str]:
    """Problems of PodMonitors: every endpoint's port is declared by some workload it selects."""
    problems: list[str] = []
    for monitor in monitors:
        wanted = monitor["spec"]["selector"].get("matchLabels", {})
        selected = [
            w for w in workloads if wanted.items() <= (w["spec"]["template"]["metadata"].get("labels") or {}).items()
        ]
        if not selected:
            problems.append(f"PodMonitor {monitor['metadata']['name']}: selects no workload")
        ports = {
            p.get("name")
            for w in selected
            for c in w["spec"]["template"]["spec"].get("containers", [])
            for p in c.get("ports", [])
        }
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            if endpoint.get("port") not in ports:
                problems.append(
                    f"PodMonitor {monitor['metadata']['name']}: no selected pod has port {endpoint['port']!r}"
                )
    return problems
