"""Every component's Prometheus metrics, scraped around a save on a running system: the gateway counts the route,
the annotation service the RPC and the relay the events, the consumers downstream what they applied; lags, dead
letters and pool gauges are exported."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e
SAVE_ROUTE = "/api/v1/versions/{version_id}/frames/{frame_id}/save"
SAVE_RPC = "/annostream.annotation.v1.AnnotationService/SaveFrame"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _scrape(url: str) -> Samples:
    text = httpx.get(url, timeout=10).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def _eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_save_moves_the_counters_of_every_component_it_reaches(system: LocalStack) -> None:
    urls = json.loads((system.data_dir / "stack.json").read_text())["metrics"]
    assert set(urls) == {"datasets", "tasks", "iterator", "annotation", "webhooks", "gateway"}
    headers = {"X-Annostream-User": "metrics", "X-Annostream-Team": f"m-{uuid.uuid4().hex[:8]}"}
    with httpx.Client(base_url=system.url, headers=headers, timeout=30) as c:
        ds = c.post("/api/v1/datasets", json={"name": "metrics"}).json()
        v = c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}).json()
        frame = {"id": "m1", "sources": [{"uri": "s3://b/m1.jpg", "width": 64, "height": 48}]}
        assert c.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).status_code == 200
        before = {name: _scrape(url) for name, url in urls.items()}
        roi = {"type": "rectangle", "points": [[1, 1], [9, 9]], "labels": ["car"]}
        body = {"expected_version": 0, "commands": [{"create_roi": {"roi": roi}}]}
        saved = c.post(f"/api/v1/versions/{v['version_id']}/frames/m1/save", json=body)
        assert saved.status_code == 200, saved.text

    def moved(component: str, name: str, **labels: str) -> bool:
        return _value(_scrape(urls[component]), name, **labels) > _value(before[component], name, **labels)

    assert moved("gateway", "annostream_http_requests_total", method="POST", route=SAVE_ROUTE, status="200")
    assert moved("annotation", "annostream_grpc_server_handled_total", method=SAVE_RPC, code="OK")
    assert moved("gateway", "annostream_grpc_client_handled_total", method=SAVE_RPC, code="OK")  # client side
    assert _value(_scrape(urls["gateway"]), "annostream_grpc_client_handling_seconds_count", method=SAVE_RPC) >= 1
    after = _scrape(urls["annotation"])
    assert _value(after, "annostream_grpc_server_handling_seconds_count", method=SAVE_RPC) >= 1
    _eventually(lambda: moved("annotation", "annostream_relay_published_events_total", schema="annotation"), "relay")
    _eventually(
        lambda: moved("datasets", "annostream_consumer_applied_events_total", consumer="datasets-stats"),
        "the datasets service's statistics consumer applied the save's events",
    )
    _eventually(
        lambda: moved("iterator", "annostream_consumer_applied_events_total", consumer="iterator-annotation"),
        "the iterator's annotation consumer applied the save's events",
    )
    _eventually(
        lambda: "annostream_relay_lag_seconds" in _names(_scrape(urls["annotation"])),
        "sampled gauges (first sample after the interval)",
        timeout=15,
    )
    gauges = _scrape(urls["iterator"])
    assert {"annostream_consumer_lag_events", "annostream_db_pool_connections", "annostream_leases_held"} <= _names(
        gauges
    )
    assert _value(gauges, "annostream_consumer_lag_events", consumer="iterator-annotation") >= 0


def test_a_gateway_with_metrics_off_its_public_port_serves_them_on_the_metrics_port_only() -> None:
    from fastapi.testclient import TestClient

    from annostream_cli.embedded import free_port
    from annostream_gateway.app import create_app
    from annostream_gateway.config import GatewaySettings

    port = free_port()
    settings = GatewaySettings(metrics_on_http=False, metrics_port=port, http_port=0)
    with TestClient(create_app(settings)) as client:
        client.get("/healthz")
        public = client.get("/metrics")
        assert public.status_code == 404
        assert public.json()["error"] == "NOT_FOUND"
        apart = _scrape(f"http://127.0.0.1:{port}/metrics")
    assert _value(apart, "annostream_http_requests_total", method="GET", route="/healthz", status="200") >= 1
