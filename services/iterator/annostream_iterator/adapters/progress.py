"""Coalesced TaskProgressed: one event per changed (task, annotator) per tick instead of one per lease.

Leases only count (`progress.done`, in the NextFrame statement); this emitter appends TaskProgressed for
every row whose count moved since it was last emitted, in the same transaction that marks it emitted, so
an event is never lost (a crash rolls both back) and never doubled. Rows are taken with
`FOR UPDATE SKIP LOCKED`: two iterator replicas emit disjoint rows and never wait on each other, and a
lease that is counting on a row is not blocked for longer than one emit transaction.
"""

from __future__ import annotations

import asyncio

import asyncpg

from annostream_kernel.events import event_arrays, insert_events_sql
from annostream_kernel.logs import get_logger

from .messages import progressed

log = get_logger(__name__)

EMIT = """
WITH picked AS (
    SELECT task_id, annotator FROM progress WHERE done <> emitted
     ORDER BY task_id, annotator LIMIT $1 FOR UPDATE SKIP LOCKED),
changed AS (
    UPDATE progress g SET emitted = g.done, emitted_version = g.emitted_version + 1
      FROM picked WHERE g.task_id = picked.task_id AND g.annotator = picked.annotator
    RETURNING g.task_id, g.annotator, g.done, g.emitted_version)
SELECT c.task_id, c.annotator, c.done, c.emitted_version, coalesce(t.total, 0) AS total,
       (SELECT coalesce(sum(x.done), 0) FROM progress x WHERE x.task_id = c.task_id) AS task_done
  FROM changed c LEFT JOIN tasks t ON t.task_id = c.task_id
"""


class ProgressEmitter:
    """Appends coalesced TaskProgressed events to the outbox every `interval` seconds."""

    def __init__(self, pool: asyncpg.Pool, channel: str, interval: float, batch: int = 1000) -> None:
        self.pool, self.channel, self.interval, self.batch = pool, channel, interval, batch
        self.emitted = 0

    async def emit_once(self) -> int:
        """Append TaskProgressed for up to `batch` changed rows; returns how many were appended."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(EMIT, self.batch)
            if not rows:
                return 0
            events = [
                progressed(r["task_id"], int(r["task_done"]), int(r["total"]), r["annotator"], int(r["done"]))
                for r in rows
            ]
            versions = [int(r["emitted_version"]) for r in rows]
            await conn.execute(insert_events_sql(1), *event_arrays(events, versions=versions))
            await conn.execute("SELECT pg_notify($1, '')", self.channel)
        self.emitted += len(rows)
        return len(rows)

    async def run(self) -> None:
        """Emit forever; a failed tick is logged and retried on the next one."""
        while True:
            try:
                while await self.emit_once() == self.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("progress_emit_failed")
            await asyncio.sleep(self.interval)
