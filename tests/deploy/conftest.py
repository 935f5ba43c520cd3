"""Fixtures of the deployment tests: each overlay rendered by scripts/deploy_k8s.py, and docker-compose.yml."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .artefacts import OVERLAYS, ROOT, deploy_k8s


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    name = str(request.param)
    return name, deploy_k8s.build(ROOT / "k8s" / "overlays" / name)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))
