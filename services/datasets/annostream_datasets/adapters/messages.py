"""Mapping between domain objects and protobuf messages (API responses and event payloads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.streams import DATASETS
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.events.v1 import datasets_pb2 as ev
from annostream_protos.types.v1 import frames_pb2

from ..domain.commands import FrameData, SourceData
from ..domain.model import Dataset, Version, VersionStatus

STATUS = {
    VersionStatus.DRAFT: ev.VERSION_STATUS_DRAFT,
    VersionStatus.PUBLISHED: ev.VERSION_STATUS_PUBLISHED,
}


def _ts(dt: datetime | None) -> timestamp_pb2.Timestamp | None:
    if dt is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def dataset_msg(d: Dataset) -> api.Dataset:
    """Dataset → API message."""
    return api.Dataset(dataset_id=d.dataset_id, name=d.name, team=d.team, created_at=_ts(d.created_at))


def version_msg(v: Version) -> api.Version:
    """Version → API message."""
    return api.Version(
        version_id=v.version_id,
        dataset_id=v.dataset_id,
        name=v.name,
        parent_version_id=v.parent_version_id or "",
        status=STATUS[v.status],
        frame_count=v.frame_count,
        created_at=_ts(v.created_at),
    )


def struct(d: dict[str, Any]) -> struct_pb2.Struct:
    """dict → google.protobuf.Struct."""
    s = struct_pb2.Struct()
    s.update(d)
    return s


def frame_msg(f: FrameData) -> frames_pb2.Frame:
    """FrameData → Frame message."""
    return frames_pb2.Frame(
        frame_id=f.frame_id,
        context_id=f.context_id,
        timestamp=f.timestamp,
        sources=[
            frames_pb2.Source(
                id=s.id,
                uri=s.uri,
                width=s.width,
                height=s.height,
                timestamp=s.timestamp,
                preview_uri=s.preview_uri,
            )
            for s in f.sources
        ],
        metadata=struct(f.metadata),
    )


def frame_dict(m: frames_pb2.Frame) -> dict[str, Any]:
    """Frame message → the loose dict `parse_frame` validates."""
    return {
        "id": m.frame_id,
        "context_id": m.context_id,
        "timestamp": m.timestamp,
        "sources": [
            {
                "id": s.id,
                "uri": s.uri,
                "width": s.width,
                "height": s.height,
                "timestamp": s.timestamp,
                "preview_uri": s.preview_uri,
            }
            for s in m.sources
        ],
        "metadata": json_format.MessageToDict(m.metadata),
    }


def source_of(s: SourceData) -> frames_pb2.Source:
    """SourceData → Source message."""
    return frames_pb2.Source(id=s.id, uri=s.uri, width=s.width, height=s.height)


def event(payload: Any, dataset_id: str, version_id: str = "") -> NewEvent:
    """Wrap a datasets event for the outbox: stream per dataset, subject per dataset/version/type."""
    name = payload.DESCRIPTOR.name
    return NewEvent(
        payload=payload,
        stream_id=f"dataset:{dataset_id}",
        subject=subject(DATASETS.prefix, dataset_id, version_id or "-", name),
    )
