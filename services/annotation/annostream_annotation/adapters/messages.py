"""API messages ↔ domain: commands from requests, FrameState / FrameEvent for responses, outbox events."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from google.protobuf import json_format

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.events import NewEvent, subject
from annostream_kernel.ids import new_id
from annostream_kernel.limits import MAX_ID_LENGTH, check_text, dump_json
from annostream_kernel.protobuf import request_metadata, timestamp
from annostream_kernel.streams import ANNOTATION
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t

from ..domain import commands as c
from ..domain.events import Event
from ..domain.roi import RoiSpec
from .codec import ROI_TYPES, roi_msg, schema_version_of, to_payload


def roi_spec(m: t.Roi, field_name: str, *, new_id_always: bool = False) -> RoiSpec:
    """Roi message → RoiSpec (an id is assigned when empty, or always for pastes)."""
    if m.type not in ROI_TYPES:
        raise InvalidArgument("must be rectangle, ellipse, polygon or keypoints", field=f"{field_name}.type")
    return RoiSpec(
        roi_id=new_id("roi_") if new_id_always or not m.roi_id else m.roi_id,
        type=ROI_TYPES[m.type],
        points=tuple((p.x, p.y) for p in m.points),
        labels=tuple(m.labels),
        confidence=m.confidence if m.HasField("confidence") else None,
        source_id=m.source_id,
        metadata=request_metadata(m, f"{field_name}.metadata"),
    )


def command(m: api.Command, i: int) -> c.Command:
    """Command message → domain command."""
    kind = m.WhichOneof("command")
    where = f"commands[{i}].{kind}"
    match kind:
        case "create_roi":
            return c.CreateRoi(roi_spec(m.create_roi.roi, f"{where}.roi"))
        case "paste_rois":
            p = m.paste_rois
            if not p.rois:
                raise InvalidArgument("must contain at least one ROI", field=f"{where}.rois")
            rois = tuple(roi_spec(r, f"{where}.rois[{j}]", new_id_always=True) for j, r in enumerate(p.rois))
            for j, o in enumerate(p.origins):
                for name in ("version_id", "frame_id", "roi_id"):
                    check_text(getattr(o, name), f"{where}.origins[{j}].{name}", max_length=MAX_ID_LENGTH)
            origins = tuple((o.version_id, o.frame_id, o.roi_id) for o in p.origins)
            return c.PasteRois(rois, origins)
        case "move_roi":
            return c.MoveRoi(m.move_roi.roi_id, m.move_roi.dx, m.move_roi.dy)
        case "reshape_roi":
            return c.ReshapeRoi(m.reshape_roi.roi_id, tuple((p.x, p.y) for p in m.reshape_roi.points))
        case "add_roi_label":
            return c.AddRoiLabel(m.add_roi_label.roi_id, m.add_roi_label.label)
        case "remove_roi_label":
            return c.RemoveRoiLabel(m.remove_roi_label.roi_id, m.remove_roi_label.label)
        case "set_roi_metadata":
            sm = m.set_roi_metadata
            return c.SetRoiMetadata(sm.roi_id, request_metadata(sm, f"{where}.metadata"))
        case "lock_roi":
            return c.LockRoi(m.lock_roi.roi_id)
        case "unlock_roi":
            return c.UnlockRoi(m.unlock_roi.roi_id)
        case "lock_all_rois":
            return c.LockAllRois()
        case "unlock_all_rois":
            return c.UnlockAllRois()
        case "delete_roi":
            return c.DeleteRoi(m.delete_roi.roi_id)
        case "add_frame_label":
            return c.AddFrameLabel(m.add_frame_label.label)
        case "remove_frame_label":
            return c.RemoveFrameLabel(m.remove_frame_label.label)
        case "set_frame_metadata":
            return c.SetFrameMetadata(request_metadata(m.set_frame_metadata, f"{where}.metadata"))
    raise InvalidArgument("unknown or empty command", field=f"commands[{i}]")


@functools.lru_cache(maxsize=4096)
def _base_frame(base_json: str) -> t.Frame:
    # json_format.ParseDict is slow; a frame's base data never changes, so parse each one once. Its metadata
    # goes out as JSON text (a Struct would turn integers into doubles).
    doc = json.loads(base_json)
    metadata = doc.pop("metadata", None)
    frame = json_format.ParseDict(doc, t.Frame(), ignore_unknown_fields=True)
    if metadata:
        frame.metadata_json = dump_json(metadata)
    return frame


def frame_state(ref: t.FrameRef, version: int, base: dict[str, Any] | None, doc: dict[str, Any]) -> api.FrameState:
    """Projection → FrameState message. `metadata` is the frame's effective metadata: as last edited
    (FrameMetadataSet), else as imported (the base frame's); an edit that empties it shows the imported one."""
    state = api.FrameState(
        frame=ref,
        version=version,
        rois=[roi_msg(r) for r in doc.get("rois", [])],
        frame_labels=doc.get("frame_labels", []),
        metadata_json=dump_json(doc.get("metadata") or (base or {}).get("metadata") or {}),
    )
    if base is not None:
        state.base.CopyFrom(_base_frame(json.dumps(base, sort_keys=True)))
    return state


def frame_event(version: int, event_id: str, e: Event, actor: str, at: datetime, task_id: str) -> api.FrameEvent:
    """A history entry."""
    return api.FrameEvent(
        version=version,
        event_id=event_id,
        type=e.kind,
        actor=actor,
        occurred_at=timestamp(at),
        task_id=task_id,
        roi_id=e.roi_id,
        data_json=dump_json(e.data),
    )


def stream_id(version_id: str, frame_id: str) -> str:
    """Event stream of one frame of one version."""
    return f"frame:{version_id}:{frame_id}"


@functools.lru_cache(maxsize=1024)
def _subject(dataset_id: str, version_id: str, frame_id: str, kind: str) -> str:
    """A frame event's subject (the same few per save: computed once)."""
    return subject(ANNOTATION.prefix, dataset_id, version_id, frame_id, kind)


def outbox_event(e: Event, ref: t.FrameRef, task_id: str) -> NewEvent:
    """Domain event → outbox event on the frame's stream and its documented subject."""
    return NewEvent(
        payload=to_payload(e, ref),
        stream_id=stream_id(ref.version_id, ref.frame_id),
        subject=_subject(ref.dataset_id, ref.version_id, ref.frame_id, e.kind),
        schema_version=schema_version_of(e),
        task_id=task_id,
    )


def saved_event(
    ref: t.FrameRef, save_id: str, kind: str, from_version: int, events: list[Event], task_id: str
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
