"""The monitoring checks of scripts/deploy_k8s.py: metric names are read out of PromQL without functions, labels,
keywords or Grafana variables; rules naming a metric the code does not export, alerts without severity, and
PodMonitors scraping a port no pod has are reported; the shipped rules and dashboard pass."""

from __future__ import annotations

import importlib
import json
from typing import Any

from .artefacts import ROOT, deploy_k8s

monitoring = importlib.import_module("k8s_offline.monitoring")  # scripts/ is on sys.path once deploy_k8s is loaded


def _rule_object(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PrometheusRule", "spec": {"groups": [{"name": "g", "rules": list(rules)}]}}


def test_metric_names_leave_out_functions_labels_keywords_and_variables() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, method) (rate(annostream_grpc_server_handling_seconds_bucket"
        '{method!~"a|b", code="OK"}[$__rate_interval]))) > bool 1 and on (method) up offset 5m'
    )
    assert monitoring.metric_names(expr) == {"annostream_grpc_server_handling_seconds_bucket", "up"}
    assert monitoring.metric_names("annostream:relay_lag_seconds:max > 30") == {"annostream:relay_lag_seconds:max"}


def test_rules_naming_unknown_metrics_or_alerts_without_severity_are_reported() -> None:
    known = monitoring.exported_metrics()
    assert {"annostream_relay_lag_seconds", "annostream_grpc_client_handled_total"} <= known
    problems = monitoring.check_rules(
        [
            _rule_object(
                {"record": "x:lag:max", "expr": "max(annostream_relay_lag_seconds)"},
                {
                    "alert": "A",
                    "expr": "x:lag:max > 1",
                    "labels": {"severity": "warning"},
                    "annotations": {"summary": "s"},
                },
                {"alert": "B", "expr": "rate(annostream_nothing_total[5m]) > 0", "annotations": {"summary": "s"}},
            )
        ],
        known,
    )
    assert problems == [
        "B: annostream_nothing_total is not a metric the code exports nor a recording rule",
        "B: needs a severity label (info, warning or critical)",
    ]


def test_a_pod_monitor_port_that_no_pod_declares_is_reported() -> None:
    workloads = [o for o in deploy_k8s.build(ROOT / "k8s" / "overlays" / "dev") if o["kind"] == "Deployment"]
    monitor = {
        "metadata": {"name": "m"},
        "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "annostream"}}, "podMetricsEndpoints": [
            {"port": "metrics"}, {"port": "prom"}]},
    }  # fmt: skip
    assert monitoring.check_pod_monitors([monitor], workloads) == ["PodMonitor m: no selected pod has port 'prom'"]


def test_the_shipped_rules_dashboard_and_pod_monitor_pass() -> None:
    objects = deploy_k8s.build(ROOT / "k8s" / "monitoring")
    rules = [o for o in objects if o["kind"] == "PrometheusRule"]
    workloads = [o for o in deploy_k8s.build(ROOT / "k8s" / "overlays" / "prod") if o["kind"] == "Deployment"]
    known = monitoring.exported_metrics()
    dashboard = ROOT / "deploy" / "grafana" / "annostream-dashboard.json"
    assert monitoring.check_rules(rules, known) == []
    assert monitoring.check_dashboard(dashboard, known, rules) == []
    assert monitoring.check_pod_monitors([o for o in objects if o["kind"] == "PodMonitor"], workloads) == []
    alerts = {r["alert"] for g in rules[0]["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert {"AnnostreamRelayLagging", "AnnostreamConsumerLagging", "AnnostreamDeadLetters"} <= alerts
    assert {"AnnostreamGrpcErrors", "AnnostreamHttpErrors", "AnnostreamGrpcSlow", "AnnostreamHttpSlow"} <= alerts
    assert len(json.loads(dashboard.read_text())["panels"]) >= 10
