"""Request bodies → protobuf messages shared by several routes."""

from __future__ import annotations

from typing import Any

from annostream_kernel.limits import check_metadata, dump_json
from annostream_protos.types.v1 import frames_pb2 as t

from . import serializers
from .schemas import ImportRoiBody, RoiBody

ROI_TYPE = {v: k for k, v in serializers.ROI_TYPE.items()}


def points(pts: list[tuple[float, float]]) -> list[t.Point]:
    """[[x, y], ...] → Point messages."""
    return [t.Point(x=x, y=y) for x, y in pts]


def metadata_json(value: dict[str, Any], field: str = "metadata") -> str:
    """A metadata object → the JSON text the services take (integers stay integers); InvalidArgument naming
    `field` for what cannot be stored (NaN, NUL, too deep or too large)."""
    return dump_json(check_metadata(value, field)) if value else ""


def roi(r: RoiBody, field: str = "roi") -> t.Roi:
    """A ROI as the API takes it (type name, [[x, y]] points) → Roi message."""
    msg = t.Roi(
        roi_id=r.roi_id,
        type=ROI_TYPE[r.type],
        points=points(r.points),
        labels=r.labels,
        source_id=r.source_id,
        metadata_json=metadata_json(r.metadata, f"{field}.metadata"),
    )
    if r.confidence is not None:
        msg.confidence = r.confidence
    if isinstance(r, ImportRoiBody):
        msg.locked = r.locked
    return msg
