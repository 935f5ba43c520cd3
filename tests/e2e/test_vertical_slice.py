"""The vertical slice through the gateway's HTTP API, and an independent JetStream subscriber."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import nats
import pytest

from annostream_cli.smoke import run_slice
from annostream_cli.stack import LocalStack
from annostream_kernel.events import subject_token
from annostream_protos.events.v1 import annotation_pb2, envelope_pb2
from annostream_sdk import Client

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(system: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "e2e-user"}, timeout=30) as c:
        yield c


async def test_slice_runs_end_to_end_and_a_subscriber_decodes_the_roi_event(
    client: httpx.Client, nats_url: str
) -> None:
    steps: list[str] = []
    with Client(str(client.base_url), user="e2e-user") as sdk:
        result = run_slice(sdk, log=steps.append)
    assert len(steps) == 9
    frame = result["frame"]
    assert frame["rois"][0]["labels"] == ["car"]
    assert frame["rois"][0]["points"] == [[10.0, 20.0], [110.0, 220.0]]

    # Any language can subscribe: here plain nats-py with the generated protobuf classes.
    subj = ".".join(
        [
            "annostream.annotation.v1",
            *(subject_token(frame[k]) for k in ("dataset_id", "version_id", "frame_id")),
            "RoiCreated",
        ]
    )
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(subj, stream="ANNOSTREAM_ANNOTATION")
        msgs = await sub.fetch(1, timeout=10)
    finally:
        await nc.close()
    envelope = envelope_pb2.EventEnvelope.FromString(msgs[0].data)
    event = annotation_pb2.RoiCreated()
    assert envelope.payload.Unpack(event)
    assert envelope.event_id == result["event_ids"][0] == msgs[0].headers["Nats-Msg-Id"]
    assert (envelope.type, envelope.actor, envelope.producer) == ("RoiCreated", "e2e-user", "annotation")
    assert envelope.task_id == result["task"]["task_id"]
    assert list(event.roi.labels) == ["car"] and event.frame.frame_id == frame["frame_id"]
    assert envelope.stream_version == 1


def test_readiness_openapi_and_home_page(client: httpx.Client) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["services"]) == {"datasets", "tasks", "iterator", "annotation", "webhooks"}
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/tasks" in spec["paths"] and "/api/v1/versions/{version_id}/frames" in spec["paths"]
    with Client(str(client.base_url), user="e2e-user") as sdk:
        run_slice(sdk, log=lambda _m: None)
    home = client.get("/plain")  # the server-rendered list; / is the web UI when built
    assert home.status_code == 200 and "class='task-row'" in home.text and "smoke task" in home.text
    assert re.search(r"<td class='progress'>\d+ / \d+</td>", home.text)  # each task's done / total
