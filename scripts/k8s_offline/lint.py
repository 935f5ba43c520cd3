"""Cross-object checks of a rendered overlay that schema validation cannot make: references (selectors, ports,
ConfigMaps, Secrets, scale targets, Ingress backends), pinned images, probes, resources, security contexts,
network isolation, and JetStream stream replicas equal to the NATS node count."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .objects import WORKLOAD_KINDS, Obj, describe, group_of, split_image

# Secrets that the CloudNativePG operator creates for a Cluster named NAME.
CNPG_SECRET_SUFFIXES = ("-app", "-superuser")


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """Kubernetes label selector semantics (matchLabels and matchExpressions)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _template_labels(workload: Obj) -> dict[str, str]:
    return dict(((workload["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {})


def _container_ports(workload: Obj) -> list[Obj]:
    pod_spec = workload["spec"]["template"]["spec"]
    return [port for container in pod_spec.get("containers") or [] for port in container.get("ports") or []]


def _port_defined(port: Any, ports: Iterable[Obj]) -> bool:
    key = "name" if isinstance(port, str) else "containerPort"
    return any(candidate.get(key) == port for candidate in ports)


def _image_is_pinned(image: str) -> bool:
    _, tag, digest = split_image(image)
    return bool(digest) or (tag is not None and tag != "latest")


def _lint_workload(workload: Obj, by_kind: dict[str, dict[str, Obj]], cnpg_secrets: set[str]) -> list[str]:
    where = describe(workload)
    problems: list[str] = []
    spec = workload["spec"]
    if not selector_matches(spec.get("selector"), _template_labels(workload)):
        problems.append(f"{where}: selector does not match its pod template labels")
    pod_spec = spec["template"]["spec"]
    pod_security = pod_spec.get("securityContext") or {}
    if pod_security.get("runAsNonRoot") is not True:
        problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
    for volume in pod_spec.get("volumes") or []:
        config_map = (volume.get("configMap") or {}).get("name")
        if config_map and config_map not in by_kind.get("ConfigMap", {}):
            problems.append(f"{where}: volume {volume['name']} uses missing ConfigMap {config_map}")
    ports = _container_ports(workload)
    for container in pod_spec.get("containers") or []:
        cwhere = f"{where} container {container['name']}"
        if not _image_is_pinned(str(container.get("image", ""))):
            problems.append(f"{cwhere}: image {container.get('image')!r} is not pinned")
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(resources.get(section) or {})
            if missing:
                problems.append(f"{cwhere}: resources.{section} lacks {sorted(missing)}")
        for probe_name in ("readinessProbe", "livenessProbe"):
            probe = container.get(probe_name)
            if not probe:
                problems.append(f"{cwhere}: no {probe_name}")
                continue
            handler = probe.get("grpc") or probe.get("httpGet") or probe.get("tcpSocket")
            if handler and not _port_defined(handler["port"], ports):
                problems.append(f"{cwhere}: {probe_name} port {handler['port']!r} is not a container port")
        security = container.get("securityContext") or {}
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{cwhere}: allowPrivilegeEscalation is not false")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{cwhere}: readOnlyRootFilesystem is not true")
        if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{cwhere}: capabilities.drop lacks ALL")
        for source in container.get("envFrom") or []:
            name = (source.get("configMapRef") or {}).get("name")
            if name and name not in by_kind.get("ConfigMap", {}):
                problems.append(f"{cwhere}: envFrom uses missing ConfigMap {name}")
        for variable in container.get("env") or []:
            ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
            if ref and ref["name"] not in by_kind.get("Secret", {}) and ref["name"] not in cnpg_secrets:
                problems.append(f"{cwhere}: env {variable['name']} uses unknown Secret {ref['name']}")
    if workload["kind"] == "StatefulSet":
        service = by_kind.get("Service", {}).get(spec.get("serviceName", ""))
        if service is None or service["spec"].get("clusterIP") != "None":
            problems.append(f"{where}: serviceName {spec.get('serviceName')!r} is not a headless Service")
    return problems


def _lint_stream_replicas(by_kind: dict[str, dict[str, Obj]]) -> list[str]:
    """ANNOSTREAM_STREAM_REPLICAS (default 1) of every annostream ConfigMap equals the NATS node count."""
    nats = [
        s
        for s in by_kind.get("StatefulSet", {}).values()
        if _template_labels(s).get("app.kubernetes.io/name") == "nats"
    ]
    problems: list[str] = []
    for config in by_kind.get("ConfigMap", {}).values():
        data = config.get("data") or {}
        if not any(key.startswith("ANNOSTREAM_") for key in data):
            continue
        replicas = str(data.get("ANNOSTREAM_STREAM_REPLICAS", "1"))
        for statefulset in nats:
            nodes = statefulset["spec"].get("replicas", 1)
            if replicas != str(nodes):
                problems.append(
                    f"{describe(config)}: ANNOSTREAM_STREAM_REPLICAS is {replicas}, "
                    f"but {describe(statefulset)} runs {nodes} nodes"
                )
    return problems


def lint(objects: list[Obj]) -> list[str]:
    """Cross-object problems of a rendered overlay (empty when it is consistent)."""
    by_kind: dict[str, dict[str, Obj]] = {}
    for obj in objects:
        by_kind.setdefault(str(obj["kind"]), {})[str(obj["metadata"]["name"])] = obj
    workloads = [obj for obj in objects if obj["kind"] in WORKLOAD_KINDS]
    cnpg_secrets = {
        f"{name}{suffix}"
        for name, cluster in by_kind.get("Cluster", {}).items()
        if group_of(cluster) == "postgresql.cnpg.io"
        for suffix in CNPG_SECRET_SUFFIXES
    }
    problems: list[str] = []
    for workload in workloads:
        problems += _lint_workload(workload, by_kind, cnpg_secrets)

    for service in by_kind.get("Service", {}).values():
        selector = {"matchLabels": service["spec"].get("selector") or {}}
        selected = [w for w in workloads if selector_matches(selector, _template_labels(w))]
        if not service["spec"].get("selector") or not selected:
            problems.append(f"{describe(service)}: selector matches no workload")
        for port in service["spec"].get("ports") or []:
            target = port.get("targetPort", port["port"])
            if selected and not all(_port_defined(target, _container_ports(w)) for w in selected):
                problems.append(f"{describe(service)}: targetPort {target!r} is not a port of its pods")

    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        ref = hpa["spec"]["scaleTargetRef"]
        target = by_kind.get(ref["kind"], {}).get(ref["name"])
        if target is None:
            problems.append(f"{describe(hpa)}: scale target {ref['kind']}/{ref['name']} does not exist")
        elif "replicas" in target["spec"]:
            problems.append(f"{describe(target)}: sets replicas although {describe(hpa)} scales it")

    for pdb in by_kind.get("PodDisruptionBudget", {}).values():
        if not any(selector_matches(pdb["spec"].get("selector"), _template_labels(w)) for w in workloads):
            problems.append(f"{describe(pdb)}: selector matches no workload")

    for ingress in by_kind.get("Ingress", {}).values():
        for rule in ingress["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                backend = path["backend"]["service"]
                service = by_kind.get("Service", {}).get(backend["name"])
                port = backend["port"].get("name", backend["port"].get("number"))
                key = "name" if "name" in backend["port"] else "port"
                if service is None:
                    problems.append(f"{describe(ingress)}: backend Service {backend['name']} does not exist")
                elif not any(p.get(key) == port for p in service["spec"].get("ports") or []):
                    problems.append(f"{describe(ingress)}: Service {backend['name']} has no port {port!r}")

    problems += _lint_stream_replicas(by_kind)

    policies = list(by_kind.get("NetworkPolicy", {}).values())
    default_deny = [
        p
        for p in policies
        if p["spec"].get("podSelector") == {}
        and set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    if not default_deny:
        problems.append("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)")
    allowing = [p for p in policies if p not in default_deny and p["spec"].get("podSelector") != {}]
    for workload in workloads:
        labels = _template_labels(workload)
        if not any(selector_matches(p["spec"]["podSelector"], labels) for p in allowing):
            problems.append(f"{describe(workload)}: no NetworkPolicy allows any traffic to or from it")
    return problems
