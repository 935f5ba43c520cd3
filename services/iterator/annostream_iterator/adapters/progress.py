"""Coalesced TaskProgressed: one event per changed task per tick instead of one per lease.

Leases only count (`progress.done`, in the NextFrame statement); this emitter appends one TaskProgressed per
task whose annotators' counts moved since they were last emitted (listing those annotators), in the same
transaction that marks them emitted, so an event is never lost (a crash rolls both back) and never doubled.
Progress rows are taken with `FOR UPDATE SKIP LOCKED`: two iterator replicas emit disjoint rows, and a lease
counting on a row waits at most one emit transaction. The task-level stream's version is the task row's
`progress_version`; the rows are locked in task order, so two replicas bumping several tasks cannot deadlock.
"""

from __future__ import annotations

import asyncpg

from annostream_kernel.events import event_arrays, insert_events_sql
from annostream_kernel.loops import tick_forever
from annostream_kernel.tracing import current_traceparent

from .messages import progressed

EMIT = """
WITH picked AS (
    SELECT task_id, annotator FROM progress WHERE done <> emitted
     ORDER BY task_id, annotator LIMIT $1 FOR UPDATE SKIP LOCKED),
changed AS (
    UPDATE progress g SET emitted = g.done
      FROM picked WHERE g.task_id = picked.task_id AND g.annotator = picked.annotator
    RETURNING g.task_id, g.annotator, g.done),
locked AS (
    SELECT t.task_id FROM tasks t WHERE t.task_id IN (SELECT task_id FROM picked)
     ORDER BY t.task_id FOR UPDATE),
bumped AS (
    UPDATE tasks t SET progress_version = t.progress_version + 1
      FROM locked WHERE t.task_id = locked.task_id
    RETURNING t.task_id, t.progress_version, t.total),
sums AS (
    SELECT x.task_id, sum(x.done) AS task_done FROM progress x
     WHERE x.task_id IN (SELECT task_id FROM picked) GROUP BY x.task_id)
SELECT b.task_id, b.progress_version, b.total, coalesce(s.task_done, 0) AS task_done,
       array_agg(c.annotator ORDER BY c.annotator) AS annotators, array_agg(c.done ORDER BY c.annotator) AS done
  FROM bumped b JOIN changed c ON c.task_id = b.task_id LEFT JOIN sums s ON s.task_id = b.task_id
 GROUP BY b.task_id, b.progress_version, b.total, s.task_done
"""


class ProgressEmitter:
    """Appends coalesced TaskProgressed events (one per changed task) to the outbox every `interval` seconds."""

    def __init__(self, pool: asyncpg.Pool, channel: str, interval: float, batch: int = 1000) -> None:
        self.pool, self.channel, self.interval, self.batch = pool, channel, interval, batch
        self.emitted = 0

    async def emit_once(self) -> int:
        """Append TaskProgressed for the tasks of up to `batch` changed (task, annotator) rows; returns how
        many rows were emitted."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(EMIT, self.batch)
            if not rows:
                return 0
            events = [
                progressed(
                    r["task_id"],
                    int(r["task_done"]),
                    int(r["total"] or 0),
                    dict(zip(r["annotators"], r["done"], strict=True)),
                )
                for r in rows
            ]
            versions = [int(r["progress_version"]) for r in rows]
            await conn.execute(insert_events_sql(1), *event_arrays(events, versions=versions), current_traceparent())
            await conn.execute("SELECT pg_notify($1, '')", self.channel)
        changed = sum(len(r["annotators"]) for r in rows)
        self.emitted += changed
        return changed

    async def run(self) -> None:
        """Emit forever; a failed tick is logged and retried on the next one."""
        await tick_forever(self._drain, lambda: self.interval, "progress_emit_failed")

    async def _drain(self) -> None:
        while await self.emit_once() == self.batch:
            pass
