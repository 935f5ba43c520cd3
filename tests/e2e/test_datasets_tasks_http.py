"""Datasets, versions, frames import (HTTP and the `annostream import` CLI) and tasks through the gateway."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from annostream_cli.embedded import free_port
from annostream_cli.stack import LocalStack
from annostream_gateway.app import create_app
from annostream_gateway.config import GatewaySettings

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(system: LocalStack) -> Iterator[httpx.Client]:
    team = f"e2e-{uuid.uuid4().hex[:8]}"
    headers = {"X-Annostream-User": "owner", "X-Annostream-Team": team}
    with httpx.Client(base_url=system.url, headers=headers, timeout=30) as c:
        yield c


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


def _line(i: int, **kw: Any) -> str:
    frame = {"id": f"f{i:04d}", "sources": [{"uri": f"s3://b/{i}.jpg", "width": 64, "height": 48}], **kw}
    return json.dumps(frame)


def _cli(system: LocalStack, client: httpx.Client, *args: str) -> subprocess.CompletedProcess[str]:
    team = client.headers["X-Annostream-Team"]
    return subprocess.run(
        [sys.executable, "-m", "annostream_cli.main", "import", *args, "--url", system.url, "--team", team],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dataset_version_and_task_lifecycle_over_http(client: httpx.Client, system: LocalStack, tmp_path: Path) -> None:
    ds = _ok(client.post("/api/v1/datasets", json={"name": "cars"}), 201)
    assert _ok(client.patch(f"/api/v1/datasets/{ds['dataset_id']}", json={"name": "vehicles"}))["name"] == "vehicles"
    assert [d["name"] for d in _ok(client.get("/api/v1/datasets"))["datasets"]] == ["vehicles"]
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)

    file = tmp_path / "frames.jsonl"
    rows = [_line(i, metadata={"i": i}) for i in range(25)]
    rows[3] = _line(3, rois=[{"type": "rectangle", "points": [[1, 1], [10, 10]], "labels": ["car"]}])
    file.write_text("\n".join(rows) + "\n")
    done = _cli(system, client, str(file), "--version", v["version_id"], "--batch", "10")
    assert done.returncode == 0, done.stderr
    assert "25 new frame(s)" in done.stdout and "100.0%" in done.stderr
    again = _cli(system, client, str(file), "--version", v["version_id"])
    assert "0 new frame(s), 25 already there" in again.stdout  # idempotent by frame id

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join([_line(100), _line(101), '{"id": "x", "sources": [{"uri": "u", "width": 0, "height": 1}]}'])
    )
    failed = _cli(system, client, str(bad), "--version", v["version_id"])
    assert failed.returncode == 1 and "line 3: sources.0.width" in failed.stderr, failed.stderr
    assert _ok(client.get(f"/api/v1/versions/{v['version_id']}"))["frame_count"] == 25  # nothing of the batch

    _ok(client.post(f"/api/v1/versions/{v['version_id']}/publish"))
    task = _ok(
        client.post(
            "/api/v1/tasks",
            json={
                "name": "label cars",
                "dataset_version_id": v["version_id"],
                "selection": {"mode": "empty"},
                "label_set": ["car", "bus"],
                "default_labels": ["car"],
                "iteration": {"order": "random", "limit": 10},
            },
        ),
        201,
    )
    tree = _ok(client.get(f"/api/v1/datasets/{ds['dataset_id']}/versions"))["versions"]
    assert [(c["name"], c["status"], c["frame_count"]) for c in tree[0]["children"]] == [("label cars", "draft", 25)]
    info = _ok(client.get(f"/api/v1/tasks/{task['task_id']}"))
    assert info["source_version"]["status"] == "published" and info["annotated_version"]["name"] == "label cars"
    assert info["selection"]["mode"] == "empty" and info["iteration"]["random_seed"] != 0
    assert set(info["progress"]) == {"done", "total", "known", "plan_pending", "in_review", "accepted"}

    frames = _ok(client.get(f"/api/v1/versions/{task['annotated_version_id']}/frames", params={"page_size": 5}))
    assert frames["total"] == 25 and len(frames["frames"]) == 5 and frames["next_page_token"]

    other = {"X-Annostream-User": "someone-else"}
    assert client.post(f"/api/v1/tasks/{task['task_id']}/complete", headers=other).json()["field"] == "task_id"
    assert _ok(client.post(f"/api/v1/tasks/{task['task_id']}/complete"))["status"] == "completed"
    listed = _ok(client.get("/api/v1/tasks", params={"status": "completed", "scope": "mine", "sort": "name"}))
    assert [t["task_id"] for t in listed["tasks"]] == [task["task_id"]] and listed["total"] == 1
    assert _ok(client.get("/api/v1/tasks", params={"status": "active"}))["total"] == 0

    admin = {"X-Annostream-User": "boss", "X-Annostream-Role": "admin"}
    assert _ok(client.post(f"/api/v1/tasks/{task['task_id']}/reopen", headers=admin))["status"] == "active"
    assert client.delete(f"/api/v1/tasks/{task['task_id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/tasks/{task['task_id']}").status_code == 404
    assert _ok(client.get(f"/api/v1/versions/{task['annotated_version_id']}"))["status"] == "draft"  # stays


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("patch", "/api/v1/datasets/nope", {"name": "x"}, 404, "dataset_id"),
        ("patch", "/api/v1/datasets/nope", {"name": ""}, 422, "name"),
        ("delete", "/api/v1/datasets/nope", None, 404, "dataset_id"),
        ("get", "/api/v1/datasets/nope/versions", None, 404, "dataset_id"),
        ("get", "/api/v1/datasets?page_token=zz", None, 400, "page_token"),
        ("delete", "/api/v1/versions/nope", None, 404, "version_id"),
        ("get", "/api/v1/versions/nope/stats", None, 404, "version_id"),
        ("get", "/api/v1/versions/nope/frames", None, 404, "version_id"),
        ("get", "/api/v1/tasks?sort=oldest", None, 422, "sort"),
        ("get", "/api/v1/tasks?status=paused", None, 422, "status"),
        ("post", "/api/v1/tasks/nope/complete", None, 404, "task_id"),
        ("delete", "/api/v1/tasks/nope", None, 404, "task_id"),
        (
            "post",
            "/api/v1/tasks",
            {"name": "t", "dataset_version_id": "v", "selection": {"mode": "odd"}},
            422,
            "selection.mode",
        ),
        ("get", "/api/v1/tasks", "bad-role", 400, "X-Annostream-Role"),
    ],
)
def test_bad_requests_name_the_field(
    client: httpx.Client, method: str, path: str, body: Any, status: int, field: str
) -> None:
    kwargs: dict[str, Any] = {}
    if body == "bad-role":
        kwargs["headers"] = {"X-Annostream-Role": "king"}
    elif body is not None:
        kwargs["json"] = body
    resp = client.request(method, path, **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["field"] == field


def test_version_stats_over_http(client: httpx.Client) -> None:
    ds = _ok(client.post("/api/v1/datasets", json={"name": "stats"}), 201)
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}), 201)
    frame = json.loads(_line(1, frame_labels=["night"]))
    frame["sources"][0]["masks"] = [{"uri": "s3://b/1.png"}]
    _ok(client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}))
    listed = _ok(client.get(f"/api/v1/versions/{v['version_id']}/frames"))["frames"]
    assert listed[0]["sources"][0]["masks"] == [{"id": "mask0", "uri": "s3://b/1.png"}]
    for _ in range(100):
        stats = _ok(client.get(f"/api/v1/versions/{v['version_id']}/stats"))
        if stats["annotated_frame_count"] == 1:
            break
        time.sleep(0.1)
    assert stats == {
        "version_id": v["version_id"],
        "frame_count": 1,
        "annotated_frame_count": 1,
        "roi_count": 0,
        "roi_labels": {},
        "frame_labels": {"night": 1},
        "rois_per_frame": None,
    }
    per_frame = _ok(client.get(f"/api/v1/versions/{v['version_id']}/stats", params={"rois_per_frame": "true"}))
    assert per_frame["rois_per_frame"] == {"0": 1}  # the frame has a frame label and no ROI


def test_the_task_list_carries_each_tasks_progress(client: httpx.Client) -> None:
    ds = _ok(client.post("/api/v1/datasets", json={"name": "progress"}), 201)
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    frames = [{"id": f"f{i}", "sources": [{"uri": f"s3://b/{i}.jpg", "width": 64, "height": 48}]} for i in range(3)]
    _ok(client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    task = _ok(client.post("/api/v1/tasks", json={"name": "count", "dataset_version_id": v["version_id"]}), 201)
    tid = task["task_id"]

    def listed() -> dict[str, Any]:
        page = _ok(client.get("/api/v1/tasks", params={"status": "all"}))
        assert [t["task_id"] for t in page["tasks"]] == [tid]
        return dict(page["tasks"][0]["progress"])

    deadline = time.monotonic() + 15
    while (progress := listed()) != {
        "done": 0,
        "total": 3,
        "known": True,
        "plan_pending": False,
        "in_review": 0,
        "accepted": 0,
    }:
        assert time.monotonic() < deadline, progress
        time.sleep(0.1)
    lease = _ok(client.post(f"/api/v1/tasks/{tid}/next-frame"))
    _ok(client.post(f"/api/v1/tasks/{tid}/leases/{lease['lease_id']}/release", json={"done": True}))
    assert listed() == {"done": 1, "total": 3, "known": True, "plan_pending": False, "in_review": 0, "accepted": 0}
    assert listed() == _ok(client.get(f"/api/v1/tasks/{tid}"))["progress"]  # the same shape as the task's info


def test_the_task_list_answers_with_unknown_progress_when_the_iterator_is_unreachable(
    client: httpx.Client, system: LocalStack
) -> None:
    ds = _ok(client.post("/api/v1/datasets", json={"name": "no-iterator"}), 201)
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    task = _ok(client.post("/api/v1/tasks", json={"name": "blind", "dataset_version_id": v["version_id"]}), 201)
    # a second gateway (in this process) on the same services, but with nothing listening at the iterator's address
    env = system.env
    settings = GatewaySettings(
        datasets_addr=env["ANNOSTREAM_DATASETS_ADDR"],
        tasks_addr=env["ANNOSTREAM_TASKS_ADDR"],
        annotation_addr=env["ANNOSTREAM_ANNOTATION_ADDR"],
        iterator_addr=f"127.0.0.1:{free_port()}",
        peer_timeout_seconds=5,
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline, "the second gateway did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=client.headers, timeout=30) as blind:
            page = _ok(blind.get("/api/v1/tasks", params={"status": "all"}))
    finally:
        server.should_exit = True
        thread.join(15)
    assert [(t["task_id"], t["progress"]) for t in page["tasks"]] == [
        (task["task_id"], {"done": 0, "total": 0, "known": False, "plan_pending": False, "in_review": 0, "accepted": 0})
    ]


def test_the_task_list_carries_the_source_and_annotated_version_names(client: httpx.Client) -> None:
    made: dict[str, tuple[str, str]] = {}  # task name -> (source version name, annotated version name)
    for i, publish in enumerate((True, False)):
        ds = _ok(client.post("/api/v1/datasets", json={"name": f"names-{i}"}), 201)
        v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": f"base {i}"}), 201)
        if publish:
            _ok(client.post(f"/api/v1/versions/{v['version_id']}/publish"))
        body = {"name": f"task {i}", "dataset_version_id": v["version_id"]}
        _ok(client.post("/api/v1/tasks", json=body), 201)
        # a Published version is annotated in a Draft child named like the task; a Draft one in place
        made[f"task {i}"] = (f"base {i}", f"task {i}" if publish else f"base {i}")
    listed = _ok(client.get("/api/v1/tasks", params={"status": "all"}))["tasks"]
    assert {t["name"]: (t["source_version_name"], t["annotated_version_name"]) for t in listed} == made
    one = _ok(client.get("/api/v1/tasks", params={"dataset_id": listed[0]["dataset_id"]}))["tasks"]
    assert [(t["name"], t["annotated_version_name"]) for t in one] == [(listed[0]["name"], made[listed[0]["name"]][1])]


def _deleted_after(client: httpx.Client, delete: str) -> None:
    """A Draft with an edited frame; once `delete` (a path with {ds} / {v}) answers 204, a save of the version is
    404 naming it and stores nothing, and its frame, events, time travel and export are 404."""
    ds = _ok(client.post("/api/v1/datasets", json={"name": f"gone-{uuid.uuid4().hex[:6]}"}), 201)
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    frame = {"id": "z1", "sources": [{"uri": "s3://b/z1.jpg", "width": 64, "height": 48}]}
    _ok(client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}))
    url = f"/api/v1/versions/{v['version_id']}/frames/z1"
    rect = {"create_roi": {"roi": {"type": "rectangle", "points": [[1, 1], [10, 10]], "labels": ["car"]}}}
    for _ in range(200):  # the annotation service learns the frame from the datasets stream
        if client.get(url).status_code == 200:
            break
        time.sleep(0.05)
    _ok(client.post(f"{url}/save", json={"expected_version": 0, "commands": [rect]}))
    admin = {"X-Annostream-User": "boss", "X-Annostream-Role": "admin"}
    _ok(client.delete(delete.format(ds=ds["dataset_id"], v=v["version_id"]), headers=admin), 204)
    refused = client.post(f"{url}/save", json={"expected_version": 1, "commands": [rect]})
    assert refused.status_code == 404 and v["version_id"] in refused.text, refused.text
    for path in (url, f"{url}/events", f"/api/v1/versions/{v['version_id']}/export?format=jsonl"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/api/v1/versions/{v['version_id']}").status_code == 404


def test_a_deleted_version_takes_no_save_and_its_frames_events_and_export_are_not_found(
    client: httpx.Client,
) -> None:
    _deleted_after(client, "/api/v1/versions/{v}")


def test_a_deleted_datasets_versions_take_no_save_and_their_frames_events_and_export_are_not_found(
    client: httpx.Client,
) -> None:
    _deleted_after(client, "/api/v1/datasets/{ds}")


def test_a_version_an_active_task_annotates_is_not_published_and_a_published_versions_task_leases_nothing(
    client: httpx.Client,
) -> None:
    ds = _ok(client.post("/api/v1/datasets", json={"name": "publish-under-task"}), 201)
    v = _ok(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    frames = [{"id": f"f{i}", "sources": [{"uri": f"s3://b/{i}.jpg", "width": 64, "height": 48}]} for i in range(3)]
    _ok(client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    _ok(client.post(f"/api/v1/versions/{v['version_id']}/publish"))
    task = _ok(client.post("/api/v1/tasks", json={"name": "label", "dataset_version_id": v["version_id"]}), 201)
    tid, child = task["task_id"], task["annotated_version_id"]

    # Publishing the task's Draft child at once (the iterator may not have applied TaskCreated yet) is refused.
    refused = client.post(f"/api/v1/versions/{child}/publish")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["field"] == "version_id" and tid in body["message"] and "complete or delete" in body["message"]
    assert body["details"] == {"task_ids": [tid], "other_teams_tasks": 0}
    assert _ok(client.get(f"/api/v1/versions/{child}"))["status"] == "draft"
    lease = _ok(client.post(f"/api/v1/tasks/{tid}/next-frame"))  # nothing was sealed: the work goes on
    assert lease["frame"]["version_id"] == child

    # Completed, the task no longer holds the version back; once it is published, the task is not reopened (it
    # could hand out nothing): it stays completed, hands out nothing (not even the held frame) and the held lease
    # is not extended. A new task on the Published version annotates a new Draft child instead.
    _ok(client.post(f"/api/v1/tasks/{tid}/complete"))
    assert _ok(client.post(f"/api/v1/versions/{child}/publish"))["status"] == "published"
    admin = {"X-Annostream-User": "boss", "X-Annostream-Role": "admin"}
    for who in ({}, admin):
        reopen = client.post(f"/api/v1/tasks/{tid}/reopen", headers=who)
        assert reopen.status_code == 409 and reopen.json()["field"] == "task_id", reopen.text
        assert "Published" in reopen.json()["message"] and "new task" in reopen.json()["message"]
        assert reopen.json()["details"] == {"version_id": child}
    assert _ok(client.get(f"/api/v1/tasks/{tid}"))["status"] == "completed"
    for who in ({}, {"X-Annostream-User": "newcomer"}):
        resp = client.post(f"/api/v1/tasks/{tid}/next-frame", headers=who)
        assert resp.status_code == 409 and resp.json()["field"] == "task_id", resp.text
    beat = client.post(f"/api/v1/tasks/{tid}/leases/{lease['lease_id']}/heartbeat")
    assert beat.status_code == 409 and beat.json()["field"] == "task_id", beat.text
    again = _ok(client.post("/api/v1/tasks", json={"name": "label more", "dataset_version_id": child}), 201)
    assert again["source_version_id"] == child and again["annotated_version_id"] != child
    assert _ok(client.post(f"/api/v1/tasks/{again['task_id']}/next-frame"))["frame"]["version_id"] != child
