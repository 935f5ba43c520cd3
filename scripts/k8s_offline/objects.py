"""Kubernetes objects as plain dicts: identity, API group, custom or built-in, image references, YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

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


class DeployError(Exception):
    """A kustomization this renderer cannot build, or a failed check."""


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


def split_image(reference: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    if "@" in reference:
        name, digest = reference.split("@", 1)
        return name, None, digest
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1 :], None
    return reference, None, None
