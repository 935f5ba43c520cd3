"""Offline build and checks of the Kubernetes manifests in k8s/ (run by scripts/deploy_check.sh).

    python scripts/deploy_k8s.py render  OVERLAY --out DIR
    python scripts/deploy_k8s.py compare OVERLAY KUBECTL_OUTPUT
    python scripts/deploy_k8s.py lint    OVERLAY

`render` builds a kustomization the way `kubectl kustomize` does, for the subset of kustomize that
k8s/ uses: `resources` (files and kustomization directories), `namespace`, `images` and `patches`
holding JSON 6902 operations with a `target` (group, version, kind, name; kind and name are
anchored regular expressions). Anything else in a kustomization is an error, and so is a patch
whose target matches nothing (kustomize would silently skip it). It writes DIR/manifests.yaml with
the built-in kinds (for kubernetes-validate) and DIR/custom/<group>_<Kind>_<name>.yaml for each
custom resource (validated against a JSON schema of its own).

`compare` checks that the output of `kubectl kustomize OVERLAY` holds exactly the objects `render`
builds, so the validated manifests are the ones `kubectl apply -k` applies.

`lint` checks what schema validation cannot: references between objects (selectors, ports,
ConfigMaps, Secrets, scale targets, Ingress backends), pinned images, probes, resources, security
contexts, network isolation, and JetStream stream replicas equal to the NATS node count.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

KUSTOMIZATION_FILE = "kustomization.yaml"
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
PATCH_KEYS = {"target", "patch", "path"}
TARGET_KEYS = {"group", "version", "kind", "name"}
IMAGE_KEYS = {"name", "newName", "newTag", "digest"}
CLUSTER_SCOPED_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
}
BUILTIN_GROUPS = {
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apps",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
# Secrets that the CloudNativePG operator creates for a Cluster named NAME.
CNPG_SECRET_SUFFIXES = ("-app", "-superuser")


class DeployError(Exception):
    """A kustomization this renderer cannot build, or a failed check."""


# ---------------------------------------------------------------------------------------------
# Object helpers


def group_of(obj: Obj) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.split("/")[0] if "/" in api_version else ""


def version_of(obj: Obj) -> str:
    return str(obj.get("apiVersion", "")).split("/")[-1]


def ident(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (group_of(obj), str(obj.get("kind")), str(meta.get("namespace", "")), str(meta.get("name")))


def describe(obj: Obj) -> str:
    return f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"


def is_custom(obj: Obj) -> bool:
    return group_of(obj) not in BUILTIN_GROUPS


def load_documents(path: Path) -> list[Obj]:
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise DeployError(f"{path}: every document must be a Kubernetes object")
    return docs


# ---------------------------------------------------------------------------------------------
# JSON 6902 (RFC 6902 operations on RFC 6901 pointers)


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise DeployError(f"JSON pointer {pointer!r} must start with '/'")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise DeployError(f"list index {token!r} is not a number")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise DeployError(f"list index {index} out of range")
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise DeployError("operations on the whole document are not supported")
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token, pointer)
    return node, tokens[-1]


def _child(node: Any, token: str, pointer: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise DeployError(f"path {pointer!r}: no member {token!r}")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, token, allow_end=False)]
    raise DeployError(f"path {pointer!r}: {token!r} is below a scalar")


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        node = _child(node, token, pointer)
    return node


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, allow_end=True), value)
    else:
        raise DeployError(f"path {pointer!r}: parent is a scalar")


def _remove(doc: Any, pointer: str) -> Any:
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        if token not in parent:
            raise DeployError(f"path {pointer!r}: nothing to remove")
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(parent, token, allow_end=False))
    raise DeployError(f"path {pointer!r}: parent is a scalar")


def apply_json6902(doc: Obj, operations: list[Any]) -> None:
    """Apply RFC 6902 operations to `doc` in place."""
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise DeployError(f"not a JSON 6902 operation: {operation!r}")
        op, path = operation["op"], str(operation["path"])
        if op == "add":
            _add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "remove":
            _remove(doc, path)
        elif op == "replace":
            _remove(doc, path)
            _add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "move":
            _add(doc, path, _remove(doc, str(operation["from"])))
        elif op == "copy":
            _add(doc, path, copy.deepcopy(_get(doc, str(operation["from"]))))
        elif op == "test":
            if _get(doc, path) != operation["value"]:
                raise DeployError(f"test failed at {path!r}")
        else:
            raise DeployError(f"unknown JSON 6902 operation {op!r}")


# ---------------------------------------------------------------------------------------------
# Kustomize subset


def _check_keys(where: str, mapping: Any, allowed: set[str]) -> None:
    if not isinstance(mapping, dict):
        raise DeployError(f"{where}: expected a mapping")
    unknown = set(mapping) - allowed
    if unknown:
        raise DeployError(f"{where}: unsupported field(s) {sorted(unknown)} (supported: {sorted(allowed)})")


def _matches(target: dict[str, str], obj: Obj) -> bool:
    if "group" in target and target["group"] != group_of(obj):
        return False
    if "version" in target and target["version"] != version_of(obj):
        return False
    if "kind" in target and not re.fullmatch(target["kind"], str(obj.get("kind"))):
        return False
    name = str((obj.get("metadata") or {}).get("name"))
    return not ("name" in target and not re.fullmatch(target["name"], name))


def _apply_patch(objects: list[Obj], patch: Any, base_dir: Path, where: str) -> None:
    _check_keys(where, patch, PATCH_KEYS)
    if ("patch" in patch) == ("path" in patch):
        raise DeployError(f"{where}: give exactly one of `patch` and `path`")
    if "target" not in patch:
        raise DeployError(f"{where}: JSON 6902 patches need a `target`")
    target = patch["target"]
    _check_keys(f"{where}.target", target, TARGET_KEYS)
    text = patch["patch"] if "patch" in patch else (base_dir / patch["path"]).read_text()
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise DeployError(f"{where}: only JSON 6902 patches (a list of operations) are supported")
    selected = [obj for obj in objects if _matches(target, obj)]
    if not selected:
        raise DeployError(f"{where}: target {target} matches no resource")
    for obj in selected:
        try:
            apply_json6902(obj, operations)
        except DeployError as exc:
            raise DeployError(f"{where} on {describe(obj)}: {exc}") from exc


def _split_image(reference: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    if "@" in reference:
        name, digest = reference.split("@", 1)
        return name, None, digest
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1 :], None
    return reference, None, None


def _pod_specs(obj: Obj) -> Iterator[Obj]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        yield spec
    template = (spec.get("template") or {}).get("spec")
    if isinstance(template, dict):
        yield template
    job = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    if isinstance(job, dict):
        yield job


def _containers(pod_spec: Obj) -> Iterator[Obj]:
    yield from pod_spec.get("initContainers") or []
    yield from pod_spec.get("containers") or []


def _apply_image(objects: list[Obj], image: Any, where: str) -> None:
    _check_keys(where, image, IMAGE_KEYS)
    for obj in objects:
        for pod_spec in _pod_specs(obj):
            for container in _containers(pod_spec):
                name, tag, digest = _split_image(str(container.get("image", "")))
                if name != image["name"]:
                    continue
                name = image.get("newName", name)
                if "digest" in image:
                    container["image"] = f"{name}@{image['digest']}"
                elif "newTag" in image:
                    container["image"] = f"{name}:{image['newTag']}"
                elif digest:
                    container["image"] = f"{name}@{digest}"
                else:
                    container["image"] = f"{name}:{tag}" if tag else name


def _set_namespace(objects: list[Obj], namespace: str) -> None:
    for obj in objects:
        if obj.get("kind") in {"RoleBinding", "ClusterRoleBinding"}:
            raise DeployError(f"{describe(obj)}: namespacing role binding subjects is not supported")
        if obj.get("kind") not in CLUSTER_SCOPED_KINDS:
            obj.setdefault("metadata", {})["namespace"] = namespace


def build(directory: Path) -> list[Obj]:
    """The objects of the kustomization in `directory`, transformed like kustomize does."""
    kfile = directory / KUSTOMIZATION_FILE
    if not kfile.is_file():
        raise DeployError(f"{directory}: no {KUSTOMIZATION_FILE}")
    spec = yaml.safe_load(kfile.read_text()) or {}
    _check_keys(str(kfile), spec, KUSTOMIZATION_KEYS)
    objects: list[Obj] = []
    for entry in spec.get("resources") or []:
        resource = directory / entry
        if resource.is_dir():
            objects.extend(build(resource))
        elif resource.is_file():
            objects.extend(load_documents(resource))
        else:
            raise DeployError(f"{kfile}: resource {entry!r} is neither a file nor a directory")
    seen: set[tuple[str, str, str, str]] = set()
    for obj in objects:
        if ident(obj) in seen:
            raise DeployError(f"{kfile}: {describe(obj)} is defined twice")
        seen.add(ident(obj))
    # Transformer order of kustomize: patches, namespace, images.
    for number, patch in enumerate(spec.get("patches") or []):
        _apply_patch(objects, patch, directory, f"{kfile}: patches[{number}]")
    if spec.get("namespace"):
        _set_namespace(objects, str(spec["namespace"]))
    for number, image in enumerate(spec.get("images") or []):
        _apply_image(objects, image, f"{kfile}: images[{number}]")
    return objects


def render(overlay: Path, out: Path) -> tuple[Path, list[Path]]:
    """Write the built-in objects to out/manifests.yaml and each custom resource to out/custom/."""
    objects = build(overlay)
    out.mkdir(parents=True, exist_ok=True)
    manifests = out / "manifests.yaml"
    builtin = [obj for obj in objects if not is_custom(obj)]
    manifests.write_text(yaml.safe_dump_all(builtin, sort_keys=False))
    custom_dir = out / "custom"
    custom_dir.mkdir(exist_ok=True)
    custom_files = []
    for obj in objects:
        if is_custom(obj):
            path = custom_dir / f"{group_of(obj)}_{obj['kind']}_{obj['metadata']['name']}.yaml"
            path.write_text(yaml.safe_dump(obj, sort_keys=False))
            custom_files.append(path)
    return manifests, custom_files


def compare(overlay: Path, kubectl_output: Path) -> list[str]:
    """Differences between `render` and the output of `kubectl kustomize`."""
    ours = {ident(obj): obj for obj in build(overlay)}
    theirs = {ident(obj): obj for obj in load_documents(kubectl_output)}
    problems = [f"only in kubectl kustomize: {key}" for key in sorted(theirs.keys() - ours.keys())]
    problems += [f"only in deploy_k8s.py: {key}" for key in sorted(ours.keys() - theirs.keys())]
    problems += [f"differs: {key}" for key in sorted(ours.keys() & theirs.keys()) if ours[key] != theirs[key]]
    return problems


# ---------------------------------------------------------------------------------------------
# Lint


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
    _, tag, digest = _split_image(image)
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


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    render_cmd = commands.add_parser("render", help="build an overlay into a directory")
    render_cmd.add_argument("overlay", type=Path)
    render_cmd.add_argument("--out", type=Path, required=True)
    compare_cmd = commands.add_parser("compare", help="compare with the output of kubectl kustomize")
    compare_cmd.add_argument("overlay", type=Path)
    compare_cmd.add_argument("kubectl_output", type=Path)
    lint_cmd = commands.add_parser("lint", help="cross-reference checks of a built overlay")
    lint_cmd.add_argument("overlay", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "render":
            manifests, custom = render(args.overlay, args.out)
            print(f"rendered {args.overlay} -> {manifests} and {len(custom)} custom resource file(s)")
            return 0
        problems = compare(args.overlay, args.kubectl_output) if args.command == "compare" else []
        if args.command == "lint":
            problems = lint(build(args.overlay))
    except (DeployError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"{args.overlay}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.command} {args.overlay}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
