"""Consumers: versions, lineage, status (deletes included) and base frames from the datasets stream; imported
annotations become events (so a frame's history starts at import)."""

from __future__ import annotations

from annostream_kernel.consumer import BatchHandler, Handler
from annostream_kernel.context import bind_request, current_correlation_id
from annostream_kernel.db import Conn
from annostream_kernel.errors import DomainError
from annostream_kernel.events import runs_of, unpack
from annostream_kernel.logs import get_logger
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2
from annostream_protos.types.v1 import frames_pb2 as t

from ..adapters.base_frames import BaseFrames, BaseRow, base_doc
from ..adapters.postgres import AnnotationStore
from ..domain import commands as c
from ..wire import roi_spec
from .session import FrameSession

IMPORT_ACTOR = "import"
log = get_logger(__name__)


def datasets_handler(notify_channel: str) -> Handler:
    """The handler of the annotation service's consumer of the datasets stream (one event at a time)."""
    batch = datasets_batch_handler(notify_channel)

    async def handle(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        await batch(conn, [envelope])

    return handle


def datasets_batch_handler(notify_channel: str) -> BatchHandler:
    """The batch handler of that consumer: events in stream order, each run of FramesImported stored at once."""

    async def handle(conn: Conn, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        store = AnnotationStore(conn)
        for run, other in runs_of(envelopes, datasets_pb2.FramesImported):
            await _import_frames(conn, run, notify_channel)
            if other is None:
                continue
            if vc := unpack(other, datasets_pb2.VersionCreated):
                await store.upsert_version(vc.version_id, vc.dataset_id, vc.parent_version_id or None, vc.team or None)
            elif vp := unpack(other, datasets_pb2.VersionPublished):
                await store.publish_version(vp.version_id)
            elif dc := unpack(other, datasets_pb2.DatasetCreated):
                await store.upsert_dataset(dc.dataset_id, dc.team)
            elif sc := unpack(other, datasets_pb2.DatasetSharingChanged):
                await store.share_dataset(sc.dataset_id, list(sc.teams))
            elif vd := unpack(other, datasets_pb2.VersionDeleted):
                await store.delete_versions([vd.version_id])
            elif dd := unpack(other, datasets_pb2.DatasetDeleted):
                await store.delete_versions(list(dd.version_ids), dd.dataset_id)
                await store.delete_dataset(dd.dataset_id)

    return handle


async def _import_frames(
    conn: Conn, run: list[tuple[envelope_pb2.EventEnvelope, datasets_pb2.FramesImported]], notify: str
) -> None:
    """Base frames of FramesImported events in one COPY (the first import of a frame wins), then each event's
    imported annotations, in order; nothing of a version deleted since (SealDeletedVersions came first)."""
    if not run:
        return
    deleted = await AnnotationStore(conn).deleted_among(list({fi.version_id for _, fi in run}))
    run = [(envelope, fi) for envelope, fi in run if fi.version_id not in deleted]
    firsts: dict[str, dict[str, t.Frame]] = {}  # version → frame id → its first message
    for _, fi in run:
        seen = firsts.setdefault(fi.version_id, {})
        for f in fi.frames:
            seen.setdefault(f.frame_id, f)
    base, rows = BaseFrames(conn), list[BaseRow]()
    for version_id, seen in firsts.items():
        held = await base.existing(version_id, list(seen))
        rows.extend((version_id, fid, base_doc(f)) for fid, f in seen.items() if fid not in held)
    if rows:
        await base.copy(rows)
    for envelope, fi in run:
        bind_request(envelope.correlation_id, envelope.actor)
        for f in fi.frames:
            if f.rois or f.frame_labels:
                await _import_annotations(conn, fi.version_id, f, notify)


async def _import_annotations(conn: Conn, version_id: str, frame: t.Frame, notify: str) -> None:
    """Append imported ROIs and frame labels as events of the frame (skipped if the frame has history)."""
    # Not write=True: the version may be sealed (published) already; its imports were accepted before that.
    session = await FrameSession.open(conn, version_id, frame.frame_id, write=False)
    if session.version > 0:
        return  # re-delivered or re-imported: the frame already has its history
    bind_request(current_correlation_id(), IMPORT_ACTOR)
    specs = [roi_spec(r, f"frames.rois[{i}]") for i, r in enumerate(frame.rois)]
    commands: list[c.Command] = [c.CreateRoi(s) for s in specs]
    commands += [c.LockRoi(s.roi_id) for s, r in zip(specs, frame.rois, strict=True) if r.locked]
    commands += [c.AddFrameLabel(label) for label in frame.frame_labels]
    try:
        events = [e for i, cmd in enumerate(commands) for e in session.agg.decide(cmd, i)]
    except DomainError as err:  # datasets refuses such frames at import; never block the stream on older ones
        log.error("import_annotations_rejected", version_id=version_id, frame_id=frame.frame_id, error=err.message)
        return
    await session.write(events, task_id="", kind="import", notify=notify, imported=True)
