"""Frame reads and saves (batches of editor commands)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from google.protobuf import struct_pb2

from annostream_kernel.grpc_client import call
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t

from .. import serializers
from ..clients import Clients
from ..schemas import RoiBody, SaveFrameBody
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["frames"], dependencies=[Depends(identity)])
C = Annotated[Clients, Depends(clients)]
ROI_TYPE = {v: k for k, v in serializers.ROI_TYPE.items()}


def _roi(r: RoiBody) -> t.Roi:
    meta = struct_pb2.Struct()
    meta.update(r.metadata)
    roi = t.Roi(
        roi_id=r.roi_id,
        type=ROI_TYPE[r.type],
        points=[t.Point(x=x, y=y) for x, y in r.points],
        labels=r.labels,
        source_id=r.source_id,
        metadata=meta,
    )
    if r.confidence is not None:
        roi.confidence = r.confidence
    return roi


@router.get("/versions/{version_id}/frames/{frame_id}")
async def get_frame(version_id: str, frame_id: str, c: C) -> dict[str, Any]:
    req = ann.GetFrameRequest(frame=t.FrameRef(version_id=version_id, frame_id=frame_id))
    return serializers.frame_state((await call(c.annotation.GetFrame, req, timeout=c.timeout)).frame)


@router.post("/versions/{version_id}/frames/{frame_id}/save")
async def save_frame(version_id: str, frame_id: str, body: SaveFrameBody, c: C) -> dict[str, Any]:
    """Apply an ordered batch of commands atomically; 409 when the frame moved on."""
    commands = []
    for cmd in body.commands:
        if cmd.create_roi is not None:
            commands.append(ann.Command(create_roi=ann.CreateRoi(roi=_roi(cmd.create_roi.roi))))
        else:
            commands.append(ann.Command())
    req = ann.SaveFrameRequest(
        frame=t.FrameRef(version_id=version_id, frame_id=frame_id),
        expected_version=body.expected_version,
        idempotency_key=body.idempotency_key,
        task_id=body.task_id,
        commands=commands,
    )
    resp = await call(c.annotation.SaveFrame, req, timeout=c.timeout)
    return {"frame": serializers.frame_state(resp.frame), "event_ids": list(resp.event_ids)}
