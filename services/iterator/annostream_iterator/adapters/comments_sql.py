"""Comment threads on a task's frames, and the quality figures of a task (per annotator and overall)."""

from __future__ import annotations

import asyncpg

from annostream_kernel.db import Conn

from ..domain.commands import AddComment

QUALITY = """
WITH owner AS (  -- who a frame of the task counts for: the annotator it went to review from, else who did it
    SELECT p.frame_id, coalesce(r.annotator, p.done_by) AS annotator, p.done_at, h.leased_at
      FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit
      LEFT JOIN review r ON r.task_id = p.task_id AND r.frame_id = p.frame_id
     WHERE p.task_id = $1 AND (p.done_by IS NOT NULL OR r.annotator IS NOT NULL)),
people AS (
    SELECT annotator FROM progress WHERE task_id = $1 AND done > 0
    UNION SELECT annotator FROM owner WHERE annotator IS NOT NULL),
fig AS (
    SELECT a.annotator,
      coalesce((SELECT done FROM progress g WHERE g.task_id = $1 AND g.annotator = a.annotator), 0) AS done,
      (SELECT count(*) FROM review r WHERE r.task_id = $1 AND r.annotator = a.annotator AND r.state = 'accepted')
        AS accepted,
      (SELECT count(*) FROM review_decisions d WHERE d.task_id = $1 AND d.annotator = a.annotator
        AND d.decision = 'rejected') AS rejected,
      (SELECT count(*) FROM review_decisions d WHERE d.task_id = $1 AND d.annotator = a.annotator
        AND d.decision = 'accepted') AS accepted_decisions,
      (SELECT count(*) FROM review r WHERE r.task_id = $1 AND r.annotator = a.annotator AND r.state = 'in_review')
        AS in_review,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.done_at - o.leased_at))
         FROM owner o WHERE o.annotator = a.annotator AND o.done_at IS NOT NULL AND o.leased_at IS NOT NULL
          AND o.done_at >= o.leased_at) AS median_seconds,
      (SELECT count(*) FROM comments c JOIN owner o ON o.frame_id = c.frame_id
        WHERE c.task_id = $1 AND c.comment_id = c.thread_id AND NOT c.resolved AND o.annotator = a.annotator)
        AS open_comments
      FROM people a)
SELECT * FROM fig ORDER BY annotator
"""

TASK_FIGURES = """
SELECT (SELECT coalesce(sum(done), 0) FROM progress WHERE task_id = $1)::int8 AS done,
  (SELECT count(*) FROM review WHERE task_id = $1 AND state = 'accepted') AS accepted,
  (SELECT count(*) FROM review_decisions WHERE task_id = $1 AND decision = 'rejected') AS rejected,
  (SELECT count(*) FROM review_decisions WHERE task_id = $1 AND decision = 'accepted') AS accepted_decisions,
  (SELECT count(*) FROM review WHERE task_id = $1 AND state = 'in_review') AS in_review,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM p.done_at - h.leased_at))
     FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit
    WHERE p.task_id = $1 AND p.done_at IS NOT NULL AND h.leased_at IS NOT NULL AND p.done_at >= h.leased_at)
    AS median_seconds,
  (SELECT count(*) FROM comments WHERE task_id = $1 AND comment_id = thread_id AND NOT resolved) AS open_comments
"""


# The ROI is in the frame's effective state for the lineage ($3, the task's version first): the ROIs of the nearest
# version that has its own state for the frame (as navigation's HAS_ROIS; a deleted ROI is no longer a row).
HAS_ROI = """
SELECT EXISTS (SELECT 1 FROM rois r WHERE r.frame_id = $1 AND r.roi_id = $2 AND r.version_id = (
    SELECT m.version_id FROM marks m WHERE m.frame_id = $1 AND m.version_id = ANY($3::text[])
     ORDER BY array_position($3::text[], m.version_id) LIMIT 1))
"""


class CommentStore:
    """Comment and quality SQL on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def thread_of(self, task_id: str, comment_id: str, *, lock: bool = False) -> asyncpg.Record | None:
        """The first comment of the thread `comment_id` belongs to (locked with `lock`), None when unknown."""
        return await self.conn.fetchrow(
            "SELECT t.* FROM comments c JOIN comments t ON t.comment_id = c.thread_id"
            " WHERE c.task_id = $1 AND c.comment_id = $2" + (" FOR UPDATE OF t" if lock else ""),
            task_id,
            comment_id,
        )

    async def has_roi(self, lineage: list[str], frame_id: str, roi_id: str) -> bool:
        """Whether the frame holds the ROI in the lineage's first version, as the index knows it."""
        return bool(await self.conn.fetchval(HAS_ROI, frame_id, roi_id, lineage))

    async def add(self, cmd: AddComment, comment_id: str, thread_id: str, author: str) -> asyncpg.Record:
        """Store a comment; a reply takes its thread's resolved flag."""
        row = await self.conn.fetchrow(
            "INSERT INTO comments (comment_id, task_id, frame_id, thread_id, author, text, pinned, x, y, roi_id,"
            " resolved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce((SELECT resolved FROM comments"
            " WHERE comment_id = $4), false)) RETURNING *",
            comment_id,
            cmd.task_id,
            cmd.frame_id,
            thread_id,
            author,
            cmd.text,
            cmd.pinned,
            cmd.x,
            cmd.y,
            cmd.roi_id,
        )
        assert row is not None
        return row

    async def set_resolved(self, task_id: str, thread_id: str, resolved: bool) -> None:
        """Resolve or reopen every comment of a thread."""
        await self.conn.execute(
            "UPDATE comments SET resolved = $3 WHERE task_id = $1 AND thread_id = $2", task_id, thread_id, resolved
        )

    async def get(self, comment_id: str) -> asyncpg.Record | None:
        """One comment."""
        return await self.conn.fetchrow("SELECT * FROM comments WHERE comment_id = $1", comment_id)

    async def of_frame(self, task_id: str, frame_id: str) -> list[asyncpg.Record]:
        """The frame's comments, oldest first."""
        return await self.conn.fetch(
            "SELECT * FROM comments WHERE task_id = $1 AND frame_id = $2 ORDER BY created_at, comment_id",
            task_id,
            frame_id,
        )

    async def quality(self, task_id: str) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
        """(the task's figures, each annotator's figures)."""
        task = await self.conn.fetchrow(TASK_FIGURES, task_id)
        assert task is not None
        return task, await self.conn.fetch(QUALITY, task_id)
