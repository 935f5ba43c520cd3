"""Bad input on each slice endpoint: a 4xx naming the field, never a 500, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(system: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "bad-input"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def draft(client: httpx.Client) -> dict[str, Any]:
    import uuid

    ds = client.post("/api/v1/datasets", json={"name": f"bad-{uuid.uuid4().hex[:8]}"}).json()
    v = client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
    frame = {"id": "f1", "sources": [{"uri": "file:///a.jpg", "width": 10, "height": 10}]}
    assert client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).status_code == 200
    return {"dataset": ds, "version": v}


CASES = [
    # (method, path template, body or raw, status, field)
    ("post", "/api/v1/datasets", {}, 422, "name"),
    ("post", "/api/v1/datasets", {"name": 5}, 422, "name"),
    ("post", "/api/v1/datasets", {"name": "x", "extra": 1}, 422, "extra"),
    ("post", "/api/v1/datasets/nope/versions", {"name": "v"}, 404, "dataset_id"),
    ("post", "/api/v1/datasets/{dataset}/versions", {"name": ""}, 422, "name"),
    (
        "post",
        "/api/v1/datasets/{dataset}/versions",
        {"name": "c", "parent_version_id": "{version}"},
        409,
        "parent_version_id",
    ),
    ("get", "/api/v1/versions/nope", None, 404, "version_id"),
    (
        "post",
        "/api/v1/versions/nope/frames",
        {"frames": [{"id": "a", "sources": [{"uri": "u", "width": 1, "height": 1}]}]},
        404,
        "version_id",
    ),
    ("post", "/api/v1/versions/{version}/frames", {"frames": []}, 400, "frames"),
    (
        "post",
        "/api/v1/versions/{version}/frames",
        {"frames": [{"id": "b", "sources": [{"uri": "u", "width": "w", "height": 1}]}]},
        400,
        "frames[0].sources.0.width",
    ),
    ("post", "/api/v1/versions/{version}/frames", b"{not json", 400, "frames"),
    (
        "post",
        "/api/v1/versions/{version}/frames",
        ("ndjson", b'{"id":"ok","sources":[{"uri":"u","width":1,"height":1}]}\n{"id":""}'),
        400,
        "line 2.id",
    ),
    ("post", "/api/v1/versions/nope/publish", None, 404, "version_id"),
    ("post", "/api/v1/tasks", {"dataset_version_id": "x"}, 422, "name"),
    ("post", "/api/v1/tasks", {"name": "t", "dataset_version_id": "nope"}, 404, "dataset_version_id"),
    (
        "post",
        "/api/v1/tasks",
        {"name": "t", "dataset_version_id": "{version}", "iteration": {"order": "zigzag"}},
        422,
        "iteration.order",
    ),
    (
        "post",
        "/api/v1/tasks",
        {"name": "t", "dataset_version_id": "{version}", "iteration": {"limit": -1}},
        422,
        "iteration.limit",
    ),
    ("get", "/api/v1/tasks/nope", None, 404, "task_id"),
    ("get", "/api/v1/tasks?page_token=zzz", None, 400, "page_token"),
    ("post", "/api/v1/tasks/nope/next-frame", None, 404, "task_id"),
    ("get", "/api/v1/versions/{version}/frames/nope", None, 404, "frame.frame_id"),
    ("post", "/api/v1/versions/{version}/frames/f1/save", {"expected_version": 0, "commands": []}, 422, "commands"),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {"commands": [{"create_roi": {"roi": {"type": "rectangle", "points": [[0, 0], [5, 5]]}}}]},
        422,
        "expected_version",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {"expected_version": 0, "commands": [{"create_roi": {"roi": {"type": "hexagon", "points": [[0, 0]]}}}]},
        422,
        "commands.0.create_roi.roi.type",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {
            "expected_version": 0,
            "commands": [{"create_roi": {"roi": {"type": "rectangle", "points": [[0, 0], [500, 5]]}}}],
        },
        400,
        "commands[0].create_roi.roi.points[1]",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {"expected_version": 0, "commands": [{}]},
        400,
        "commands[0]",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {
            "expected_version": 7,
            "commands": [{"create_roi": {"roi": {"type": "rectangle", "points": [[0, 0], [5, 5]]}}}],
        },
        400,
        "expected_version",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"), CASES, ids=[f"{c[0]} {c[1]} -> {c[3]} {c[4]}" for c in CASES]
)
def test_bad_input_gets_a_clear_4xx(
    client: httpx.Client, draft: dict[str, Any], method: str, path: str, body: Any, status: int, field: str
) -> None:
    ids = {"dataset": draft["dataset"]["dataset_id"], "version": draft["version"]["version_id"]}
    url = path.format(**ids)
    kwargs: dict[str, Any] = {}
    if isinstance(body, tuple):
        kwargs = {"content": body[1], "headers": {"content-type": "application/x-ndjson"}}
    elif isinstance(body, bytes):
        kwargs = {"content": body, "headers": {"content-type": "application/json"}}
    elif body is not None:
        kwargs = {"json": {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}}

    def _wait_for_frame() -> None:
        for _ in range(100):
            if client.get(f"/api/v1/versions/{ids['version']}/frames/f1").status_code == 200:
                return
        raise AssertionError("frame never became known")

    if "/frames/f1" in url:
        _wait_for_frame()
    resp = client.request(method, url, **kwargs)
    assert resp.status_code == status, resp.text
    err = resp.json()
    assert err["field"] == field, err
    assert field.split(".")[0].split("[")[0] in err["message"], err
    frame = client.get(f"/api/v1/versions/{ids['version']}/frames/f1")
    if frame.status_code == 200:
        assert frame.json()["version"] == 0  # nothing was written by a rejected request
