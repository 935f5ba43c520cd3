"""Consumers: versions, lineage, status and base frames from the datasets stream; imported annotations
become events (so a frame's history starts at import)."""

from __future__ import annotations

from google.protobuf import json_format

from annostream_kernel.consumer import Handler
from annostream_kernel.context import bind_request, current_correlation_id
from annostream_kernel.db import Conn
from annostream_kernel.errors import DomainError
from annostream_kernel.events import unpack
from annostream_kernel.logs import get_logger
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2
from annostream_protos.types.v1 import frames_pb2 as t

from ..adapters.messages import roi_spec
from ..adapters.postgres import AnnotationStore
from ..domain import commands as c
from .session import FrameSession

IMPORT_ACTOR = "import"
log = get_logger(__name__)


def datasets_handler(notify_channel: str) -> Handler:
    """The handler of the annotation service's consumer of the datasets stream."""

    async def handle(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        store = AnnotationStore(conn)
        if vc := unpack(envelope, datasets_pb2.VersionCreated):
            await store.upsert_version(vc.version_id, vc.dataset_id, vc.parent_version_id or None)
        elif vp := unpack(envelope, datasets_pb2.VersionPublished):
            await store.publish_version(vp.version_id)
        elif fi := unpack(envelope, datasets_pb2.FramesImported):
            docs = [
                json_format.MessageToDict(_without_annotations(f), preserving_proto_field_name=True) for f in fi.frames
            ]
            await store.add_base_frames(fi.version_id, docs)
            for f in fi.frames:
                if f.rois or f.frame_labels:
                    await _import_annotations(conn, fi.version_id, f, notify_channel)

    return handle


def _without_annotations(f: t.Frame) -> t.Frame:
    base = t.Frame()
    base.CopyFrom(f)
    base.ClearField("rois")
    base.ClearField("frame_labels")
    return base


async def _import_annotations(conn: Conn, version_id: str, frame: t.Frame, notify: str) -> None:
    """Append imported ROIs and frame labels as events of the frame (skipped if the frame has history)."""
    session = await FrameSession.open(conn, version_id, frame.frame_id, write=True)
    if session.version > 0:
        return  # re-delivered or re-imported: the frame already has its history
    bind_request(current_correlation_id(), IMPORT_ACTOR)
    commands: list[c.Command] = [c.CreateRoi(roi_spec(r, f"frames.rois[{i}]")) for i, r in enumerate(frame.rois)]
    commands += [c.AddFrameLabel(label) for label in frame.frame_labels]
    try:
        events = [e for i, cmd in enumerate(commands) for e in session.agg.decide(cmd, i)]
    except DomainError as err:  # never block the stream on one bad frame: its annotations are skipped
        log.warning("import_annotations_rejected", version_id=version_id, frame_id=frame.frame_id, error=err.message)
        return
    await session.write(events, task_id="", kind="import", notify=notify)
