"""Plans built as of a position: a task's plan includes every edit acknowledged before the task was created.

TaskCreated carries the ANNOSTREAM_ANNOTATION stream sequence the annotation service gave the tasks service at
creation (GetPublishedPosition: every edit committed before that call is published at or below it). When this
iterator's annotation consumer has applied the stream that far, the plan is built at once; otherwise the task
is recorded with its plan pending (NextFrame answers NOT_FOUND "plan pending", progress says "pending") and the
PendingPlanner builds it as soon as the consumer's stored position reaches the sequence. Every annotation write
ends with a FrameSaved event, which this consumer receives, so its position does reach the sequence.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

from annostream_kernel.catch_up import PublishedPositions
from annostream_kernel.errors import InvalidArgument, Unavailable
from annostream_kernel.logs import get_logger
from annostream_kernel.loops import tick_forever
from annostream_protos.events.v1 import envelope_pb2, tasks_pb2
from annostream_protos.types.v1 import filters_pb2

from ..domain.ast import Selection
from ..domain.events import PlanProgressed, ReviewSettingsChanged
from ..domain.model import FrameOrder, TaskPlan, TaskStatus
from ..domain.review import ReviewMode, ReviewSettings, ReworkBy
from ..wire import selection
from .ports import ConsumerStores, ConsumerStoresFactory, UnitOfWorkFactory

log = get_logger(__name__)
ANNOTATION_CONSUMER = "iterator-annotation"
DATASETS_CONSUMER = "iterator-datasets"
TASKS_CONSUMER = "iterator-tasks"
VERSION_WAIT_SECONDS = 300.0
ORDERS = {tasks_pb2.ITERATION_ORDER_RANDOM: FrameOrder.RANDOM}


def _age(envelope: envelope_pb2.EventEnvelope) -> float:
    return datetime.now(UTC).timestamp() - envelope.occurred_at.ToDatetime(UTC).timestamp()


async def imports_indexed(
    stores: ConsumerStores, datasets: PublishedPositions, envelope: envelope_pb2.EventEnvelope
) -> None:
    """Unavailable (the TaskCreated comes again) until the datasets consumer has applied everything the datasets
    service acknowledged so far, so frames imported before the task was created are in its first plan (else the
    plan could be built from a version indexed without its frames and hand out "exhausted" until they arrive);
    a task that waited VERSION_WAIT_SECONDS is planned with what is indexed."""
    if _age(envelope) >= VERSION_WAIT_SECONDS:
        return
    target = await datasets.published_position(5.0)
    if await stores.applied_seq(DATASETS_CONSUMER) < target:
        raise Unavailable("frames imported before the task are not indexed yet", field="annotated_version_id")


async def create_plan(stores: ConsumerStores, envelope: envelope_pb2.EventEnvelope, tc: tasks_pb2.TaskCreated) -> None:
    """Materialise a new task's plan, or record it pending until the annotation consumer has applied every edit
    acknowledged before the task; an invalid selection is recorded (status invalid), never retried."""
    it = tc.iteration
    plan = TaskPlan(
        tc.task_id,
        tc.annotated_version_id,
        ORDERS.get(it.order, FrameOrder.SEQUENTIAL),
        it.random_seed,
        it.limit,
        it.clip_length,
        team=tc.team or None,
    )
    plans, reason = stores.plans, ""
    lineage = await stores.index.lineage(plan.version_id)
    if lineage is None and _age(envelope) < VERSION_WAIT_SECONDS:
        # The datasets consumer has not indexed the version yet: roll back, the event comes again.
        raise Unavailable(f"version {plan.version_id} not yet indexed", field="annotated_version_id")
    try:
        sel = selection(tc.selection)
    except InvalidArgument as err:
        sel, reason = None, err.message
    if lineage is None:
        reason = f"version {plan.version_id} is unknown to the iterator"
    if reason:
        log.warning("task_not_planned", task_id=plan.task_id, reason=reason)
        plan = replace(plan, status=TaskStatus.INVALID)
    awaits = tc.annotation_stream_seq if not reason else 0
    if awaits and await stores.applied_seq(ANNOTATION_CONSUMER) >= awaits:
        awaits = 0
    if not await plans.add_task(plan, tc.selection.SerializeToString(), reason, awaits):
        return
    await start_review(stores, tc)
    if sel is None or lineage is None:
        return
    if awaits:
        log.info("task_plan_pending", task_id=plan.task_id, annotation_stream_seq=awaits)
        return
    await build_plan(stores, plan, sel, lineage)


async def start_review(stores: ConsumerStores, tc: tasks_pb2.TaskCreated) -> None:
    """Store the review settings a task is created with, in the transaction that records the task: no lease (so no
    finished frame) exists before them. Settings this release cannot read are logged and left off."""
    r = tc.review
    if not tc.HasField("review") or r.mode in ("", ReviewMode.OFF.value):
        return
    try:
        settings = ReviewSettings(
            ReviewMode(r.mode), r.sample_percent, r.reviewer_may_review_own, ReworkBy(r.rework_by or "annotator")
        )
    except (ValueError, InvalidArgument) as err:
        log.warning("task_review_settings_unreadable", task_id=tc.task_id, error=str(err))
        return
    await stores.reviews.put_settings(tc.task_id, settings)
    await stores.append(ReviewSettingsChanged(tc.task_id, settings))


async def build_plan(stores: ConsumerStores, plan: TaskPlan, sel: Selection, lineage: list[str]) -> None:
    """Materialise the plan (a failure marks the task invalid instead of blocking a stream) and announce it."""
    started = time.perf_counter()
    try:
        async with stores.savepoint():  # a failing plan must not block the tasks stream
            total = await stores.plans.materialise(plan, sel, lineage, None)
    except Exception as err:
        log.exception("task_plan_failed", task_id=plan.task_id)
        await stores.plans.set_status(plan.task_id, TaskStatus.INVALID, f"the plan could not be built: {err!r}"[:500])
        return
    await stores.plans.record_plan_ms(plan.task_id, (time.perf_counter() - started) * 1000)
    await stores.append(PlanProgressed(plan.task_id, 0, total))


class PendingPlanner:
    """Builds pending plans once the annotation consumer has applied their sequence: polls every `interval` while
    a plan is pending, every `idle_interval` while none is (one statement per poll)."""

    def __init__(
        self, uow: UnitOfWorkFactory, stores: ConsumerStoresFactory, interval: float = 0.05, idle_interval: float = 0.5
    ) -> None:
        self.uow, self.stores, self.interval, self.idle_interval = uow, stores, interval, idle_interval
        self.built, self.waiting = 0, False

    async def plan_ready(self) -> int:
        """Build every pending plan whose sequence is applied; returns how many were built."""
        async with self.uow(transaction=False) as uow:
            ready, self.waiting = await uow.pending_plans(ANNOTATION_CONSUMER)
        built = 0
        for task_id in ready:
            built += await self._build(task_id)
        self.built += built
        return built

    async def _build(self, task_id: str) -> int:
        async with self.uow() as uow:
            await uow.lock_frames_and_plans()  # first, as every writer of plans does (no deadlock)
            awaits = await uow.take_pending(task_id)
            if awaits is None:  # built meanwhile (by another replica)
                return 0
            plan = await uow.plans.get_task(task_id)
            if plan is None:  # deleted meanwhile: nothing to plan
                await uow.commit()
                return 0
            try:
                sel = selection(filters_pb2.FrameSelection.FromString(await uow.plans.selection_bytes(task_id)))
            except InvalidArgument as err:  # stored before a parser change refused it: invalid, as at TaskCreated
                await self.stores(uow.conn).plans.set_status(task_id, TaskStatus.INVALID, err.message[:500])
                await uow.commit()
                return 0
            lineage = await uow.index.lineage(plan.version_id) or [plan.version_id]
            await build_plan(self.stores(uow.conn), plan, sel, lineage)
            await uow.commit()
            log.info("task_plan_built", task_id=task_id, annotation_stream_seq=awaits)
            return 1

    async def run(self) -> None:
        """Plan forever; a failed round is logged and tried again on the next one."""
        await tick_forever(
            self.plan_ready, lambda: self.interval if self.waiting else self.idle_interval, "pending_plans_failed"
        )
