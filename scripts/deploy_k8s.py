"""Offline build and checks of the Kubernetes manifests in k8s/ (run by scripts/deploy_check.sh).

    python scripts/deploy_k8s.py render  OVERLAY --out DIR
    python scripts/deploy_k8s.py compare OVERLAY KUBECTL_OUTPUT
    python scripts/deploy_k8s.py lint    OVERLAY

The code lives in the package scripts/k8s_offline (objects, json6902, kustomize, lint, cli); its docstring
describes each command. This file is the entry point and re-exports the package's API.
"""

from __future__ import annotations

import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # also when loaded by path (tests/deploy)
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from k8s_offline import (
    DeployError,
    Obj,
    apply_json6902,
    build,
    compare,
    lint,
    render,
    selector_matches,
)
from k8s_offline.cli import main

__all__ = ["DeployError", "Obj", "apply_json6902", "build", "compare", "lint", "main", "render", "selector_matches"]

if __name__ == "__main__":
    sys.exit(main())
