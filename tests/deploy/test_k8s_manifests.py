"""The Kubernetes overlays, as scripts/deploy_k8s.py renders them, say what docs/deploy.md says."""

from __future__ import annotations

from typing import Any

from .artefacts import COMPONENTS, GRPC_PORTS, ROOT, by_kind, deploy_k8s


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
    assert container["ports"] == [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9464, "protocol": "TCP"},
    ]


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


def test_network_policies_isolate_everything_but_the_gateway_and_metrics_scrapes(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
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
    assert from_outside == ["annostream-gateway", "allow-prometheus-scrape"]
    scrape = policies["allow-prometheus-scrape"]["spec"]["ingress"]
    assert scrape[0]["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    assert [p["port"] for p in scrape[0]["ports"]] == [9464]  # every component's metrics port, the gateway's too
    deployments = by_kind(objects, "Deployment")
    gateway = deployments["annostream-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "ANNOSTREAM_METRICS_ON_HTTP", "value": "false"} in gateway["env"]  # not through the Ingress
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in gateway["ports"]
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


def test_only_the_webhooks_pods_reach_outside_the_cluster_and_never_its_private_ranges(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    policies = by_kind(objects, "NetworkPolicy")
    outside = {
        name
        for name, policy in policies.items()
        for rule in policy["spec"].get("egress", [])
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    }
    assert outside == {"annostream-webhooks-egress"}
    policy = policies["annostream-webhooks-egress"]["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "webhooks"
    blocks = {peer["ipBlock"]["cidr"]: set(peer["ipBlock"]["except"]) for peer in policy["egress"][0]["to"]}
    private_v4 = {"10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"}
    assert blocks == {"0.0.0.0/0": private_v4, "::/0": {"fc00::/7", "fe80::/10", "::1/128"}}
