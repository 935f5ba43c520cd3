"""scripts/deploy_k8s.py: its JSON 6902 operations, what its kustomize subset refuses, and what its lint finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .artefacts import ROOT, by_kind, deploy_k8s


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
