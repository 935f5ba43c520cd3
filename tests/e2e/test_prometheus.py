"""The real Prometheus (Debian's `prometheus` package, `make prometheus`) scraping a running system: its scrape
configuration generated from the stack's stack.json, its rules the groups of k8s/monitoring/prometheusrule.yaml.
Every component is scraped, every rule evaluates without error, a recording rule sees a save, and the alert
expressions run (the relay-lag alert stays silent while its recording rule has series)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from annostream_cli.embedded import free_port
from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "k8s" / "monitoring" / "prometheusrule.yaml"
SAVE_RPC = "/annostream.annotation.v1.AnnotationService/SaveFrame"


def scrape_config(stack_json: dict[str, Any], rule_file: Path) -> dict[str, Any]:
    """A Prometheus configuration scraping every component listed in stack.json each second."""
    static = []
    for component, url in sorted(stack_json["metrics"].items()):
        parts = urlsplit(url)
        assert parts.path == "/metrics", url
        static.append({"targets": [parts.netloc], "labels": {"component": component}})
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rule_file)],
        "scrape_configs": [{"job_name": "annostream", "static_configs": static}],
    }


def _eventually(check: Callable[[], bool], what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


@pytest.fixture(scope="module")
def prometheus(system: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "the prometheus binary is missing: `make prometheus` installs Debian's package"
    work = tmp_path_factory.mktemp("prometheus")
    rules = work / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": yaml.safe_load(RULES.read_text())["spec"]["groups"]}))
    stack_json = json.loads((system.data_dir / "stack.json").read_text())
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(stack_json, rules)))
    port = free_port()
    log = (work / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _eventually(lambda: _ready(url, proc), f"prometheus ready ({(work / 'prometheus.log').read_text()[-2000:]})")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "prometheus exited"
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _query(url: str, expr: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", answer
    assert answer["data"]["resultType"] == "vector", answer
    return list(answer["data"]["result"])


def _save_twice(system: LocalStack) -> None:
    """Two saves a few scrapes apart: the first creates the SaveFrame series, the second is an increase of it."""
    headers = {"X-Annostream-User": "prom", "X-Annostream-Team": f"p-{uuid.uuid4().hex[:8]}"}
    with httpx.Client(base_url=system.url, headers=headers, timeout=30) as c:
        ds = c.post("/api/v1/datasets", json={"name": "prom"}).json()
        v = c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}).json()
        frames = [{"id": f"p{i}", "sources": [{"uri": f"s3://b/p{i}.jpg", "width": 64, "height": 48}]} for i in (1, 2)]
        assert c.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}).status_code == 200
        roi = {"type": "rectangle", "points": [[1, 1], [9, 9]], "labels": ["car"]}
        body = {"expected_version": 0, "commands": [{"create_roi": {"roi": roi}}]}
        for i in (1, 2):
            assert c.post(f"/api/v1/versions/{v['version_id']}/frames/p{i}/save", json=body).status_code == 200
            time.sleep(2.5)


def test_prometheus_scrapes_every_component_and_evaluates_the_shipped_rules(
    system: LocalStack, prometheus: str
) -> None:
    components = set(json.loads((system.data_dir / "stack.json").read_text())["metrics"])

    def all_up() -> bool:
        up = _query(prometheus, 'up{job="annostream"} == 1')
        return {s["metric"]["component"] for s in up} == components

    _eventually(all_up, "every component scraped")
    _save_twice(system)

    def save_recorded() -> bool:
        series = _query(prometheus, f'annostream:grpc_server_requests:rate5m{{method="{SAVE_RPC}", code="OK"}}')
        return bool(series) and float(series[0]["value"][1]) > 0

    _eventually(save_recorded, "the recording rule annostream:grpc_server_requests:rate5m saw the save")
    _eventually(lambda: bool(_query(prometheus, "annostream:relay_lag_seconds:max")), "relay lag recorded")
    schemas = {s["metric"]["schema"] for s in _query(prometheus, "annostream:relay_lag_seconds:max")}
    assert "annotation" in schemas

    groups = yaml.safe_load(RULES.read_text())["spec"]["groups"]
    alerts = {r["alert"]: r["expr"] for g in groups for r in g["rules"] if "alert" in r}
    for expr in alerts.values():  # every alert expression runs on the real series
        _query(prometheus, expr)
    assert _query(prometheus, alerts["AnnostreamRelayLagging"]) == []  # the relay keeps up: silent

    def rules_evaluated() -> bool:
        answer = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()
        rules = [r for g in answer["data"]["groups"] for r in g["rules"]]
        return len(rules) == sum(len(g["rules"]) for g in groups) and all(
            r["health"] == "ok" and not r.get("lastError") for r in rules
        )

    _eventually(rules_evaluated, "every rule of the PrometheusRule loaded and evaluated without error")
