"""Event consumers of the datasets service: task references (tasks stream) and per-version
annotation statistics (annotation stream). Each runs inside the consumer's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from annostream_kernel.db import Conn
from annostream_kernel.events import unpack
from annostream_kernel.streams import ANNOTATION
from annostream_protos.events.v1 import annotation_pb2 as an
from annostream_protos.events.v1 import envelope_pb2, tasks_pb2

from ..adapters.stats_store import FRAME, ROI, StatsStore, TaskRefs


async def on_tasks_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """TaskCreated adds a reference to the dataset and versions; TaskDeleted removes it."""
    if tc := unpack(envelope, tasks_pb2.TaskCreated):
        await TaskRefs(conn).add(tc.task_id, tc.dataset_id, [tc.source_version_id, tc.annotated_version_id])
    elif td := unpack(envelope, tasks_pb2.TaskDeleted):
        await TaskRefs(conn).remove(td.task_id)


def _diff(before: Iterable[str], after: Iterable[str]) -> dict[str, int]:
    delta: Counter[str] = Counter(after)
    delta.subtract(Counter(before))
    return dict(delta)


class _FrameStats:
    """One frame's statistics across one event: load, change, then write the row and the deltas."""

    def __init__(self, store: StatsStore, version_id: str, frame_id: str) -> None:
        self.store, self.version_id, self.frame_id = store, version_id, frame_id

    async def load(self) -> None:
        row = await self.store.frame(self.version_id, self.frame_id)
        self.rois, self.labels = row if row else (0, [])
        self.was_annotated = self.rois > 0 or bool(self.labels)
        self.roi_labels: dict[str, int] = {}
        self.start_rois = self.rois

    async def roi_changed(self, roi_id: str, labels: list[str] | None) -> None:
        """Set a ROI's labels (None = the ROI is gone)."""
        before = await self.store.roi(self.version_id, self.frame_id, roi_id)
        if labels is None:
            if before is None:
                return
            await self.store.drop_roi(self.version_id, self.frame_id, roi_id)
            self.rois = max(0, self.rois - 1)
        else:
            await self.store.put_roi(self.version_id, self.frame_id, roi_id, labels)
            if before is None:
                self.rois += 1
        for label, d in _diff(before or [], labels or []).items():
            self.roi_labels[label] = self.roi_labels.get(label, 0) + d

    async def save(self, frame_labels: list[str] | None = None) -> None:
        frame_delta = {}
        if frame_labels is not None:
            frame_delta = _diff(self.labels, frame_labels)
            self.labels = frame_labels
        await self.store.put_frame(self.version_id, self.frame_id, self.rois, self.labels)
        annotated = self.rois > 0 or bool(self.labels)
        await self.store.bump(self.version_id, int(annotated) - int(self.was_annotated), self.rois - self.start_rois)
        await self.store.bump_labels(self.version_id, ROI, self.roi_labels)
        await self.store.bump_labels(self.version_id, FRAME, frame_delta)


async def _seed_inherited(store: StatsStore, ev: an.FrameInherited) -> None:
    """A child frame's inherited state: per-frame rows only (the parent's figures already count it)."""
    v, f = ev.frame.version_id, ev.frame.frame_id
    if await store.frame(v, f) is not None:
        return
    for roi in ev.rois:
        await store.put_roi(v, f, roi.roi_id, list(roi.labels))
    await store.put_frame(v, f, len(ev.rois), list(dict.fromkeys(ev.frame_labels)))


ROI_EVENTS = (an.RoiCreated, an.RoiRestored, an.RoiDeleted, an.RoiLabelAdded, an.RoiLabelRemoved)
FRAME_EVENTS = (an.FrameLabelAdded, an.FrameLabelRemoved)
# The statistics consumer receives only what changes counts (JetStream drops moves, reshapes, metadata, locks).
ANNOTATION_FILTERS = tuple(
    f"{ANNOTATION.prefix}.*.*.*.{cls.__name__}" for cls in (an.FrameInherited, *ROI_EVENTS, *FRAME_EVENTS)
)


async def on_annotation_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """Keep annotated-frame, ROI and label counts of the event's version current."""
    store = StatsStore(conn)
    if inherited := unpack(envelope, an.FrameInherited):
        if await store.version_known(inherited.frame.version_id):
            await _seed_inherited(store, inherited)
        return
    ev: Any = None
    for cls in (*ROI_EVENTS, *FRAME_EVENTS):
        if (ev := unpack(envelope, cls)) is not None:
            break
    if ev is None:
        return
    ref = ev.frame
    if not await store.version_known(ref.version_id):
        return
    fs = _FrameStats(store, ref.version_id, ref.frame_id)
    await fs.load()
    if isinstance(ev, an.RoiCreated | an.RoiRestored):
        await fs.roi_changed(ev.roi.roi_id, list(dict.fromkeys(ev.roi.labels)))
    elif isinstance(ev, an.RoiDeleted):
        await fs.roi_changed(ev.roi_id, None)
    elif isinstance(ev, an.RoiLabelAdded | an.RoiLabelRemoved):
        labels = await store.roi(ref.version_id, ref.frame_id, ev.roi_id)
        if labels is None:
            return
        if isinstance(ev, an.RoiLabelAdded) and ev.label not in labels:
            await fs.roi_changed(ev.roi_id, [*labels, ev.label])
        elif isinstance(ev, an.RoiLabelRemoved) and ev.label in labels:
            await fs.roi_changed(ev.roi_id, [x for x in labels if x != ev.label])
    elif isinstance(ev, an.FrameLabelAdded) and ev.label not in fs.labels:
        await fs.save([*fs.labels, ev.label])
        return
    elif isinstance(ev, an.FrameLabelRemoved) and ev.label in fs.labels:
        await fs.save([x for x in fs.labels if x != ev.label])
        return
    else:
        return
    await fs.save()
