"""Mapping between protobuf (API, events) and the annotation domain."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format, struct_pb2

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.events import NewEvent, subject
from annostream_kernel.ids import new_id
from annostream_kernel.streams import ANNOTATION
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t

from ..domain.model import Command, CreateRoi, DomainEvent, RoiSpec, RoiType, roi_doc

MAX_METADATA_BYTES = 64 * 1024
ROI_TYPES = {
    t.ROI_TYPE_RECTANGLE: RoiType.RECTANGLE,
    t.ROI_TYPE_ELLIPSE: RoiType.ELLIPSE,
    t.ROI_TYPE_POLYGON: RoiType.POLYGON,
    t.ROI_TYPE_KEYPOINTS: RoiType.KEYPOINTS,
}
ROI_TYPE_MSG = {v: k for k, v in ROI_TYPES.items()}


def struct_dict(s: struct_pb2.Struct) -> dict[str, Any]:
    """google.protobuf.Struct → dict."""
    return dict(json_format.MessageToDict(s))


def struct(d: dict[str, Any]) -> struct_pb2.Struct:
    """dict → google.protobuf.Struct."""
    s = struct_pb2.Struct()
    s.update(d)
    return s


def roi_spec(m: t.Roi, field_name: str) -> RoiSpec:
    """Roi message → RoiSpec (ids are assigned when empty)."""
    if m.type not in ROI_TYPES:
        raise InvalidArgument("must be rectangle, ellipse, polygon or keypoints", field=f"{field_name}.type")
    metadata = struct_dict(m.metadata)
    if len(json.dumps(metadata)) > MAX_METADATA_BYTES:
        raise InvalidArgument("must be at most 64 KiB of JSON", field=f"{field_name}.metadata")
    return RoiSpec(
        roi_id=m.roi_id or new_id("roi_"),
        type=ROI_TYPES[m.type],
        points=tuple((p.x, p.y) for p in m.points),
        labels=tuple(m.labels),
        confidence=m.confidence if m.HasField("confidence") else None,
        source_id=m.source_id,
        metadata=metadata,
    )


def command(m: api.Command, index: int) -> Command:
    """Command message → domain command."""
    kind = m.WhichOneof("command")
    if kind == "create_roi":
        return CreateRoi(roi_spec(m.create_roi.roi, f"commands[{index}].create_roi.roi"))
    raise InvalidArgument("unknown or empty command", field=f"commands[{index}]")


def roi_msg(doc: dict[str, Any]) -> t.Roi:
    """Projection ROI JSON → Roi message."""
    roi = t.Roi(
        roi_id=doc["roi_id"],
        type=ROI_TYPE_MSG[RoiType(doc["type"])],
        points=[t.Point(x=x, y=y) for x, y in doc["points"]],
        labels=doc["labels"],
        source_id=doc.get("source_id", ""),
        metadata=struct(doc.get("metadata") or {}),
        locked=doc.get("locked", False),
    )
    if doc.get("confidence") is not None:
        roi.confidence = doc["confidence"]
    return roi


def frame_state(ref: t.FrameRef, version: int, base: dict[str, Any] | None, doc: dict[str, Any]) -> api.FrameState:
    """Projection → FrameState message."""
    state = api.FrameState(
        frame=ref,
        version=version,
        rois=[roi_msg(r) for r in doc.get("rois", [])],
        frame_labels=doc.get("frame_labels", []),
        metadata=struct(doc.get("metadata") or {}),
    )
    if base is not None:
        state.base.CopyFrom(json_format.ParseDict(base, t.Frame(), ignore_unknown_fields=True))
    return state


def to_event(e: DomainEvent, ref: t.FrameRef, task_id: str) -> NewEvent:
    """Domain event → outbox event on the frame's stream and documented subject."""
    payload = ev.RoiCreated(frame=ref, roi=roi_msg(roi_doc(e.roi)))
    return NewEvent(
        payload=payload,
        stream_id=stream_id(ref.version_id, ref.frame_id),
        subject=subject(ANNOTATION.prefix, ref.dataset_id, ref.version_id, ref.frame_id, "RoiCreated"),
        task_id=task_id,
    )


def stream_id(version_id: str, frame_id: str) -> str:
    """Event stream of one frame of one version."""
    return f"frame:{version_id}:{frame_id}"
