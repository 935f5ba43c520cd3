"""Mapping between domain objects, database rows and protobuf events (the one EVENTS table, event payloads)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.streams import DATASETS
from annostream_protos.events.v1 import datasets_pb2 as ev
from annostream_protos.types.v1 import frames_pb2

from ..domain import events

if TYPE_CHECKING:
    from .postgres import FrameRow


def frame_rows(version_id: str, frames: Sequence[frames_pb2.Frame]) -> tuple[list[FrameRow], list[bytes]]:
    """Validated frames → their frames-table rows (the message stored without its initial annotations) and
    what FramesImported events carry of each (the whole message); one serialization when it has none."""
    rows: list[FrameRow] = []
    whole: list[bytes] = []
    for f in frames:
        blob = f.SerializeToString()
        whole.append(blob)
        if f.rois or f.frame_labels:
            base = frames_pb2.Frame()
            base.CopyFrom(f)
            base.ClearField("rois")
            base.ClearField("frame_labels")
            blob = base.SerializeToString()
        rows.append((version_id, f.frame_id, f.context_id, f.timestamp, blob))
    return rows, whole


def _varint(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_FRAMES_TAG = b"\x1a"  # FramesImported.frames: field 3, length-delimited


def frames_imported(
    dataset_id: str, version_id: str, frames: Sequence[bytes], max_bytes: int
) -> list[ev.FramesImported]:
    """FramesImported events of at most `max_bytes` each from serialized frames, in order (a frame larger than
    that goes alone); the payload is assembled from the bytes already serialized, not re-encoded per frame."""
    head = ev.FramesImported(dataset_id=dataset_id, version_id=version_id).SerializeToString()
    out: list[ev.FramesImported] = []
    parts: list[bytes] = []
    size = len(head)
    for blob in frames:
        field = _FRAMES_TAG + _varint(len(blob)) + blob
        if parts and size + len(field) > max_bytes:
            out.append(ev.FramesImported.FromString(head + b"".join(parts)))
            parts, size = [], len(head)
        parts.append(field)
        size += len(field)
    if parts:
        out.append(ev.FramesImported.FromString(head + b"".join(parts)))
    return out


def frame_from_row(r: asyncpg.Record) -> frames_pb2.Frame:
    """A frames-table row → Frame message (as imported, without the initial annotations)."""
    if r["frame"] is not None:
        return frames_pb2.Frame.FromString(r["frame"])
    meta = r["metadata"]  # jsonb text: integers as stored
    return frames_pb2.Frame(
        frame_id=r["frame_id"],
        context_id=r["context_id"],
        timestamp=r["ts"],
        metadata_json=meta if meta and meta != "{}" else "",
        sources=[
            frames_pb2.Source(
                id=s["id"],
                uri=s["uri"],
                width=s["width"],
                height=s["height"],
                timestamp=s.get("timestamp", 0),
                preview_uri=s.get("preview_uri", ""),
                masks=[frames_pb2.Mask(id=m["id"], uri=m["uri"]) for m in s.get("masks", ())],
            )
            for s in json.loads(r["sources"])
        ],
    )


def event(payload: Any, dataset_id: str, version_id: str = "") -> NewEvent:
    """Wrap a datasets event for the outbox: stream per dataset, subject per dataset/version/type."""
    name = payload.DESCRIPTOR.name
    return NewEvent(
        payload=payload,
        stream_id=f"dataset:{dataset_id}",
        subject=subject(DATASETS.prefix, dataset_id, version_id or "-", name),
    )


# FramesImported events carry about this much each (consumers apply them in batches); a larger frame goes alone,
# and one frame is at most MAX_FRAME_STATE_BYTES (frame_rules), inside limits.MAX_EVENT_BYTES.
EVENT_TARGET_BYTES = 256 * 1024


def _frames_imported(e: events.FramesImported) -> list[NewEvent]:
    parts = frames_imported(e.dataset_id, e.version_id, e.frames, EVENT_TARGET_BYTES)
    return [event(p, e.dataset_id, e.version_id) for p in parts]


# The one table from a domain event to its protobuf events (stream, subject and payload).
EVENTS: dict[type[Any], Callable[[Any], list[NewEvent]]] = {
    events.DatasetCreated: lambda e: [
        event(ev.DatasetCreated(dataset_id=e.dataset_id, name=e.name, team=e.team), e.dataset_id)
    ],
    events.DatasetRenamed: lambda e: [event(ev.DatasetRenamed(dataset_id=e.dataset_id, name=e.name), e.dataset_id)],
    events.DatasetDeleted: lambda e: [
        event(ev.DatasetDeleted(dataset_id=e.dataset_id, version_ids=e.version_ids), e.dataset_id)
    ],
    events.DatasetSharingChanged: lambda e: [
        event(ev.DatasetSharingChanged(dataset_id=e.dataset_id, teams=e.teams), e.dataset_id)
    ],
    events.VersionCreated: lambda e: [
        event(
            ev.VersionCreated(
                dataset_id=e.dataset_id,
                version_id=e.version_id,
                name=e.name,
                parent_version_id=e.parent_version_id,
                status=ev.VERSION_STATUS_DRAFT,
                team=e.team,
            ),
            e.dataset_id,
            e.version_id,
        )
    ],
    events.VersionPublished: lambda e: [
        event(ev.VersionPublished(dataset_id=e.dataset_id, version_id=e.version_id), e.dataset_id, e.version_id)
    ],
    events.VersionDeleted: lambda e: [
        event(ev.VersionDeleted(dataset_id=e.dataset_id, version_id=e.version_id), e.dataset_id, e.version_id)
    ],
    events.FramesImported: _frames_imported,
}


def new_events(e: events.Event) -> list[NewEvent]:
    """A domain event as the protobuf events the outbox appends (FramesImported splits by size)."""
    return EVENTS[type(e)](e)
