"""Iterator handlers: NextFrame, and the event handlers that keep its index current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.errors import NotFound
from annostream_kernel.events import unpack
from annostream_kernel.ids import new_id
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2, tasks_pb2

from ..adapters.postgres import IteratorStore
from ..domain.model import FrameOrder, Lease, NextFrame, TaskPlan

CANDIDATES_PER_TRY = 16


async def next_frame(pool: asyncpg.Pool, cmd: NextFrame, ttl: timedelta) -> Lease | None:
    """Lease the next frame of the task to the annotator; None when no frame is left for now."""
    async with pool.acquire() as conn, conn.transaction():
        store = IteratorStore(conn)
        plan = await store.get_task(cmd.task_id)
        if plan is None:
            raise NotFound(f"no task {cmd.task_id!r} (or not yet known to the iterator)", field="task_id")
        held = await store.held_lease(cmd.task_id, cmd.annotator)
        if held is not None:
            pos, total = await store.position(plan, held["frame_id"])
            return Lease(
                cmd.task_id,
                held["frame_id"],
                plan.version_id,
                cmd.annotator,
                held["lease_id"],
                held["expires_at"],
                pos,
                total,
            )
        if plan.limit and await store.handed_out(cmd.task_id) >= plan.limit:
            return None
        expires = datetime.now(UTC) + ttl
        while True:
            candidates = await store.candidates(plan, CANDIDATES_PER_TRY)
            if not candidates:
                return None
            for frame_id in candidates:
                lease_id = new_id("lease_")
                if await store.try_lease(cmd.task_id, frame_id, cmd.annotator, lease_id, expires):
                    pos, total = await store.position(plan, frame_id)
                    return Lease(cmd.task_id, frame_id, plan.version_id, cmd.annotator, lease_id, expires, pos, total)


async def on_datasets_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """Index versions (with lineage) and frames from the datasets stream."""
    store = IteratorStore(conn)
    if vc := unpack(envelope, datasets_pb2.VersionCreated):
        await store.upsert_version(vc.version_id, vc.dataset_id, vc.parent_version_id or None)
    elif fi := unpack(envelope, datasets_pb2.FramesImported):
        await store.add_frames(fi.version_id, [(f.frame_id, f.context_id, f.timestamp) for f in fi.frames])


ORDERS = {tasks_pb2.ITERATION_ORDER_RANDOM: FrameOrder.RANDOM}


async def on_tasks_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """Record new tasks' plan parameters from the tasks stream."""
    if tc := unpack(envelope, tasks_pb2.TaskCreated):
        it = tc.iteration
        plan = TaskPlan(
            tc.task_id,
            tc.annotated_version_id,
            ORDERS.get(it.order, FrameOrder.SEQUENTIAL),
            it.random_seed,
            it.limit,
            it.clip_length,
        )
        await IteratorStore(conn).add_task(plan)
