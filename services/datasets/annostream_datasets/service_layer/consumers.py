"""Event consumers of the datasets service: task references (tasks stream) and per-version
annotation statistics (annotation stream). Each runs inside the consumer's transaction."""

from __future__ import annotations

from annostream_kernel.db import Conn
from annostream_kernel.events import unpack
from annostream_protos.events.v1 import annotation_pb2 as an
from annostream_protos.events.v1 import envelope_pb2, tasks_pb2

from .ports import ConsumerStoresFactory
from .stats_fold import FRAME_EVENTS, ROI_EVENTS, ROI_TYPES, StatsFold, decode, roi_key

# The statistics consumer applies only what changes counts (moves, reshapes, metadata, locks and the FrameSaved
# marker are read past undecoded: a stream-wide durable, see ConsumerSpec.event_types).
ANNOTATION_EVENT_TYPES = frozenset(cls.__name__ for cls in (an.FrameInherited, *ROI_EVENTS, *FRAME_EVENTS))


class Consumers:
    """The datasets service's event handlers, over the stores bootstrap builds from each consumer's connection."""

    def __init__(self, stores: ConsumerStoresFactory) -> None:
        self._stores = stores

    async def on_tasks_event(self, conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        """TaskCreated adds a reference (with the task's team) to the dataset and versions; TaskDeleted removes it."""
        if tc := unpack(envelope, tasks_pb2.TaskCreated):
            refs = self._stores(conn).refs
            await refs.add(tc.task_id, tc.team, tc.dataset_id, [tc.source_version_id, tc.annotated_version_id])
        elif td := unpack(envelope, tasks_pb2.TaskDeleted):
            await self._stores(conn).refs.remove(td.task_id)

    async def on_annotation_event(self, conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        """Keep annotated-frame, ROI and label counts of the event's version current (a batch of one)."""
        await self.on_annotation_events(conn, [envelope])

    async def on_annotation_events(self, conn: Conn, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        """Apply a batch of annotation events (a save's events arrive together) as one change: the frames and
        ROIs they touch are read once (with the versions known here, one statement), folded in stream order in
        memory, and written back in one statement: one delta per version and label, one row per frame and ROI,
        whatever the number of events."""
        stats = self._stores(conn).stats
        events = [ev for e in envelopes if (ev := decode(e.payload.type_url, e.payload.value)) is not None]
        if not events:
            return
        frames = list(dict.fromkeys((ev.frame.version_id, ev.frame.frame_id) for ev in events))
        roi_keys = list(dict.fromkeys(roi_key(ev) for ev in events if type(ev) in ROI_TYPES))
        # one read for all (the rows read or locked for versions not known here change nothing: their events go)
        known, frame_rows, roi_rows = await stats.load({ev.frame.version_id for ev in events}, frames, roi_keys)
        events = [ev for ev in events if ev.frame.version_id in known]
        if not events:
            return
        fold = StatsFold(frame_rows, roi_rows)
        for ev in events:
            fold.apply(ev)
        await stats.write(fold.rois_changed(), fold.frames_changed(), fold.version_deltas(), fold.labels)
