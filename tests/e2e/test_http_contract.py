"""The typed HTTP contract: /openapi.json documents every route's success body and each error status in the one
error shape, the web UI's TypeScript types are generated from it, and a bounded schemathesis run against the real
stack finds no server error, no schema violation and no undocumented status."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack
from annostream_gateway.app import create_app

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ERROR = {"$ref": "#/components/schemas/ErrorBody"}
FUZZ_EXAMPLES, FUZZ_SEED = 12, 1302


def test_the_committed_web_types_are_generated_from_the_current_openapi() -> None:
    check = subprocess.run(
        [sys.executable, "scripts/gen_web_types.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_api_route_documents_its_success_body_and_its_errors_in_the_one_error_shape() -> None:
    spec = create_app().openapi()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            where, responses = f"{method.upper()} {path}", op["responses"]
            ok = [s for s in responses if s.startswith("2")]
            assert len(ok) == 1, where
            if ok[0] != "204":
                assert responses[ok[0]].get("content"), f"{where}: the success body is not documented"
            errors = {s: r for s, r in responses.items() if s.startswith("4")}
            if path.startswith("/api/"):
                assert {"400", "401", "403", "422"} <= set(errors), f"{where}: {sorted(errors)}"
            if "requestBody" in op:
                assert "413" in errors, where
            for status, r in errors.items():
                assert r["content"]["application/json"]["schema"] == ERROR, f"{where} {status}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def _seed(client: httpx.Client) -> dict[str, list[str]]:
    """Objects for the fuzzer to find: two datasets with a Draft version of two frames, one of them published
    with a task (whose annotated version is a third version)."""
    ids: dict[str, list[str]] = {"dataset_id": [], "version_id": [], "frame_id": ["f0", "f1"], "task_id": []}
    frames = [{"id": f, "sources": [{"uri": "file:///a.jpg", "width": 64, "height": 48}]} for f in ("f0", "f1")]
    for n in range(2):
        ds = client.post("/api/v1/datasets", json={"name": f"fuzz-{n}"}).json()
        v = client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
        assert client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}).status_code == 200
        ids["dataset_id"].append(ds["dataset_id"])
        ids["version_id"].append(v["version_id"])
    assert client.post(f"/api/v1/versions/{ids['version_id'][0]}/publish").status_code == 200
    task = client.post("/api/v1/tasks", json={"name": "fuzz", "dataset_version_id": ids["version_id"][0]})
    assert task.status_code == 201, task.text
    ids["task_id"].append(task.json()["task_id"])
    ids["version_id"].append(task.json()["annotated_version_id"])
    return ids


def _config(ids: dict[str, list[str]]) -> str:
    """tests/e2e/schemathesis.toml, plus the seeded ids as values the fuzzer picks for path parameters (80 %)."""
    text = (ROOT / "tests/e2e/schemathesis.toml").read_text()
    for name, values in ids.items():
        text += f"\n[dictionaries.{name}]\nvalues = {values!r}\n".replace("'", '"')
    text += "\n[parameters]\n"
    for name in ids:
        text += f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}\n'
    return text


@pytest.mark.timeout(900)
def test_fuzzing_the_api_finds_no_server_error_schema_violation_or_undocumented_status(
    system: LocalStack, tmp_path: Path
) -> None:
    headers = {"X-Annostream-User": "fuzzer", "X-Annostream-Team": f"fuzz-{uuid.uuid4().hex[:8]}"}
    with httpx.Client(base_url=system.url, headers=headers, timeout=60) as client:
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(_seed(client)))
    cmd: list[Any] = [Path(sys.executable).parent / "schemathesis", "--config-file", config, "--no-color", "run"]
    cmd += [f"{system.url}/openapi.json", "--checks", "all", "--max-examples", FUZZ_EXAMPLES, "--seed", FUZZ_SEED]
    cmd += ["--workers", "1", "--generation-database", "none"]  # one worker: the same seed, the same run
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    run = subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True, timeout=840)
    assert run.returncode == 0, run.stdout[-30_000:] + run.stderr[-5000:]
