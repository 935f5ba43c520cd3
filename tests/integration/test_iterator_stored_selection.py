"""A task's selection stored before a parser change that now refuses it (`meta.i > 1e400` was a string comparison,
now a number out of range): frames imported later are still indexed, the task keeps the plan it has, and the
import is not failed (and dead-lettered) for every task of the version."""

from __future__ import annotations

from annostream_protos.events.v1 import tasks_pb2
from annostream_protos.types.v1 import filters_pb2 as fl

from .iterator_helpers import custom
from .test_iterator_batch_index import (
    FIRST,
    envelope,
    frame,
    fresh_iterator,
    imported,
    on_datasets_event,
    on_tasks_event,
)


async def test_frames_imported_after_a_stored_selection_stopped_parsing_are_indexed_and_the_plan_kept(
    postgres_dsn: str,
) -> None:
    async with fresh_iterator(postgres_dsn) as pool:
        for env in FIRST:
            async with pool.acquire() as conn, conn.transaction():
                await on_datasets_event(conn, env)
        for task_id, query in (("old", "meta.i >= 0"), ("plain", "")):
            sel = custom(fl.FrameFilter(frame_query=query)) if query else fl.FrameSelection()
            async with pool.acquire() as conn, conn.transaction():
                await on_tasks_event(
                    conn, envelope(tasks_pb2.TaskCreated(task_id=task_id, annotated_version_id="v", selection=sel))
                )
        stale = custom(fl.FrameFilter(frame_query="meta.i > 1e400")).SerializeToString()
        await pool.execute("UPDATE tasks SET selection = $1 WHERE task_id = 'old'", stale)  # as stored before

        async with pool.acquire() as conn, conn.transaction():
            await on_datasets_event(conn, imported("v", [frame("f10", meta={"i": 10}), frame("f11")]))

        frames = {r["frame_id"] for r in await pool.fetch("SELECT frame_id FROM frames WHERE version_id = 'v'")}
        assert frames == {f"f{i}" for i in range(12)}
        plans = await pool.fetch("SELECT task_id, count(*) AS n FROM plan GROUP BY task_id ORDER BY task_id")
        assert [(r["task_id"], r["n"]) for r in plans] == [("old", 10), ("plain", 12)]
