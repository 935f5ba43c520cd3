"""The frame-editing HTTP API the editor uses: commands, merge/conflict, history, time travel, undo/redo."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture
def frame_url(system: LocalStack) -> Iterator[tuple[httpx.Client, httpx.Client, str]]:
    alice = httpx.Client(base_url=system.url, headers={"X-Annostream-User": "alice"}, timeout=30)
    bob = httpx.Client(base_url=system.url, headers={"X-Annostream-User": "bob"}, timeout=30)
    ds = alice.post("/api/v1/datasets", json={"name": f"edit-{uuid.uuid4().hex[:8]}"}).json()
    v = alice.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
    frame = {"id": "f1", "sources": [{"id": "cam", "uri": "file:///a.jpg", "width": 640, "height": 480}]}
    alice.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).raise_for_status()
    url = f"/api/v1/versions/{v['version_id']}/frames/f1"
    for _ in range(200):
        if alice.get(url).status_code == 200:
            break
    try:
        yield alice, bob, url
    finally:
        alice.close()
        bob.close()


def _save(client: httpx.Client, url: str, version: int, *commands: dict[str, Any]) -> httpx.Response:
    return client.post(f"{url}/save", json={"expected_version": version, "commands": list(commands)})


def test_editing_merging_conflicts_and_history_over_http(frame_url: tuple[httpx.Client, httpx.Client, str]) -> None:
    alice, bob, url = frame_url
    rect = {
        "create_roi": {"roi": {"roi_id": "a", "type": "rectangle", "points": [[10, 10], [60, 60]], "labels": ["car"]}}
    }
    poly = {"create_roi": {"roi": {"roi_id": "b", "type": "polygon", "points": [[1, 1], [30, 1], [15, 20]]}}}
    first = _save(
        alice,
        url,
        0,
        rect,
        poly,
        {"add_frame_label": {"label": "day"}},
        {"set_roi_metadata": {"roi_id": "a", "metadata": {"color": "red"}}},
    )
    assert first.status_code == 200, first.text
    v = first.json()["frame"]["version"]
    assert _save(alice, url, v, {"move_roi": {"roi_id": "a", "dx": 5, "dy": 0}}).status_code == 200
    merged = _save(bob, url, v, {"add_roi_label": {"roi_id": "b", "label": "sign"}})  # stale, other ROI
    assert merged.status_code == 200 and merged.json()["rebased"] is True
    conflict = _save(bob, url, v, {"delete_roi": {"roi_id": "a"}})
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["error"] == "ABORTED" and body["details"]["roi_id"] == "a" and body["details"]["actor"] == "alice"

    history = alice.get(f"{url}/events").json()
    assert [(e["type"], e["actor"]) for e in history["events"]][-2:] == [
        ("RoiMoved", "alice"),
        ("RoiLabelAdded", "bob"),
    ]
    at = alice.get(f"{url}/at", params={"version": v}).json()
    assert at["rois"][0]["points"][0] == [10.0, 10.0] and at["rois"][0]["metadata"] == {"color": "red"}

    undone = alice.post(f"{url}/undo")
    assert undone.status_code == 200 and undone.json()["frame"]["rois"][0]["points"][0] == [10.0, 10.0]
    redone = alice.post(f"{url}/redo")
    assert redone.json()["frame"]["rois"][0]["points"][0] == [15.0, 10.0]
    now = alice.get(url).json()
    reverted = alice.post(f"{url}/revert", json={"to_version": 0, "expected_version": now["version"]})
    assert reverted.status_code == 200 and reverted.json()["frame"]["rois"] == []

    bad = _save(alice, url, 0, {"move_roi": {"roi_id": "a", "dx": 1, "dy": 0}, "delete_roi": {"roi_id": "a"}})
    assert bad.status_code == 400 and bad.json()["field"] == "commands[0]"
    assert alice.get(f"{url}/at").status_code == 400


def _compact(client: httpx.Client, url: str, version: int, *commands: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"{url}/save?answer=compact", json={"expected_version": version, "commands": list(commands)})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_compact_save_answers_the_version_event_ids_and_only_what_it_changed(
    frame_url: tuple[httpx.Client, httpx.Client, str],
) -> None:
    alice, bob, url = frame_url
    boxes = [
        {"create_roi": {"roi": {"roi_id": f"r{i}", "type": "rectangle", "points": [[i, i], [i + 9, i + 9]]}}}
        for i in range(5)
    ]
    first = _compact(alice, url, 0, *boxes, {"add_frame_label": {"label": "day"}})
    assert first["compact"] is True and first["frame"] is None and first["rebased"] is False
    assert first["version"] == 6 and len(first["event_ids"]) == 6
    assert [r["roi_id"] for r in first["rois"]] == [f"r{i}" for i in range(5)] and first["removed_roi_ids"] == []
    assert first["frame_labels"] == ["day"] and first["metadata"] == {}

    moved = _compact(alice, url, 6, {"move_roi": {"roi_id": "r1", "dx": 2, "dy": 0}}, {"delete_roi": {"roi_id": "r3"}})
    assert [r["roi_id"] for r in moved["rois"]] == ["r1"] and moved["rois"][0]["points"] == [[3, 1], [12, 10]]
    assert moved["removed_roi_ids"] == ["r3"] and moved["version"] == 8
    full = alice.get(url).json()
    assert full["version"] == 8 and [r["roi_id"] for r in full["rois"]] == ["r0", "r1", "r2", "r4"]

    # what the client cannot fold itself gets the whole frame: a rebase over another's edit, a create without id
    rebased = _compact(bob, url, 6, {"add_roi_label": {"roi_id": "r0", "label": "car"}})
    assert rebased["compact"] is False and rebased["rebased"] is True and len(rebased["frame"]["rois"]) == 4
    unnamed = {"create_roi": {"roi": {"type": "rectangle", "points": [[1, 1], [5, 5]]}}}
    answered = _compact(alice, url, rebased["version"], unnamed)
    assert answered["compact"] is False and len(answered["frame"]["rois"]) == 5
    bad = alice.post(f"{url}/save?answer=tiny", json={"expected_version": 0, "commands": boxes})
    assert bad.status_code == 422 and "answer" in bad.text  # names the parameter; nothing stored
    assert alice.get(url).json()["version"] == answered["version"]
