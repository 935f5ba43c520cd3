"""A frame stored over the limits before they existed: reads answer a clear error, `annostream admin
check-frames` lists it, and changes that shrink it are accepted (answered without the frame while it is still
too large to carry)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import grpc

from annostream_annotation.adapters import messages
from annostream_annotation.domain.events import RoiCreated
from annostream_annotation.domain.model import FrameAggregate
from annostream_kernel.db import create_pool
from annostream_kernel.events import append_events
from annostream_kernel.limits import MAX_FRAME_STATE_BYTES
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import current, known_frame, save
from .conftest import Stubs, make_version
from .grpc_helpers import assert_status, details, rpc_error

PROJECTION_UPSERT = (
    "INSERT INTO frame_projections (version_id, frame_id, stream_version, doc) VALUES ($1, $2, 1, $3::json)"
    " ON CONFLICT (version_id, frame_id) DO UPDATE SET stream_version = 1, doc = EXCLUDED.doc"
)


async def store_as_older_data(dsn: str, ref: t.FrameRef, roi: dict[str, object]) -> None:
    """Append a RoiCreated event and its projection the way a release without limits would have stored them."""
    event = RoiCreated(str(roi["roi_id"]), roi)
    agg = FrameAggregate(None, 0, {})
    agg.apply(event)
    pool = await create_pool(dsn, "annotation", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await append_events(conn, [messages.outbox_event(event, ref, "")], expected_version=0)
            await conn.execute(PROJECTION_UPSERT, ref.version_id, ref.frame_id, json.dumps(agg.doc))
    finally:
        await pool.close()


async def check_frames(dsn: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "annostream"),
        "admin",
        "check-frames",
        "--database-url",
        dsn,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 300)
    return int(proc.returncode or 0), out.decode()


async def test_an_oversized_frame_from_older_data_is_reported_refused_on_read_and_repairable(
    stubs: Stubs, unique: str, postgres_dsn: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    blob = "x" * (MAX_FRAME_STATE_BYTES + 100_000)  # ROI metadata of 24 MiB: no limit stopped it then
    huge = {
        "roi_id": "huge",
        "type": "polygon",
        "points": [[10.0, 10.0], [60.0, 10.0], [35.0, 60.0]],
        "labels": ["old"],
        "confidence": None,
        "source_id": "",
        "metadata": {"blob": blob},
        "locked": False,
    }
    await store_as_older_data(postgres_dsn, frame.frame, huge)

    err = await rpc_error(stubs.annotation.GetFrame(ann.GetFrameRequest(frame=frame.frame)))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "frame")
    assert "MAX_FRAME_STATE_BYTES" in (err.details() or "") and details(err)["bytes"] > MAX_FRAME_STATE_BYTES
    err = await rpc_error(stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, version=1)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    history = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=frame.frame))
    assert [(e.type, e.data_omitted, e.data_json) for e in history.events] == [("RoiCreated", True, "")]

    code, report = await check_frames(postgres_dsn)
    assert code == 1, report
    mine = report[report.index(f"{v.version_id}/{frame.frame.frame_id}") :]
    assert "MAX_FRAME_STATE_BYTES" in mine and "ROI 'huge' metadata: is" in mine

    grow = ann.Command(add_frame_label=ann.AddFrameLabel(label="more"))
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 1, grow)))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands")
    locked = await stubs.annotation.SaveFrame(save(frame.frame, 1, ann.Command(lock_roi=ann.LockRoi(roi_id="huge"))))
    assert (locked.version, locked.frame_omitted, locked.HasField("frame")) == (2, True, False)
    unlock = ann.Command(unlock_roi=ann.UnlockRoi(roi_id="huge"))
    repaired = await stubs.annotation.SaveFrame(
        save(frame.frame, 2, unlock, ann.Command(delete_roi=ann.DeleteRoi(roi_id="huge")))
    )
    assert (repaired.version, repaired.frame_omitted, list(repaired.frame.rois)) == (4, False, [])
    assert (await current(stubs, frame.frame)).version == 4
