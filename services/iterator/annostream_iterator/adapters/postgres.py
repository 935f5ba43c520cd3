"""PostgreSQL adapters of the iterator: the frame index, task plans and leases."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from annostream_kernel.db import Conn

from ..domain.model import FrameOrder, TaskPlan

# Frames visible in a version: its own plus its ancestors' (copy-on-write); the nearest version wins.
VISIBLE_FRAMES = """
WITH RECURSIVE params AS (SELECT $2::text AS seed), lineage(version_id, depth) AS (
    SELECT $1::text, 0
    UNION ALL
    SELECT v.parent_version_id, l.depth + 1
    FROM versions v JOIN lineage l ON v.version_id = l.version_id
    WHERE v.parent_version_id IS NOT NULL AND l.depth < 1000
), visible AS (
    SELECT DISTINCT ON (f.frame_id) f.frame_id, f.context_id, f.ts
    FROM frames f JOIN lineage l ON f.version_id = l.version_id
    ORDER BY f.frame_id, l.depth
)
"""

# Random order = md5 of "<seed>:<frame_id>" — the same on every machine and after any rebuild.
ORDER_KEYS = {
    FrameOrder.SEQUENTIAL: "(context_id, ts, frame_id)",
    FrameOrder.RANDOM: "(md5((SELECT seed FROM params) || ':' || frame_id), frame_id)",
}


class IteratorStore:
    """All iterator SQL, on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def upsert_version(self, version_id: str, dataset_id: str, parent: str | None) -> None:
        """Record a version and its parent."""
        await self.conn.execute(
            "INSERT INTO versions VALUES ($1, $2, $3) ON CONFLICT (version_id) DO NOTHING",
            version_id,
            dataset_id,
            parent,
        )

    async def add_frames(self, version_id: str, rows: list[tuple[str, str, int]]) -> None:
        """Index frames (frame_id, context_id, timestamp) of a version; repeats are ignored."""
        await self.conn.execute(
            "INSERT INTO frames (version_id, frame_id, context_id, ts)"
            " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING",
            version_id,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        )

    async def add_task(self, plan: TaskPlan) -> None:
        """Record a task's plan parameters."""
        await self.conn.execute(
            "INSERT INTO tasks (task_id, version_id, frame_order, random_seed, frame_limit, clip_length)"
            " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (task_id) DO NOTHING",
            plan.task_id,
            plan.version_id,
            plan.order.value,
            plan.random_seed,
            plan.limit,
            plan.clip_length,
        )

    async def get_task(self, task_id: str) -> TaskPlan | None:
        """A task's plan parameters."""
        r = await self.conn.fetchrow("SELECT * FROM tasks WHERE task_id = $1", task_id)
        if r is None:
            return None
        return TaskPlan(
            r["task_id"],
            r["version_id"],
            FrameOrder(r["frame_order"]),
            r["random_seed"],
            r["frame_limit"],
            r["clip_length"],
        )

    async def held_lease(self, task_id: str, annotator: str) -> asyncpg.Record | None:
        """The annotator's unexpired lease on the task, if any."""
        return await self.conn.fetchrow(
            "SELECT frame_id, lease_id, expires_at FROM leases WHERE task_id = $1 AND annotator = $2"
            " AND state = 'leased' AND expires_at > now() ORDER BY leased_at LIMIT 1",
            task_id,
            annotator,
        )

    async def handed_out(self, task_id: str) -> int:
        """Frames of the task that are done or currently leased."""
        n = await self.conn.fetchval(
            "SELECT count(*) FROM leases WHERE task_id = $1 AND (state = 'done' OR expires_at > now())",
            task_id,
        )
        return int(n)

    async def candidates(self, plan: TaskPlan, n: int) -> list[str]:
        """The next `n` frames in plan order that are neither done nor leased."""
        key = ORDER_KEYS[plan.order]
        rows = await self.conn.fetch(
            VISIBLE_FRAMES + f"SELECT frame_id FROM visible v WHERE NOT EXISTS ("
            " SELECT 1 FROM leases le WHERE le.task_id = $3 AND le.frame_id = v.frame_id"
            "   AND (le.state = 'done' OR le.expires_at > now()))"
            f" ORDER BY {key} LIMIT $4",
            plan.version_id,
            str(plan.random_seed),
            plan.task_id,
            n,
        )
        return [r["frame_id"] for r in rows]

    async def try_lease(self, task_id: str, frame_id: str, annotator: str, lease_id: str, expires_at: datetime) -> bool:
        """Take the frame unless someone holds it or it is done (the PK makes this race-free)."""
        row = await self.conn.fetchrow(
            "INSERT INTO leases (task_id, frame_id, annotator, lease_id, expires_at) VALUES ($1,$2,$3,$4,$5)"
            " ON CONFLICT (task_id, frame_id) DO UPDATE SET annotator = EXCLUDED.annotator,"
            "   lease_id = EXCLUDED.lease_id, expires_at = EXCLUDED.expires_at, leased_at = now()"
            " WHERE leases.state = 'leased' AND leases.expires_at <= now() RETURNING lease_id",
            task_id,
            frame_id,
            annotator,
            lease_id,
            expires_at,
        )
        return row is not None

    async def position(self, plan: TaskPlan, frame_id: str) -> tuple[int, int]:
        """1-based position of a frame in the plan, and the number of frames in the plan."""
        key = ORDER_KEYS[plan.order]
        row = await self.conn.fetchrow(
            VISIBLE_FRAMES + ", keyed AS (SELECT frame_id, " + key + " AS k FROM visible)"
            " SELECT (SELECT count(*) FROM keyed WHERE k < (SELECT k FROM keyed WHERE frame_id = $3)) + 1 AS pos,"
            " (SELECT count(*) FROM keyed) AS total",
            plan.version_id,
            str(plan.random_seed),
            frame_id,
        )
        assert row is not None
        total = int(row["total"])
        return int(row["pos"]), min(total, plan.limit) if plan.limit else total
