"""Domain events ↔ protobuf event payloads (annostream.events.v1.*), with upcasting of stored old versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from annostream_kernel.limits import dump_json
from annostream_kernel.protobuf import metadata_of
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t

from ..domain.events import Event
from ..domain.roi import RoiType
from .upcasters import UPCASTERS, current_schema_version

PACKAGE = "annostream.events.v1."
ROI_TYPES = {
    t.ROI_TYPE_RECTANGLE: RoiType.RECTANGLE,
    t.ROI_TYPE_ELLIPSE: RoiType.ELLIPSE,
    t.ROI_TYPE_POLYGON: RoiType.POLYGON,
    t.ROI_TYPE_KEYPOINTS: RoiType.KEYPOINTS,
}
ROI_TYPE_MSG = {v: k for k, v in ROI_TYPES.items()}
_ROI_TYPE_BY_NAME = {v.value: k for k, v in ROI_TYPES.items()}  # projection JSON's type string → enum value


def roi_msg(doc: dict[str, Any]) -> t.Roi:
    """Projection ROI JSON → Roi message."""
    meta = doc.get("metadata")
    roi = t.Roi(
        roi_id=doc["roi_id"],
        type=_ROI_TYPE_BY_NAME[doc["type"]],
        points=[t.Point(x=x, y=y) for x, y in doc["points"]],
        labels=doc["labels"],
        source_id=doc.get("source_id", ""),
        metadata_json=dump_json(meta) if meta else "",
        locked=doc.get("locked", False),
    )
    if doc.get("confidence") is not None:
        roi.confidence = doc["confidence"]
    return roi


def roi_doc(m: t.Roi) -> dict[str, Any]:
    """Roi message → projection ROI JSON."""
    return {
        "roi_id": m.roi_id,
        "type": ROI_TYPES[m.type].value,
        "points": [[p.x, p.y] for p in m.points],
        "labels": list(m.labels),
        "confidence": m.confidence if m.HasField("confidence") else None,
        "source_id": m.source_id,
        "metadata": metadata_of(m),
        "locked": m.locked,
    }


def to_payload(e: Event, ref: t.FrameRef) -> Message:
    """Domain event → protobuf payload."""
    d = e.data
    match e.kind:
        case "RoiCreated":
            msg = ev.RoiCreated(frame=ref, roi=roi_msg(d["roi"]))
            if origin := d.get("copied_from"):
                msg.copied_from.CopyFrom(
                    ev.CopiedFrom(
                        frame=t.FrameRef(version_id=origin["version_id"], frame_id=origin["frame_id"]),
                        roi_id=origin["roi_id"],
                    )
                )
            return msg
        case "RoiMoved":
            return ev.RoiMoved(frame=ref, roi_id=e.roi_id, dx=d["dx"], dy=d["dy"])
        case "RoiReshaped":
            return ev.RoiReshaped(frame=ref, roi_id=e.roi_id, points=[t.Point(x=x, y=y) for x, y in d["points"]])
        case "RoiLabelAdded":
            return ev.RoiLabelAdded(frame=ref, roi_id=e.roi_id, label=d["label"])
        case "RoiLabelRemoved":
            return ev.RoiLabelRemoved(frame=ref, roi_id=e.roi_id, label=d["label"])
        case "RoiMetadataSet":
            return ev.RoiMetadataSet(frame=ref, roi_id=e.roi_id, metadata_json=dump_json(d["metadata"]))
        case "RoiLocked":
            return ev.RoiLocked(frame=ref, roi_id=e.roi_id)
        case "RoiUnlocked":
            return ev.RoiUnlocked(frame=ref, roi_id=e.roi_id)
        case "RoiDeleted":
            return ev.RoiDeleted(frame=ref, roi_id=e.roi_id, labels=d["labels"])
        case "RoiRestored":
            return ev.RoiRestored(frame=ref, roi=roi_msg(d["roi"]), previous_labels=d["previous_labels"])
        case "FrameLabelAdded":
            return ev.FrameLabelAdded(frame=ref, label=d["label"])
        case "FrameLabelRemoved":
            return ev.FrameLabelRemoved(frame=ref, label=d["label"])
        case "FrameMetadataSet":
            return ev.FrameMetadataSet(frame=ref, metadata_json=dump_json(d["metadata"]))
        case "FrameInherited":
            snap = d["snapshot"]
            return ev.FrameInherited(
                frame=ref,
                parent_version_id=d["parent_version_id"],
                rois=[roi_msg(r) for r in snap.get("rois", [])],
                frame_labels=snap.get("frame_labels", []),
                metadata_json=dump_json(snap.get("metadata") or {}),
            )
    raise ValueError(f"no payload for {e.kind}")


def _created(m: ev.RoiCreated) -> Event:
    data: dict[str, Any] = {"roi": roi_doc(m.roi)}
    if m.HasField("copied_from"):
        f = m.copied_from
        data["copied_from"] = {"version_id": f.frame.version_id, "frame_id": f.frame.frame_id, "roi_id": f.roi_id}
    return Event("RoiCreated", m.roi.roi_id, data)


_DECODERS: dict[str, tuple[type[Message], Callable[[Any], Event]]] = {
    "RoiCreated": (ev.RoiCreated, _created),
    "RoiMoved": (ev.RoiMoved, lambda m: Event("RoiMoved", m.roi_id, {"dx": m.dx, "dy": m.dy})),
    "RoiReshaped": (
        ev.RoiReshaped,
        lambda m: Event("RoiReshaped", m.roi_id, {"points": [[p.x, p.y] for p in m.points]}),
    ),
    "RoiLabelAdded": (ev.RoiLabelAdded, lambda m: Event("RoiLabelAdded", m.roi_id, {"label": m.label})),
    "RoiLabelRemoved": (ev.RoiLabelRemoved, lambda m: Event("RoiLabelRemoved", m.roi_id, {"label": m.label})),
    "RoiMetadataSet": (
        ev.RoiMetadataSet,
        lambda m: Event("RoiMetadataSet", m.roi_id, {"metadata": metadata_of(m)}),
    ),
    "RoiLocked": (ev.RoiLocked, lambda m: Event("RoiLocked", m.roi_id)),
    "RoiUnlocked": (ev.RoiUnlocked, lambda m: Event("RoiUnlocked", m.roi_id)),
    "RoiDeleted": (ev.RoiDeleted, lambda m: Event("RoiDeleted", m.roi_id, {"labels": list(m.labels)})),
    "RoiRestored": (
        ev.RoiRestored,
        lambda m: Event(
            "RoiRestored", m.roi.roi_id, {"roi": roi_doc(m.roi), "previous_labels": list(m.previous_labels)}
        ),
    ),
    "FrameLabelAdded": (ev.FrameLabelAdded, lambda m: Event("FrameLabelAdded", data={"label": m.label})),
    "FrameLabelRemoved": (ev.FrameLabelRemoved, lambda m: Event("FrameLabelRemoved", data={"label": m.label})),
    "FrameMetadataSet": (
        ev.FrameMetadataSet,
        lambda m: Event("FrameMetadataSet", data={"metadata": metadata_of(m)}),
    ),
    "FrameInherited": (
        ev.FrameInherited,
        lambda m: Event(
            "FrameInherited",
            data={
                "parent_version_id": m.parent_version_id,
                "snapshot": {
                    "rois": [roi_doc(r) for r in m.rois],
                    "frame_labels": list(m.frame_labels),
                    "metadata": metadata_of(m),
                },
            },
        ),
    ),
}


def decode(type_name: str, schema_version: int, payload: bytes) -> Event:
    """Stored event → domain event, upcasting older schema versions first."""
    short = type_name.removeprefix(PACKAGE)
    while schema_version < current_schema_version(short):
        payload, schema_version = UPCASTERS[(short, schema_version)](payload), schema_version + 1
    cls, build = _DECODERS[short]
    return build(cls.FromString(payload))


def schema_version_of(e: Event) -> int:
    """Schema version new events of this kind are written with."""
    return current_schema_version(e.kind)
