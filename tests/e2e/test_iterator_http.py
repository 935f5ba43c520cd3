"""The editor's iterator endpoints through the gateway: next, heartbeat, release, navigate, progress, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(system: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "editor"}, timeout=30) as c:
        yield c


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def _frames(n: int) -> list[dict[str, Any]]:
    src = [{"id": "cam", "uri": "file:///x.jpg", "width": 640, "height": 480}]
    return [{"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src, "metadata": {"i": i}} for i in range(n)]


def test_an_editor_walks_a_task_with_leases_navigation_and_progress(client: httpx.Client) -> None:
    ds = _ok(client.post("/api/v1/datasets", json={"name": "iter-http"}), 201)
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    _ok(client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": _frames(3)}))
    sel = {"mode": "custom", "filters": [{"frame_query": "meta.i >= 1"}]}
    task = _ok(
        client.post("/api/v1/tasks", json={"name": "it", "dataset_version_id": v["version_id"], "selection": sel}), 201
    )
    tid = task["task_id"]
    deadline = time.monotonic() + 15
    while (p := client.get(f"/api/v1/tasks/{tid}/progress")).status_code != 200 or p.json()["total"] != 2:
        assert time.monotonic() < deadline, p.text
        time.sleep(0.1)
    first = _ok(client.post(f"/api/v1/tasks/{tid}/next-frame"))
    assert (first["frame"]["frame_id"], first["position"], first["total"], first["trail_index"]) == ("f1", 1, 2, 1)
    beat = _ok(client.post(f"/api/v1/tasks/{tid}/leases/{first['lease_id']}/heartbeat"))
    assert beat["lease_expires_at"] >= first["lease_expires_at"]
    second = _ok(client.post(f"/api/v1/tasks/{tid}/next-frame", json={"complete_lease_id": first["lease_id"]}))
    assert second["frame"]["frame_id"] == "f2"
    back = _ok(client.get(f"/api/v1/tasks/{tid}/navigate", params={"action": "trail_previous", "from_trail_index": 2}))
    assert (back["frame"]["frame_id"], back["state"], back["annotator"]) == ("f1", "done", "editor")
    _ok(client.post(f"/api/v1/tasks/{tid}/leases/{second['lease_id']}/release", json={"done": True}))
    last = _ok(client.post(f"/api/v1/tasks/{tid}/next-frame"))
    assert last["frame"] is None and last["exhausted"] is True
    progress = _ok(client.get(f"/api/v1/tasks/{tid}/progress"))
    assert (progress["done"], progress["total"], progress["annotators"][0]["done"]) == (2, 2, 2)

    gone = client.post(f"/api/v1/tasks/{tid}/leases/{second['lease_id']}/heartbeat")
    assert (gone.status_code, gone.json()["field"]) == (409, "lease_id")
    bad = client.get(f"/api/v1/tasks/{tid}/navigate", params={"action": "sideways"})
    assert (bad.status_code, bad.json()["field"]) == (422, "action")
    assert client.get("/api/v1/tasks/nope/progress").json()["field"] == "task_id"
    for param, action in [("from_trail_index", "trail_next"), ("from_position", "annotated_previous")]:
        for value in (2**31, 2**63 - 1):  # beyond the plan's 32-bit positions, inside the API's 64-bit range
            far = client.get(f"/api/v1/tasks/{tid}/navigate", params={"action": action, param: value})
            assert (far.status_code, far.json()["field"]) == (400, param), far.text
    wrong = {"mode": "custom", "filters": [{"frame_query": "meta.i >"}]}
    resp = client.post("/api/v1/tasks", json={"name": "x", "dataset_version_id": v["version_id"], "selection": wrong})
    assert resp.status_code == 400 and resp.json()["field"] == "selection.filters[0].frame_query"
    assert resp.json()["details"]["position"] == 8
