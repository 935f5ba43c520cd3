"""Annotation events as a consumer receives them, for the batch-path tests of the consumers that read them."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message

from annostream_kernel.events import TYPE_URL_PREFIX
from annostream_protos.events.v1 import envelope_pb2
from annostream_protos.types.v1 import frames_pb2 as t


def envelope(msg: Message, stream_version: int = 0) -> envelope_pb2.EventEnvelope:
    """`msg` in an envelope (a fresh event id, its type named as the relay names it)."""
    env = envelope_pb2.EventEnvelope(event_id=str(uuid.uuid4()), type=type(msg).__name__, stream_version=stream_version)
    env.payload.type_url = TYPE_URL_PREFIX + msg.DESCRIPTOR.full_name
    env.payload.value = msg.SerializeToString()
    return env


def ref(version_id: str, frame_id: str) -> t.FrameRef:
    """A frame of a version."""
    return t.FrameRef(version_id=version_id, frame_id=frame_id)


def rect(roi_id: str, *labels: str) -> t.Roi:
    """A small rectangle with these labels."""
    return t.Roi(roi_id=roi_id, type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=5, y=5)], labels=labels)
