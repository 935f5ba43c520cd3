"""Replay: imported annotations start a frame's history, old event versions are upcast, and
`annostream admin rebuild-projections` proves the live projection equals its events."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import asyncpg

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import annotation_legacy_pb2 as legacy
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import current, known_frame, rect, save
from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD


async def test_imported_annotations_are_the_first_events_of_the_frame(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 0, publish=False)
    roi = t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=20, y=20)], labels=["person"])
    frame = t.Frame(
        frame_id="imp",
        sources=[t.Source(id="cam", uri="file:///i.jpg", width=64, height=48)],
        rois=[roi],
        frame_labels=["day"],
    )
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[frame]), metadata=USER_MD)
    state = await known_frame(stubs, v.version_id, "imp")
    for _ in range(50):
        if state.version:
            break
        state = await current(stubs, state.frame)
    assert [list(r.labels) for r in state.rois] == [["person"]] and list(state.frame_labels) == ["day"]
    hist = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=state.frame))
    assert [(e.type, e.actor) for e in hist.events] == [("RoiCreated", "import"), ("FrameLabelAdded", "import")]


async def test_a_schema_v1_event_is_upcast_and_rebuild_matches_the_live_projection(
    stubs: Stubs, unique: str, postgres_dsn: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    saved = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car", roi_id="a")))
    ref = saved.frame.frame

    # Write a RoiMetadataSet as an older release did (schema 1: JSON string), and the projection as it
    # would have been then: readers must give it the v2 meaning.
    v1 = legacy.RoiMetadataSetV1(frame=ref, roi_id="a", metadata_json=json.dumps({"occluded": True}))
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute(
            "INSERT INTO annotation.events (event_id, stream_id, stream_version, type, schema_version, payload,"
            " subject, actor) VALUES (gen_random_uuid(), $1, 2, 'annostream.events.v1.RoiMetadataSet', 1, $2,"
            " 'annostream.annotation.v1.legacy', 'old-release')",
            f"frame:{v.version_id}:f000",
            v1.SerializeToString(),
        )
        doc = json.loads(
            await conn.fetchval(
                "SELECT doc FROM annotation.frame_projections WHERE version_id = $1 AND frame_id = 'f000'", v.version_id
            )
        )
        doc["rois"][0]["metadata"] = {"occluded": True}
        await conn.execute(
            "UPDATE annotation.frame_projections SET doc = $2::json, stream_version = 2"
            " WHERE version_id = $1 AND frame_id = 'f000'",
            v.version_id,
            json.dumps(doc),
        )
    finally:
        await conn.close()

    hist = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=ref))
    assert hist.events[-1].type == "RoiMetadataSet" and json.loads(hist.events[-1].data_json)["metadata"] == {
        "occluded": True
    }
    at2 = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=ref, version=2))
    assert json.loads(at2.frame.rois[0].metadata_json) == {"occluded": True}
    assert await _rebuild(postgres_dsn) == (0, "EQUAL")

    # A projection that drifted from its events is detected.
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute(
            "UPDATE annotation.frame_projections SET doc = jsonb_set(doc::jsonb, '{frame_labels}', '[\"x\"]')"
            " WHERE version_id = $1 AND frame_id = 'f000'",
            v.version_id,
        )
        assert (await _rebuild(postgres_dsn))[0] == 1
        await conn.execute(
            "UPDATE annotation.frame_projections SET doc = $2::json WHERE version_id = $1 AND frame_id = 'f000'",
            v.version_id,
            json.dumps(doc),
        )
    finally:
        await conn.close()


async def _rebuild(dsn: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "annostream_cli.main",
        "admin",
        "rebuild-projections",
        env={**os.environ, "ANNOSTREAM_DATABASE_URL": dsn},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode().strip().splitlines()[-1]
