"""Event handlers that keep the iterator's index and plans current (datasets, tasks, annotation streams)."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError, Message

from annostream_kernel.batch_write import current_batch
from annostream_kernel.catch_up import PublishedPositions
from annostream_kernel.context import bind_request
from annostream_kernel.db import Conn
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.events import TYPE_URL_PREFIX, runs_of, unpack
from annostream_kernel.logs import get_logger
from annostream_kernel.protobuf import metadata_of
from annostream_protos.events.v1 import annotation_pb2 as an
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2, tasks_pb2
from annostream_protos.types.v1 import filters_pb2, frames_pb2

from ..domain.events import PlanProgressed
from ..domain.model import TaskStatus
from ..wire import selection
from .planning import create_plan, imports_indexed
from .ports import ConsumerStores, ConsumerStoresFactory

log = get_logger(__name__)


class Consumers:
    """The iterator's event handlers (datasets, tasks, annotation streams), over the stores bootstrap builds from
    each consumer's connection."""

    def __init__(self, stores: ConsumerStoresFactory, datasets: PublishedPositions | None = None) -> None:
        self._stores, self._datasets = stores, datasets

    async def on_datasets_event(self, conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        """Index one datasets event (the consumer's one-by-one path; same effect as a batch of one)."""
        await self.on_datasets_events(conn, [envelope])

    async def on_datasets_events(self, conn: Conn, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        """Index versions (with lineage), their publication and frames, in stream order; each run of FramesImported
        events is indexed set-based at once, then its new frames join matching tasks' plans event by event."""
        stores = self._stores(conn)
        for run, other in runs_of(envelopes, datasets_pb2.FramesImported):
            await index_frames(stores, run)
            if other is not None and (vc := unpack(other, datasets_pb2.VersionCreated)):
                await stores.index.upsert_version(vc.version_id, vc.dataset_id, vc.parent_version_id or None)
            elif other is not None and (vp := unpack(other, datasets_pb2.VersionPublished)):
                await stores.plans.seal_version(vp.version_id)  # if SealVersion has not recorded it already

    async def on_tasks_event(self, conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        """Plan new tasks (once the frames imported before them are indexed); follow completion, reopening and
        deletion."""
        stores = self._stores(conn)
        if self._datasets is not None and envelope.payload.type_url.endswith(".TaskCreated"):
            await imports_indexed(stores, self._datasets, envelope)
        await apply_tasks_event(stores, envelope)

    async def on_annotation_events(self, conn: Conn, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        """Apply a batch of annotation events in stream order (see `apply_annotation_events`)."""
        await apply_annotation_events(self._stores(conn), envelopes)

    async def on_annotation_event(self, conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
        """Apply one annotation event (see `apply_annotation_event`)."""
        await apply_annotation_event(self._stores(conn), envelope)


async def index_frames(
    stores: ConsumerStores, events: list[tuple[envelope_pb2.EventEnvelope, datasets_pb2.FramesImported]]
) -> None:
    """Index the frames and imported ROIs of FramesImported events (repeated ids are ignored, the first one
    wins), then let each event's new frames join the plans of the tasks that see its version, in event order
    (with the event's correlation id and actor, as the one-by-one path has)."""
    if not events:
        return
    index = stores.index
    firsts: dict[str, dict[str, frames_pb2.Frame]] = {}  # version → frame id → its first message
    order: list[tuple[envelope_pb2.EventEnvelope, str, list[str]]] = []  # each event's version and frame ids
    rois: dict[tuple[str, str, str], tuple[str, str, frames_pb2.Roi]] = {}
    for envelope, fi in events:
        seen, ids = firsts.setdefault(fi.version_id, {}), []
        for f in fi.frames:
            ids.append(f.frame_id)
            seen.setdefault(ids[-1], f)
            if f.rois:  # a repeated frame's ROIs replace the earlier ones, as one put after another would
                rois.update(((fi.version_id, f.frame_id, r.roi_id), (fi.version_id, f.frame_id, r)) for r in f.rois)
        order.append((envelope, fi.version_id, ids))
    rows: list[tuple[str, frames_pb2.Frame]] = []
    fresh: dict[str, set[str]] = {}
    for version_id, seen in firsts.items():
        held = await index.existing_frames(version_id, list(seen))
        fresh[version_id] = {fid for fid in seen if fid not in held}
        rows.extend((version_id, f) for fid, f in seen.items() if fid in fresh[version_id])
    if rows:
        await stores.lock_frames_and_plans()  # before the frames: see plans.lock_frames_and_plans
        await index.copy_imported(rows)
    if rois:
        await index.put_roi_messages(list(rois.values()))
    seeing: dict[str, list[str]] = {}
    for envelope, version_id, ids in order:
        unclaimed, new = fresh[version_id], []
        for fid in ids:
            if fid in unclaimed:
                unclaimed.discard(fid)
                new.append(fid)
        if not new:
            continue
        if version_id not in seeing:
            seeing[version_id] = await index.tasks_seeing(version_id)
        bind_request(envelope.correlation_id, envelope.actor)
        for task_id in seeing[version_id]:
            await join_frames(stores, task_id, new)


async def join_frames(stores: ConsumerStores, task_id: str, ids: list[str]) -> None:
    """New frames join a task's plan if they match: the whole plan is rebuilt while nobody has started
    (so a task consumed before its frames gets the same order), else they are appended in plan order."""
    plans = stores.plans
    plan = await plans.get_task(task_id)
    if plan is None or plan.pending:  # a pending plan is built later from every frame indexed by then
        return
    try:
        sel = selection(filters_pb2.FrameSelection.FromString(await plans.selection_bytes(task_id)))
    except InvalidArgument as err:  # stored before a parser change refused it: the plan keeps what it has
        log.warning("task_selection_unreadable", task_id=task_id, error=err.message)
        return
    lineage = await stores.index.lineage(plan.version_id) or [plan.version_id]
    before = plan.total
    total = await plans.materialise(plan, sel, lineage, None if not await plans.started(task_id) else ids)
    if total != before:
        done = await stores.leases.done(task_id)
        await stores.append(PlanProgressed(task_id, done, total))


async def apply_tasks_event(stores: ConsumerStores, envelope: envelope_pb2.EventEnvelope) -> None:
    """Plan new tasks; follow completion, reopening and deletion."""
    # First, before any task row: a batch that updates one task and plans another must take the locks in the
    # same order as the datasets consumer (index lock, then task rows), or the two could deadlock.
    await stores.lock_frames_and_plans()
    plans = stores.plans
    if tc := unpack(envelope, tasks_pb2.TaskCreated):
        await create_plan(stores, envelope, tc)
    elif done := unpack(envelope, tasks_pb2.TaskCompleted):
        await plans.set_gate(done.task_id, "completed", envelope.stream_version)
        await plans.set_status(done.task_id, TaskStatus.COMPLETED)
    elif reopened := unpack(envelope, tasks_pb2.TaskReopened):
        await plans.set_gate(reopened.task_id, "active", envelope.stream_version)
        plan = await plans.get_task(reopened.task_id)
        if plan is not None and plan.status is TaskStatus.ACTIVE:
            await plans.set_status(reopened.task_id, TaskStatus.ACTIVE)
    elif deleted := unpack(envelope, tasks_pb2.TaskDeleted):
        await plans.set_gate(deleted.task_id, "deleted", envelope.stream_version)
        await plans.delete(deleted.task_id)


ANNOTATION_TYPES: tuple[type[Message], ...] = (
    an.RoiCreated,
    an.RoiRestored,
    an.RoiLabelAdded,
    an.RoiLabelRemoved,
    an.RoiDeleted,
    an.FrameMetadataSet,
    an.RoiMoved,
    an.RoiReshaped,
    an.RoiMetadataSet,
    an.RoiLocked,
    an.RoiUnlocked,
    an.FrameLabelAdded,
    an.FrameLabelRemoved,
    an.FrameSaved,
)
STATE_CHANGING = ANNOTATION_TYPES[:6]
# What the iterator's annotation consumer applies: the index-changing types and one FrameSaved per write (moves,
# reshapes, metadata and locks, most of an editing session's events, are read past undecoded: a stream-wide
# durable, see ConsumerSpec.event_types).
ANNOTATION_EVENT_TYPES = frozenset(cls.__name__ for cls in (*STATE_CHANGING, an.FrameSaved))


BY_URL = {TYPE_URL_PREFIX + cls.DESCRIPTOR.full_name: cls for cls in ANNOTATION_TYPES}


def decode_annotation(envelope: envelope_pb2.EventEnvelope) -> Any:
    """The annotation event, or None for other types. A payload this release cannot decode (another
    schema version) is logged and skipped: it never blocks the stream (saves still count through their
    FrameSaved)."""
    cls = BY_URL.get(envelope.payload.type_url)
    if cls is None:
        return None
    try:
        return cls.FromString(envelope.payload.value)
    except DecodeError:
        log.warning("annotation_event_undecodable", type=envelope.type, schema_version=envelope.schema_version)
        return None


async def apply_annotation_events(stores: ConsumerStores, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
    """Apply a batch of annotation events (a save's events arrive together) in stream order, as one change per
    frame: each frame gets its own state once, and each run of created or restored ROIs is one set-based upsert
    (a 50-object save on a frame without its own state yet is one statement, own state included, instead of 51);
    every other event is applied as by the one-event path (a save outside a task changes nothing here and does not
    end a run). Applied by the kernel without a transaction (`current_batch`), a batch whose only write is such a
    run stores the consumer's position in it; any other begins a transaction first, and its last write, when it is
    a run, stores the position too."""
    index, owned = stores.index, set[tuple[str, str]]()
    run: dict[tuple[str, str, str], tuple[str, str, frames_pb2.Roi]] = {}
    own: tuple[str, str] | None = None  # the frame whose run starts by giving it its own state (one statement)
    decoded = [(envelope, msg) for envelope in envelopes if (msg := decode_annotation(envelope)) is not None]
    decoded = [(envelope, msg) for envelope, msg in decoded if not _inert(envelope, msg)]
    batch = current_batch()
    if batch is not None and not one_run(decoded):
        await batch.begin()
    for envelope, msg in decoded:
        key = _frame(msg)
        fresh = isinstance(msg, STATE_CHANGING) and key not in owned
        creates = isinstance(msg, an.RoiCreated | an.RoiRestored)
        if run and (fresh or not creates):
            # before another event, or before a frame copies its state from an ancestor's (maybe in the run)
            await index.put_roi_messages(list(run.values()), owned=True, own=own)
            run.clear()
            own = None
        if fresh:
            owned.add(key)
            if creates:
                own = key  # the run starts here: its upsert gives the frame its own state first
            else:
                await index.own_state(*key)
        if creates:
            run[(*key, msg.roi.roi_id)] = (*key, msg.roi)
            continue
        bind_request(envelope.correlation_id, envelope.actor)
        await _apply_annotation(stores, envelope, msg, owned=True)
    if run:  # the batch's last write: with the position, when it gives the frame its own state (one statement)
        await index.put_roi_messages(list(run.values()), owned=True, own=own, position=batch if own else None)


def _frame(msg: Any) -> tuple[str, str]:
    return msg.frame.version_id, msg.frame.frame_id


def _inert(envelope: envelope_pb2.EventEnvelope, msg: Any) -> bool:
    """A save outside a task: it changes nothing in the index (see `_apply_annotation`)."""
    return isinstance(msg, an.FrameSaved) and not (envelope.task_id and envelope.actor)


def one_run(decoded: list[tuple[envelope_pb2.EventEnvelope, Any]]) -> bool:
    """Whether `apply_annotation_events` writes at most once for these (decoded, not inert) events: created or
    restored ROIs of one frame only (one run: one statement, its own state included)."""
    return (
        all(isinstance(m, an.RoiCreated | an.RoiRestored) for _, m in decoded)
        and len({_frame(m) for _, m in decoded}) <= 1
    )


async def apply_annotation_event(stores: ConsumerStores, envelope: envelope_pb2.EventEnvelope) -> None:
    """Keep ROI labels/confidence and frame metadata per frame; a write (FrameSaved) by the lease holder in
    the task finishes the frame."""
    msg = decode_annotation(envelope)
    if msg is not None:
        await _apply_annotation(stores, envelope, msg, owned=False)


async def _apply_annotation(
    stores: ConsumerStores, envelope: envelope_pb2.EventEnvelope, msg: Any, *, owned: bool
) -> None:
    ref = msg.frame
    version, frame = ref.version_id, ref.frame_id
    index = stores.index
    if isinstance(msg, STATE_CHANGING) and not owned:
        await index.own_state(version, frame)
    if isinstance(msg, an.RoiCreated | an.RoiRestored):
        await index.put_roi_message(version, frame, msg.roi)
    elif isinstance(msg, an.RoiLabelAdded | an.RoiLabelRemoved):
        await index.change_label(version, frame, msg.roi_id, msg.label, add=isinstance(msg, an.RoiLabelAdded))
    elif isinstance(msg, an.RoiDeleted):
        await index.delete_roi(version, frame, msg.roi_id)
    elif isinstance(msg, an.FrameMetadataSet):
        await index.set_metadata(version, frame, metadata_of(msg))
    if isinstance(msg, an.FrameSaved) and envelope.task_id and envelope.actor:
        plan = await stores.plans.get_task(envelope.task_id)
        leases = stores.leases
        if (
            plan is not None
            and plan.version_id == version
            and await leases.finish_frame(plan.task_id, frame, envelope.actor, plan.clip)
        ):
            await leases.add_done(plan.task_id, envelope.actor, 1)  # the progress emitter publishes the change
