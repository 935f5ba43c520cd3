"""Label colors through the gateway: PUT /api/v1/tasks/{id}/label-colors sets a color every annotator of the
task reads (GET /tasks/{id}, the task list); bad input is a 4xx naming the field and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack

from .web_browser import ok, published_dataset

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(system: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "colors"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def task(api: httpx.Client) -> dict[str, Any]:
    _ds, published = published_dataset(api, frames=1)
    body = {"name": f"colors {uuid.uuid4().hex[:8]}", "dataset_version_id": published["version_id"]}
    return dict(ok(api.post("/api/v1/tasks", json=body), 201))


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"label": "car", "color": "red"}, 400, "color"),
        ({"label": "car", "color": "#12345"}, 400, "color"),
        ({"label": "car", "color": ""}, 400, "color"),
        ({"label": " ", "color": "#123456"}, 400, "label"),
        ({"color": "#123456"}, 422, "label"),
        ({"label": "car"}, 422, "color"),
        ({"label": "car", "color": "#123456", "extra": 1}, 422, "extra"),
    ],
)
def test_a_bad_label_color_is_a_4xx_naming_the_field(
    api: httpx.Client, task: dict[str, Any], body: dict[str, str], status: int, field: str
) -> None:
    resp = api.put(f"/api/v1/tasks/{task['task_id']}/label-colors", json=body)
    assert resp.status_code == status, resp.text
    assert resp.json()["field"] == field and field in resp.json()["message"]
    assert ok(api.get(f"/api/v1/tasks/{task['task_id']}"))["label_colors"] == {}


def test_a_label_color_set_by_one_annotator_is_seen_by_another(system: LocalStack, unique: str) -> None:
    alice = httpx.Client(base_url=system.url, headers={"X-Annostream-User": f"alice-{unique}"}, timeout=30)
    bob = httpx.Client(base_url=system.url, headers={"X-Annostream-User": f"bob-{unique}"}, timeout=30)
    _ds, published = published_dataset(alice, frames=1)
    body = {"name": f"c {unique}", "dataset_version_id": published["version_id"]}
    task = ok(alice.post("/api/v1/tasks", json=body), 201)
    assert task["label_colors"] == {}
    url = f"/api/v1/tasks/{task['task_id']}/label-colors"
    assert ok(bob.put(url, json={"label": "car", "color": "#FF8800"}))["label_colors"] == {"car": "#ff8800"}
    ok(bob.put(url, json={"label": "parked car", "color": "#00ff00"}))
    assert ok(alice.get(f"/api/v1/tasks/{task['task_id']}"))["label_colors"] == {
        "car": "#ff8800",
        "parked car": "#00ff00",
    }
    listed = ok(alice.get("/api/v1/tasks", params={"page_size": 500}))["tasks"]
    assert [t["label_colors"] for t in listed if t["task_id"] == task["task_id"]] == [
        {"car": "#ff8800", "parked car": "#00ff00"}
    ]
    assert bob.put("/api/v1/tasks/task_nope/label-colors", json={"label": "car", "color": "#000000"}).status_code == 404
    alice.close()
    bob.close()
