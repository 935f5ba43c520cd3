"""Builders for annotation-service tests."""

from __future__ import annotations

import asyncpg
from google.protobuf import struct_pb2

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t

from .conftest import Stubs
from .grpc_helpers import eventually


def rect(label: str, x: float = 10, roi_id: str = "") -> ann.Command:
    roi = t.Roi(
        roi_id=roi_id, type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=x, y=10), t.Point(x=x + 50, y=60)], labels=[label]
    )
    return ann.Command(create_roi=ann.CreateRoi(roi=roi))


def move(roi_id: str, dx: float, dy: float = 0) -> ann.Command:
    return ann.Command(move_roi=ann.MoveRoi(roi_id=roi_id, dx=dx, dy=dy))


def struct(d: dict) -> struct_pb2.Struct:  # type: ignore[type-arg]
    s = struct_pb2.Struct()
    s.update(d)
    return s


def save(ref: t.FrameRef, expected: int, *commands: ann.Command, key: str = "") -> ann.SaveFrameRequest:
    return ann.SaveFrameRequest(frame=ref, expected_version=expected, idempotency_key=key, commands=commands)


def labels_of(state: ann.FrameState) -> list[list[str]]:
    return [list(r.labels) for r in state.rois]


async def known_frame(stubs: Stubs, version_id: str, frame_id: str = "f000") -> ann.FrameState:
    ref = t.FrameRef(version_id=version_id, frame_id=frame_id)
    resp = await eventually(
        lambda: stubs.annotation.GetFrame(ann.GetFrameRequest(frame=ref)),
        "the annotation service to consume the frames",
    )
    return resp.frame


async def current(stubs: Stubs, ref: t.FrameRef) -> ann.FrameState:
    return (await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=ref))).frame


async def events_of(dsn: str, version_id: str) -> int:
    """How many annotation events the version's frames have in the store of record."""
    conn = await asyncpg.connect(dsn)
    try:
        n = await conn.fetchval(
            "SELECT count(*) FROM annotation.events WHERE stream_id LIKE 'frame:' || $1 || ':%'", version_id
        )
    finally:
        await conn.close()
    return int(n)
