"""Product limits through the gateway: the 100,000-point case, a reused idempotency key, exact integers."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e
BIG = 2**53 + 1


@pytest.fixture
def frame_url(system: LocalStack) -> Iterator[tuple[httpx.Client, str]]:
    client = httpx.Client(base_url=system.url, headers={"X-Annostream-User": "limits"}, timeout=60)
    ds = client.post("/api/v1/datasets", json={"name": f"limits-{uuid.uuid4().hex[:8]}"}).json()
    v = client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
    frame = {
        "id": "f1",
        "sources": [{"id": "cam", "uri": "file:///a.jpg", "width": 640, "height": 480}],
        "metadata": {"n": BIG, "near": BIG - 1, "ratio": 0.5},
        "rois": [{"roi_id": "r", "type": "polygon", "points": [[1, 1], [30, 1], [15, 20]], "metadata": {"n": BIG}}],
    }
    client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).raise_for_status()
    url = f"/api/v1/versions/{v['version_id']}/frames/f1"
    deadline = time.monotonic() + 30
    while client.get(url).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield client, url
    finally:
        client.close()


def polygon(n: int) -> dict[str, Any]:
    points = [[320 + 200 * math.cos(2 * math.pi * i / n), 240 + 200 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    return {"create_roi": {"roi": {"type": "polygon", "points": points}}}


def test_three_saves_of_a_100000_point_polygon_are_refused_and_the_frame_stays_readable(
    frame_url: tuple[httpx.Client, str],
) -> None:
    client, url = frame_url
    for _ in range(3):
        r = client.post(f"{url}/save", json={"expected_version": 1, "commands": [polygon(100_000)]})
        assert r.status_code in (400, 413, 422), r.text
        assert "points" in (r.json()["field"] or ""), r.json()
    frame = client.get(url)
    assert frame.status_code == 200 and frame.json()["version"] == 1
    events = client.get(f"{url}/events")
    assert events.status_code == 200 and events.json()["current_version"] == 1


def test_an_idempotency_key_reused_with_a_different_body_is_422(frame_url: tuple[httpx.Client, str]) -> None:
    client, url = frame_url
    body = {"expected_version": 1, "idempotency_key": "pay-1", "commands": [{"add_frame_label": {"label": "day"}}]}
    first = client.post(f"{url}/save", json=body)
    again = client.post(f"{url}/save", json=body)
    assert first.status_code == again.status_code == 200
    assert again.json()["event_ids"] == first.json()["event_ids"] and again.json()["version"] == 2
    other = client.post(f"{url}/save", json={**body, "commands": [{"add_frame_label": {"label": "night"}}]})
    assert other.status_code == 422, other.text
    assert other.json()["message"] == "idempotency key reused with a different request"
    assert other.json()["field"] == "idempotency_key"
    assert client.get(url).json()["frame_labels"] == ["day"]


def test_integer_metadata_is_exact_in_frames_saves_events_and_time_travel(frame_url: tuple[httpx.Client, str]) -> None:
    client, url = frame_url
    frame = client.get(url).json()
    assert frame["base"]["metadata"] == {"n": BIG, "near": BIG - 1, "ratio": 0.5}
    assert frame["rois"][0]["metadata"] == {"n": BIG}
    body = {"expected_version": 1, "commands": [{"set_frame_metadata": {"metadata": {"n": BIG, "count": 12}}}]}
    saved = client.post(f"{url}/save", json=body).json()
    assert saved["frame"]["metadata"] == {"n": BIG, "count": 12} and saved["version"] == 2
    assert saved["frame_omitted"] is False
    assert client.get(url).json()["metadata"] == {"n": BIG, "count": 12}
    events = client.get(f"{url}/events").json()["events"]
    assert events[-1]["data"]["metadata"] == {"n": BIG, "count": 12}
    assert isinstance(events[-1]["data"]["metadata"]["count"], int)
    assert client.get(f"{url}/at", params={"version": 2}).json()["metadata"]["n"] == BIG
