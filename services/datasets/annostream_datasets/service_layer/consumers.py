"""Event consumers of the datasets service: task references (tasks stream) and per-version
annotation statistics (annotation stream). Each runs inside the consumer's transaction."""

from __future__ import annotations

from annostream_kernel.db import Conn
from annostream_kernel.events import unpack
from annostream_kernel.streams import ANNOTATION
from annostream_protos.events.v1 import annotation_pb2 as an
from annostream_protos.events.v1 import envelope_pb2, tasks_pb2

from ..adapters.stats_batch_sql import (
    bump_labels,
    bump_versions,
    known_versions,
    load_frames,
    load_rois,
    write_frames,
    write_rois,
)
from ..adapters.stats_store import TaskRefs
from .stats_fold import FRAME_EVENTS, ROI_EVENTS, StatsFold, decode, roi_key


async def on_tasks_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """TaskCreated adds a reference to the dataset and versions; TaskDeleted removes it."""
    if tc := unpack(envelope, tasks_pb2.TaskCreated):
        await TaskRefs(conn).add(tc.task_id, tc.dataset_id, [tc.source_version_id, tc.annotated_version_id])
    elif td := unpack(envelope, tasks_pb2.TaskDeleted):
        await TaskRefs(conn).remove(td.task_id)


# The statistics consumer receives only what changes counts (JetStream drops moves, reshapes, metadata, locks).
ANNOTATION_FILTERS = tuple(
    f"{ANNOTATION.prefix}.*.*.*.{cls.__name__}" for cls in (an.FrameInherited, *ROI_EVENTS, *FRAME_EVENTS)
)
# A fetched part of a save is completed with what follows within the gather window (the filter drops the save's
# FrameSaved marker, which would add a transaction to every move), so a save is folded once.
ANNOTATION_GATHER: frozenset[str] = frozenset()


async def on_annotation_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """Keep annotated-frame, ROI and label counts of the event's version current (a batch of one)."""
    await on_annotation_events(conn, [envelope])


async def on_annotation_events(conn: Conn, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
    """Apply a batch of annotation events (a save's events arrive together) as one change: the frames and
    ROIs they touch are read once, folded in stream order in memory, and written back with one statement per
    table: one delta per version and label, one row per frame and ROI, whatever the number of events."""
    events = [ev for e in envelopes if (ev := decode(e.payload.type_url, e.payload.value)) is not None]
    if not events:
        return
    known = await known_versions(conn, {ev.frame.version_id for ev in events})
    events = [ev for ev in events if ev.frame.version_id in known]
    if not events:
        return
    frames = list(dict.fromkeys((ev.frame.version_id, ev.frame.frame_id) for ev in events))
    roi_keys = list(dict.fromkeys(roi_key(ev) for ev in events if isinstance(ev, ROI_EVENTS)))
    fold = StatsFold(await load_frames(conn, frames), await load_rois(conn, roi_keys))
    for ev in events:
        fold.apply(ev)
    await write_rois(conn, fold.rois_changed())
    await write_frames(conn, fold.frames_changed())
    await bump_versions(conn, fold.version_deltas())
    await bump_labels(conn, fold.labels)
