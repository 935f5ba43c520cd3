"""Leases on plan rows: claim, heartbeat, release, finish; trail, progress and navigation reads.

Concurrency (in migrations/0005_next_frame.sql): NextFrame takes the first free clip head with
`FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait on (or take) the same row; a head whose lease
expired counts as free. One annotator's calls on one task are serialised by a transaction-scoped advisory
lock, so a second concurrent NextFrame of the same annotator sees (and returns) the lease the first took.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from annostream_kernel.db import Conn

from .plans import EFFECTIVE_STATUS


class LeaseStore:
    """Lease SQL on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def next_frame(
        self, task_id: str, annotator: str, complete: str, lease_id: str, ttl: timedelta
    ) -> asyncpg.Record:
        """NextFrame's SQL as one statement and one round trip (migrations/0005_next_frame.sql)."""
        row = await self.conn.fetchrow(
            "SELECT * FROM next_frame($1, $2, $3, $4, $5::interval)", task_id, annotator, complete, lease_id, ttl
        )
        assert row is not None
        return row

    async def trail_index(self, task_id: str, annotator: str, unit: int) -> int:
        """Latest trail index of a clip for this annotator (0 when not in the trail)."""
        v = await self.conn.fetchval(
            "SELECT max(idx) FROM trail WHERE task_id = $1 AND annotator = $2 AND unit = $3", task_id, annotator, unit
        )
        return int(v or 0)

    async def heartbeat(self, task_id: str, annotator: str, lease_id: str, ttl: timedelta) -> datetime | None:
        """Extend a held lease; None when the annotator no longer holds it."""
        value: datetime | None = await self.conn.fetchval(
            "UPDATE plan SET expires_at = now() + $4::interval WHERE task_id = $1 AND lease_id = $2"
            " AND annotator = $3 AND state = 'leased' AND seq = unit RETURNING expires_at",
            task_id,
            lease_id,
            annotator,
            ttl,
        )
        return value

    async def release(self, task_id: str, annotator: str, lease_id: str) -> bool:
        """Return a held clip to the queue; False when not held."""
        row = await self.conn.fetchrow(
            "UPDATE plan SET state = 'open', expires_at = NULL WHERE task_id = $1 AND lease_id = $2"
            " AND annotator = $3 AND state = 'leased' AND seq = unit RETURNING seq",
            task_id,
            lease_id,
            annotator,
        )
        return row is not None

    async def finish_lease(self, task_id: str, annotator: str, lease_id: str, clip: int) -> int | None:
        """Mark every frame of a held clip done; returns how many became done (None when not held)."""
        head = await self.conn.fetchval(
            "UPDATE plan SET state = 'done' WHERE task_id = $1 AND lease_id = $2 AND annotator = $3"
            " AND state = 'leased' AND seq = unit RETURNING seq",
            task_id,
            lease_id,
            annotator,
        )
        if head is None:
            return None
        status = await self.conn.execute(
            "UPDATE plan SET done_by = $3, done_at = now(), state = 'done' WHERE task_id = $1 AND unit = $2"
            " AND seq >= $2 AND seq < $2 + $4 AND done_at IS NULL",
            task_id,
            head,
            annotator,
            clip,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def finish_frame(self, task_id: str, frame_id: str, annotator: str, clip: int) -> bool:
        """Mark one frame done when `annotator` holds (or last held, unreleased to others) its clip."""
        row = await self.conn.fetchrow(
            "SELECT p.seq, p.unit FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit"
            " WHERE p.task_id = $1 AND p.frame_id = $2 AND p.done_at IS NULL AND h.annotator = $3"
            " AND h.state <> 'done' FOR UPDATE OF p, h",
            task_id,
            frame_id,
            annotator,
        )
        if row is None:
            return False
        await self.conn.execute(
            "UPDATE plan SET done_by = $3, done_at = now() WHERE task_id = $1 AND seq = $2",
            task_id,
            row["seq"],
            annotator,
        )
        await self.conn.execute(
            "UPDATE plan SET state = 'done' WHERE task_id = $1 AND seq = $2 AND NOT EXISTS (SELECT 1 FROM plan q"
            " WHERE q.task_id = $1 AND q.unit = $2 AND q.seq >= $2 AND q.seq < $2 + $3 AND q.done_at IS NULL)",
            task_id,
            row["unit"],
            clip,
        )
        return True

    async def add_done(self, task_id: str, annotator: str, n: int) -> None:
        """Count `n` more frames done by the annotator (the progress emitter publishes the change)."""
        await self.conn.execute(
            "INSERT INTO progress AS g (task_id, annotator, done) VALUES ($1, $2, $3)"
            " ON CONFLICT (task_id, annotator) DO UPDATE SET done = g.done + EXCLUDED.done",
            task_id,
            annotator,
            n,
        )

    async def done(self, task_id: str) -> int:
        """Frames of the task that are done."""
        return int(await self.conn.fetchval("SELECT coalesce(sum(done), 0) FROM progress WHERE task_id = $1", task_id))

    async def annotators(self, task_id: str) -> list[asyncpg.Record]:
        """Per annotator: done, frames leased now, trail length."""
        return await self.conn.fetch(
            "WITH a AS (SELECT annotator FROM trail WHERE task_id = $1 UNION SELECT annotator FROM progress"
            " WHERE task_id = $1)"
            " SELECT a.annotator, coalesce((SELECT done FROM progress g WHERE g.task_id = $1"
            "   AND g.annotator = a.annotator), 0) AS done,"
            " (SELECT count(*) FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit"
            "   WHERE h.task_id = $1 AND h.annotator = a.annotator AND h.state = 'leased' AND h.expires_at > now()"
            "   AND h.seq = h.unit AND p.done_at IS NULL) AS leased,"
            " (SELECT count(*) FROM trail t WHERE t.task_id = $1 AND t.annotator = a.annotator) AS trail_length"
            " FROM a ORDER BY a.annotator",
            task_id,
        )

    async def progress_of(self, task_ids: list[str]) -> list[asyncpg.Record]:
        """Per known (not deleted) task among `task_ids`, in request order: done, total, leased now, status."""
        return await self.conn.fetch(
            f"SELECT t.task_id, t.total, CASE WHEN t.awaits_annotation_seq > 0 AND {EFFECTIVE_STATUS} = 'active'"
            f" THEN 'pending' ELSE {EFFECTIVE_STATUS} END AS status,"
            " (SELECT coalesce(sum(x.done), 0) FROM progress x WHERE x.task_id = t.task_id)::int8 AS done,"
            " (SELECT count(*) FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit"
            "   WHERE h.task_id = t.task_id AND h.state = 'leased' AND h.expires_at > now()"
            "   AND h.seq = h.unit AND p.done_at IS NULL) AS leased,"
            " (SELECT count(*) FROM review r WHERE r.task_id = t.task_id AND r.state = 'in_review') AS in_review,"
            " (SELECT count(*) FROM review r WHERE r.task_id = t.task_id AND r.state = 'accepted') AS accepted"
            " FROM tasks t LEFT JOIN task_gates g ON g.task_id = t.task_id"
            " WHERE t.task_id = ANY($1::text[]) AND t.status <> 'deleted' AND g.status IS DISTINCT FROM 'deleted'"
            " ORDER BY array_position($1::text[], t.task_id)",
            task_ids,
        )
