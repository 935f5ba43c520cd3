"""Frame ids are free text: one holding '/' (COCO and YOLO imports make `train/0001` from nested file names), '%'
or a route's word is read, saved, listed and subscribed to through its percent-encoded URL segment like any
other; '.' and '..' (which no URL can address) are refused at import, naming the field, and nothing is stored."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import httpx
import pytest
from websockets.sync.client import connect

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e

IDS = ["train/0001", "a/b/c", "a%2Fb", "50%", "%25", "x/save", "/lead", "trail/", "ü/🙂 space?#"]
RECT = {"create_roi": {"roi": {"type": "rectangle", "points": [[1, 1], [9, 9]], "labels": ["car"]}}}


def _frame(fid: str) -> dict[str, object]:
    return {"id": fid, "sources": [{"id": "cam", "uri": "file:///a.jpg", "width": 64, "height": 48}]}


@pytest.fixture
def client(system: LocalStack) -> httpx.Client:
    return httpx.Client(base_url=system.url, headers={"X-Annostream-User": "ids"}, timeout=30)


def _version(client: httpx.Client) -> str:
    ds = client.post("/api/v1/datasets", json={"name": f"ids-{uuid.uuid4().hex[:8]}"}).json()
    return str(client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()["version_id"])


def test_a_frame_id_holding_a_slash_or_percent_is_read_saved_and_subscribed_through_its_encoded_segment(
    system: LocalStack, client: httpx.Client
) -> None:
    version = _version(client)
    client.post(f"/api/v1/versions/{version}/frames", json={"frames": [_frame(i) for i in IDS]}).raise_for_status()
    for fid in IDS:
        url = f"/api/v1/versions/{version}/frames/{quote(fid, safe='')}"
        for _ in range(200):  # the annotation service learns the frame from the datasets service's event
            if (got := client.get(url)).status_code != 404:
                break
        assert got.status_code == 200 and got.json()["frame_id"] == fid, (fid, got.text)
        ws_url = system.url.replace("http://", "ws://", 1) + url.replace("/api/v1/", "/api/v1/live/", 1)
        with connect(ws_url) as ws:
            subscribed = json.loads(ws.recv(timeout=30))
            assert (subscribed["type"], subscribed["frame_id"]) == ("subscribed", fid)
            saved = client.post(f"{url}/save", json={"expected_version": 0, "commands": [RECT]})
            assert saved.status_code == 200 and saved.json()["frame"]["frame_id"] == fid, (fid, saved.text)
            live = json.loads(ws.recv(timeout=30))
            assert (live["type"], live["stream_version"]) == ("event", 1), (fid, live)
        events = client.get(f"{url}/events")
        assert events.status_code == 200 and len(events.json()["events"]) == 1, (fid, events.text)


@pytest.mark.parametrize("dots", [".", ".."])
def test_a_frame_id_no_url_can_address_is_refused_naming_the_field_and_nothing_is_stored(
    client: httpx.Client, dots: str
) -> None:
    version = _version(client)
    refused = client.post(f"/api/v1/versions/{version}/frames", json={"frames": [_frame("ok"), _frame(dots)]})
    assert refused.status_code == 400 and refused.json()["field"] == "frames[1].id", refused.text
    assert client.get(f"/api/v1/versions/{version}").json()["frame_count"] == 0
