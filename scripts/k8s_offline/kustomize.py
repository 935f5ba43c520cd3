"""The subset of kustomize that k8s/ uses (resources, namespace, images, JSON 6902 patches with a target): build,
render to files for the validators, and compare with the output of `kubectl kustomize`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .json6902 import apply_json6902
from .objects import (
    CLUSTER_SCOPED_KINDS,
    DeployError,
    Obj,
    describe,
    group_of,
    ident,
    is_custom,
    load_documents,
    split_image,
    version_of,
)

KUSTOMIZATION_FILE = "kustomization.yaml"
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
PATCH_KEYS = {"target", "patch", "path"}
TARGET_KEYS = {"group", "version", "kind", "name"}
IMAGE_KEYS = {"name", "newName", "newTag", "digest"}


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
                name, tag, digest = split_image(str(container.get("image", "")))
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
