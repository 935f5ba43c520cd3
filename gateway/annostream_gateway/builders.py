"""Request bodies → protobuf messages shared by several routes."""

from __future__ import annotations

from annostream_kernel.protobuf import struct
from annostream_protos.types.v1 import frames_pb2 as t

from . import serializers
from .schemas import ImportRoiBody, RoiBody

ROI_TYPE = {v: k for k, v in serializers.ROI_TYPE.items()}


def points(pts: list[tuple[float, float]]) -> list[t.Point]:
    """[[x, y], ...] → Point messages."""
    return [t.Point(x=x, y=y) for x, y in pts]


def roi(r: RoiBody) -> t.Roi:
    """A ROI as the API takes it (type name, [[x, y]] points) → Roi message."""
    msg = t.Roi(
        roi_id=r.roi_id,
        type=ROI_TYPE[r.type],
        points=points(r.points),
        labels=r.labels,
        source_id=r.source_id,
        metadata=struct(r.metadata),
    )
    if r.confidence is not None:
        msg.confidence = r.confidence
    if isinstance(r, ImportRoiBody):
        msg.locked = r.locked
    return msg
