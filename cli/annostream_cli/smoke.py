"""`annostream smoke`: the vertical slice through the gateway's HTTP API, printing each step."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

USER = {"X-Annostream-User": "smoke-annotator"}


class SmokeFailed(Exception):
    """A step did not do what it should."""


def _check(resp: httpx.Response, status: int) -> Any:
    if resp.status_code != status:
        raise SmokeFailed(f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}: {resp.text}")
    return resp.json()


def _poll(fn: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := fn()) is not None:
            return result
        time.sleep(0.2)
    raise SmokeFailed(f"timed out waiting for {what}")


def run_slice(client: httpx.Client, log: Any = print) -> dict[str, Any]:
    """Run every step of the slice; returns what it created (used by the e2e test too)."""
    suffix = uuid.uuid4().hex[:8]
    ds = _check(client.post("/api/v1/datasets", json={"name": f"smoke-{suffix}"}), 201)
    log(f"1. created dataset {ds['name']} ({ds['dataset_id']})")
    ver = _check(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    log(f"2. created version {ver['version_id']} ({ver['status']})")
    lines = "\n".join(
        json.dumps(
            {
                "id": f"frame-{i}",
                "context_id": "street-cam",
                "timestamp": i * 1000,
                "sources": [{"id": "front", "uri": f"https://example.com/img/{i}.jpg", "width": 640, "height": 480}],
                "metadata": {"city": "bremen", "index": i},
            }
        )
        for i in range(3)
    )
    imp = _check(
        client.post(
            f"/api/v1/versions/{ver['version_id']}/frames",
            content=lines,
            headers={"content-type": "application/x-ndjson"},
        ),
        200,
    )
    log(f"3. imported {imp['imported']} frames (skipped {imp['skipped']})")
    pub = _check(client.post(f"/api/v1/versions/{ver['version_id']}/publish"), 200)
    log(f"4. published version ({pub['status']})")
    task = _check(
        client.post("/api/v1/tasks", json={"name": f"smoke task {suffix}", "dataset_version_id": ver["version_id"]}),
        201,
    )
    child = _check(client.get(f"/api/v1/versions/{task['annotated_version_id']}"), 200)
    log(
        f"5. created task {task['task_id']}; it annotates child version '{child['name']}' ({child['status']},"
        f" parent {child['parent_version_id']})"
    )

    def _next() -> Any:
        r = client.post(f"/api/v1/tasks/{task['task_id']}/next-frame")
        return r.json() if r.status_code == 200 and r.json()["frame"] else None

    lease = _poll(_next, "the iterator to lease a frame")
    ref = lease["frame"]
    log(f"6. iterator leased frame {ref['frame_id']} ({lease['position']}/{lease['total']})")
    frame_url = f"/api/v1/versions/{ref['version_id']}/frames/{ref['frame_id']}"
    frame = _poll(
        lambda: ((r := client.get(frame_url)).status_code == 200 and r.json()) or None,
        "the annotation service to know the frame",
    )
    saved = _check(
        client.post(
            f"{frame_url}/save",
            json={
                "expected_version": frame["version"],
                "idempotency_key": f"smoke-{suffix}",
                "task_id": task["task_id"],
                "commands": [
                    {"create_roi": {"roi": {"type": "rectangle", "points": [[10, 20], [110, 220]], "labels": ["car"]}}}
                ],
            },
        ),
        200,
    )
    log(f"7. saved RoiCreated (event {saved['event_ids'][0]}), frame version {saved['frame']['version']}")
    after = _check(client.get(frame_url), 200)
    if not any("car" in r["labels"] for r in after["rois"]):
        raise SmokeFailed(f"frame projection has no 'car' ROI: {after}")
    log(f"8. frame projection shows {len(after['rois'])} ROI(s) labelled {after['rois'][0]['labels']}")
    tasks = _check(client.get("/api/v1/tasks"), 200)
    if not any(t["task_id"] == task["task_id"] for t in tasks["tasks"]):
        raise SmokeFailed("the task list does not show the new task")
    log(f"9. task list shows the task ({tasks['total']} task(s) in the team)")
    return {"dataset": ds, "version": ver, "task": task, "frame": after, "event_ids": saved["event_ids"]}


def run_smoke(url: str) -> int:
    """Run the slice against `url`; exit status 0 on success."""
    print(f"smoke: {url}")
    try:
        with httpx.Client(base_url=url, headers=USER, timeout=30) as client:
            ready = client.get("/readyz")
            if ready.status_code != 200:
                print(f"smoke: gateway not ready: {ready.text}")
                return 1
            run_slice(client)
    except (SmokeFailed, httpx.HTTPError) as exc:
        print(f"smoke: FAILED: {exc}")
        return 1
    print("smoke: OK")
    return 0
