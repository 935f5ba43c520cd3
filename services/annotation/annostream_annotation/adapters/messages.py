"""Domain events ↔ protobuf event payloads (annostream.events.v1.*: one EVENTS table), with upcasting of stored old
versions; the outbox events of a save (streams, subjects, FrameSaved)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.limits import dump_json
from annostream_kernel.protobuf import metadata_of
from annostream_kernel.streams import ANNOTATION
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t

from ..domain import events as de
from ..wire import field_bytes, roi_doc, roi_msg, roi_wire
from .upcasters import UPCASTERS, current_schema_version

PACKAGE = "annostream.events.v1."


def _points(points: list[list[float]]) -> list[dict[str, float]]:
    return [{"x": x, "y": y} for x, y in points]


def _copied_from(origin: dict[str, str] | None) -> ev.CopiedFrom | None:
    if origin is None:
        return None
    ref = t.FrameRef(version_id=origin["version_id"], frame_id=origin["frame_id"])
    return ev.CopiedFrom(frame=ref, roi_id=origin["roi_id"])


def _origin(m: ev.RoiCreated) -> dict[str, str] | None:
    if not m.HasField("copied_from"):
        return None
    f = m.copied_from
    return {"version_id": f.frame.version_id, "frame_id": f.frame.frame_id, "roi_id": f.roi_id}


def _snapshot(m: ev.FrameInherited) -> dict[str, Any]:
    return {"rois": [roi_doc(r) for r in m.rois], "frame_labels": list(m.frame_labels), "metadata": metadata_of(m)}


def _roi_created(e: de.RoiCreated, ref: t.FrameRef) -> ev.RoiCreated:
    """A RoiCreated payload; a drawn ROI's (no origin: the 50 of a 50-object save) parsed from its encoding, in
    about a third of the time of building the message and copying the frame and ROI into it."""
    if e.copied_from is not None:
        return ev.RoiCreated(frame=ref, roi=roi_msg(e.roi), copied_from=_copied_from(e.copied_from))
    return ev.RoiCreated.FromString(
        field_bytes(b"\x0a", ref.SerializeToString()) + field_bytes(b"\x12", roi_wire(e.roi))
    )


@dataclass(frozen=True)
class EventRow:
    """One event kind: its protobuf message, domain event → message (on a frame), message → domain event."""

    message: type[Message]
    to_message: Callable[[Any, t.FrameRef], Message]
    from_message: Callable[[Any], de.Event]


EVENTS: dict[type[de.Event], EventRow] = {
    de.RoiCreated: EventRow(
        ev.RoiCreated,
        lambda e, ref: _roi_created(e, ref),
        lambda m: de.RoiCreated(m.roi.roi_id, roi_doc(m.roi), _origin(m)),
    ),
    de.RoiMoved: EventRow(
        ev.RoiMoved,
        lambda e, ref: ev.RoiMoved(frame=ref, roi_id=e.roi_id, dx=e.dx, dy=e.dy),
        lambda m: de.RoiMoved(m.roi_id, m.dx, m.dy),
    ),
    de.RoiReshaped: EventRow(
        ev.RoiReshaped,
        lambda e, ref: ev.RoiReshaped(frame=ref, roi_id=e.roi_id, points=_points(e.points)),
        lambda m: de.RoiReshaped(m.roi_id, [[p.x, p.y] for p in m.points]),
    ),
    de.RoiLabelAdded: EventRow(
        ev.RoiLabelAdded,
        lambda e, ref: ev.RoiLabelAdded(frame=ref, roi_id=e.roi_id, label=e.label),
        lambda m: de.RoiLabelAdded(m.roi_id, m.label),
    ),
    de.RoiLabelRemoved: EventRow(
        ev.RoiLabelRemoved,
        lambda e, ref: ev.RoiLabelRemoved(frame=ref, roi_id=e.roi_id, label=e.label),
        lambda m: de.RoiLabelRemoved(m.roi_id, m.label),
    ),
    de.RoiMetadataSet: EventRow(
        ev.RoiMetadataSet,
        lambda e, ref: ev.RoiMetadataSet(frame=ref, roi_id=e.roi_id, metadata_json=dump_json(e.metadata)),
        lambda m: de.RoiMetadataSet(m.roi_id, metadata_of(m)),
    ),
    de.RoiLocked: EventRow(
        ev.RoiLocked, lambda e, ref: ev.RoiLocked(frame=ref, roi_id=e.roi_id), lambda m: de.RoiLocked(m.roi_id)
    ),
    de.RoiUnlocked: EventRow(
        ev.RoiUnlocked, lambda e, ref: ev.RoiUnlocked(frame=ref, roi_id=e.roi_id), lambda m: de.RoiUnlocked(m.roi_id)
    ),
    de.RoiDeleted: EventRow(
        ev.RoiDeleted,
        lambda e, ref: ev.RoiDeleted(frame=ref, roi_id=e.roi_id, labels=e.labels),
        lambda m: de.RoiDeleted(m.roi_id, list(m.labels)),
    ),
    de.RoiRestored: EventRow(
        ev.RoiRestored,
        lambda e, ref: ev.RoiRestored(frame=ref, roi=roi_msg(e.roi), previous_labels=e.previous_labels),
        lambda m: de.RoiRestored(m.roi.roi_id, roi_doc(m.roi), list(m.previous_labels)),
    ),
    de.FrameLabelAdded: EventRow(
        ev.FrameLabelAdded,
        lambda e, ref: ev.FrameLabelAdded(frame=ref, label=e.label),
        lambda m: de.FrameLabelAdded(m.label),
    ),
    de.FrameLabelRemoved: EventRow(
        ev.FrameLabelRemoved,
        lambda e, ref: ev.FrameLabelRemoved(frame=ref, label=e.label),
        lambda m: de.FrameLabelRemoved(m.label),
    ),
    de.FrameMetadataSet: EventRow(
        ev.FrameMetadataSet,
        lambda e, ref: ev.FrameMetadataSet(frame=ref, metadata_json=dump_json(e.metadata)),
        lambda m: de.FrameMetadataSet(metadata_of(m)),
    ),
    de.FrameInherited: EventRow(
        ev.FrameInherited,
        lambda e, ref: ev.FrameInherited(
            frame=ref,
            parent_version_id=e.parent_version_id,
            rois=[roi_msg(r) for r in e.snapshot.get("rois", [])],
            frame_labels=e.snapshot.get("frame_labels", []),
            metadata_json=dump_json(e.snapshot.get("metadata") or {}),
        ),
        lambda m: de.FrameInherited(m.parent_version_id, _snapshot(m)),
    ),
}
"""The one mapping between domain events and their protobuf messages (annostream.events.v1)."""
_BY_NAME: dict[str, EventRow] = {cls.__name__: row for cls, row in EVENTS.items()}


def to_payload(e: de.Event, ref: t.FrameRef) -> Message:
    """Domain event → protobuf payload."""
    return EVENTS[type(e)].to_message(e, ref)


def decode(type_name: str, schema_version: int, payload: bytes) -> de.Event:
    """Stored event → domain event, upcasting older schema versions first."""
    short = type_name.removeprefix(PACKAGE)
    while schema_version < current_schema_version(short):
        payload, schema_version = UPCASTERS[(short, schema_version)](payload), schema_version + 1
    row = _BY_NAME[short]
    return row.from_message(row.message.FromString(payload))


def schema_version_of(e: de.Event) -> int:
    """Schema version new events of this kind are written with."""
    return current_schema_version(e.kind)


def stream_id(version_id: str, frame_id: str) -> str:
    """Event stream of one frame of one version."""
    return f"frame:{version_id}:{frame_id}"


@functools.lru_cache(maxsize=1024)
def _subject(dataset_id: str, version_id: str, frame_id: str, kind: str) -> str:
    """A frame event's subject (the same few per save: computed once)."""
    return subject(ANNOTATION.prefix, dataset_id, version_id, frame_id, kind)


def outbox_event(e: de.Event, ref: t.FrameRef, task_id: str) -> NewEvent:
    """Domain event → outbox event on the frame's stream and its documented subject."""
    return NewEvent(
        payload=to_payload(e, ref),
        stream_id=stream_id(ref.version_id, ref.frame_id),
        subject=_subject(ref.dataset_id, ref.version_id, ref.frame_id, e.kind),
        schema_version=schema_version_of(e),
        task_id=task_id,
    )


def saved_event(
    ref: t.FrameRef, save_id: str, kind: str, from_version: int, events: list[de.Event], task_id: str
) -> NewEvent:
    """FrameSaved for one committed write: its own stream per frame, stream version = the frame's new version."""
    roi_ids = list(dict.fromkeys(e.roi_id for e in events if e.roi_id))
    to_version = from_version + len(events)
    return NewEvent(
        payload=ev.FrameSaved(
            frame=ref, save_id=save_id, kind=kind, from_version=from_version, to_version=to_version, roi_ids=roi_ids
        ),
        stream_id="saves:" + stream_id(ref.version_id, ref.frame_id),
        subject=subject(ANNOTATION.prefix, ref.dataset_id, ref.version_id, ref.frame_id, "FrameSaved"),
        task_id=task_id,
    )
