"""Every service has the shape docs/contributing.md states: the same folders and files, consumers' handlers in
service_layer/consumers.py, gRPC servicers in entrypoints/, no module-level mutable state in bootstrap.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p for p in (ROOT / "services").iterdir() if p.is_dir() and not p.name.startswith("."))
SHAPE = ("domain", "service_layer", "adapters", "entrypoints", "migrations", "bootstrap.py", "config.py")


def _package(service: Path) -> Path:
    return service / f"annostream_{service.name}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_a_service_has_the_documented_folders_and_files(service: Path) -> None:
    pkg = _package(service)
    assert [name for name in SHAPE if not (pkg / name).exists()] == []
    assert (pkg / "entrypoints" / "grpc_api.py").exists()


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_a_service_that_consumes_events_keeps_their_handlers_in_service_layer_consumers(service: Path) -> None:
    pkg = _package(service)
    bootstrap = (pkg / "bootstrap.py").read_text(encoding="utf-8")
    consumes = "ConsumerSpec(" in bootstrap
    assert (pkg / "service_layer" / "consumers.py").exists() == consumes
    if consumes:
        assert "from .service_layer.consumers import" in bootstrap


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_a_composition_root_keeps_no_module_level_mutable_state(service: Path) -> None:
    tree = ast.parse((_package(service) / "bootstrap.py").read_text(encoding="utf-8"))
    mutable = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
    found = [
        ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, mutable)
    ]
    assert found == []  # build it in the composition function and hand it on (res.close_at_stop for clients)
