"""Read-only plan lookups for editor navigation (never leases)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from annostream_kernel.db import Conn

# A plan row with its clip head's lease state.
ROW = (
    "SELECT p.seq, p.frame_id, p.done_by, p.done_at, h.state AS head_state, h.annotator AS holder,"
    " h.expires_at FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit"
)

# The frame has ROIs in its effective state for the task's version (nearest version of the lineage
# that has its own state for the frame).
HAS_ROIS = (
    "EXISTS (SELECT 1 FROM rois r WHERE r.frame_id = p.frame_id AND r.version_id = ("
    " SELECT m.version_id FROM marks m WHERE m.frame_id = p.frame_id AND m.version_id = ANY($3::text[])"
    " ORDER BY array_position($3::text[], m.version_id) LIMIT 1))"
)


class NavigationStore:
    """Navigation SQL on one connection."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def at(self, task_id: str, seq: int) -> asyncpg.Record | None:
        """The plan row at 1-based position `seq`."""
        return await self.conn.fetchrow(ROW + " WHERE p.task_id = $1 AND p.seq = $2", task_id, seq)

    async def seq_of(self, task_id: str, frame_id: str) -> int | None:
        """The 1-based plan position of a frame; None when the frame is not in the task's plan."""
        v = await self.conn.fetchval("SELECT seq FROM plan WHERE task_id = $1 AND frame_id = $2", task_id, frame_id)
        return int(v) if v is not None else None

    async def trail_entry(self, task_id: str, annotator: str, idx: int) -> asyncpg.Record | None:
        """Trail entry `idx` of the annotator (0 = the last one)."""
        if idx == 0:
            return await self.conn.fetchrow(
                "SELECT idx, unit FROM trail WHERE task_id = $1 AND annotator = $2 ORDER BY idx DESC LIMIT 1",
                task_id,
                annotator,
            )
        return await self.conn.fetchrow(
            "SELECT idx, unit FROM trail WHERE task_id = $1 AND annotator = $2 AND idx = $3", task_id, annotator, idx
        )

    async def annotated(self, task_id: str, seq: int, lineage: Sequence[str], *, forward: bool) -> int | None:
        """Position of the next (or previous) plan frame after (before) `seq` that has ROIs."""
        cmp, order = (">", "ASC") if forward else ("<", "DESC")
        value: int | None = await self.conn.fetchval(
            f"SELECT p.seq FROM plan p WHERE p.task_id = $1 AND p.seq {cmp} $2 AND {HAS_ROIS}"
            f" ORDER BY p.seq {order} LIMIT 1",
            task_id,
            seq,
            list(lineage),
        )
        return value
