"""What the deployment tests share: paths, the components and their ports, and scripts/deploy_k8s.py as a module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
GRPC_PORTS = {"datasets": 50051, "tasks": 50052, "iterator": 50053, "annotation": 50054, "webhooks": 50055}
COMPONENTS = (*GRPC_PORTS, "gateway")


def load_script(name: str, path: Path) -> ModuleType:
    """Import a script that is not on sys.path (scripts/, deploy/) as module `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy_k8s = load_script("deploy_k8s", ROOT / "scripts" / "deploy_k8s.py")


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}
