"""Review SQL: settings, the reviewers' lease queue, decisions (sending a frame back into the plan), comments.

Concurrency: a reviewer's claims on one task are serialised by a transaction-scoped advisory lock (a second
concurrent NextReview of the same reviewer returns the lease the first took); the queue row is taken with
`FOR UPDATE SKIP LOCKED`, so two reviewers never wait on, or take, the same frame. A decision locks its review row
(by lease id and reviewer) before anything else, so a decision and the review emitter never append to the same
frame's review stream at once.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from annostream_kernel.db import Conn

from ..domain.review import ReviewMode, ReviewSettings, ReworkBy
from .leases import LeaseStore

CLAIM = """
SELECT r.frame_id FROM review r
 WHERE r.task_id = $1 AND r.state = 'in_review' AND (r.expires_at IS NULL OR r.expires_at <= now())
   AND ($2::boolean OR r.annotator <> $3)
   AND ($4 = '' OR r.annotator = $4)
   AND ($5 = '' OR EXISTS (SELECT 1 FROM rois x WHERE x.frame_id = r.frame_id
                            AND x.version_id = ANY($6::text[]) AND $5 = ANY(x.labels)))
 ORDER BY r.requested_at, r.frame_id LIMIT 1 FOR UPDATE OF r SKIP LOCKED
"""


class ReviewStore:
    """Review SQL on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def settings(self, task_id: str) -> ReviewSettings:
        """The task's settings (review off when never set)."""
        r = await self.conn.fetchrow("SELECT * FROM review_settings WHERE task_id = $1", task_id)
        if r is None:
            return ReviewSettings()
        return ReviewSettings(
            ReviewMode(r["mode"]), r["sample_percent"], r["reviewer_may_review_own"], ReworkBy(r["rework_by"])
        )

    async def put_settings(self, task_id: str, s: ReviewSettings) -> None:
        """Store the task's settings."""
        await self.conn.execute(
            "INSERT INTO review_settings (task_id, mode, sample_percent, reviewer_may_review_own, rework_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (task_id) DO UPDATE SET mode = EXCLUDED.mode,"
            " sample_percent = EXCLUDED.sample_percent, reviewer_may_review_own = EXCLUDED.reviewer_may_review_own,"
            " rework_by = EXCLUDED.rework_by",
            task_id,
            s.mode.value,
            s.sample_percent,
            s.reviewer_may_review_own,
            s.rework_by.value,
        )

    async def serialise_reviewer(self, task_id: str, reviewer: str) -> None:
        """One reviewer's claims on one task run one at a time (until the transaction ends)."""
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(1) || $2, 11))", task_id, reviewer
        )

    async def held(self, task_id: str, reviewer: str) -> asyncpg.Record | None:
        """The review lease the reviewer holds on the task (unexpired), if any."""
        return await self.conn.fetchrow(
            "SELECT * FROM review WHERE task_id = $1 AND state = 'in_review' AND reviewer = $2"
            " AND expires_at > now() ORDER BY expires_at DESC LIMIT 1",
            task_id,
            reviewer,
        )

    async def claim(
        self,
        task_id: str,
        reviewer: str,
        lease_id: str,
        ttl: timedelta,
        *,
        allow_own: bool,
        annotator: str,
        label: str,
        lineage: list[str],
    ) -> asyncpg.Record | None:
        """Lease the first free frame waiting for review that passes the filters; None when there is none."""
        frame_id = await self.conn.fetchval(CLAIM, task_id, allow_own, reviewer, annotator, label, lineage)
        if frame_id is None:
            return None
        return await self.conn.fetchrow(
            "UPDATE review SET reviewer = $3, lease_id = $4, expires_at = now() + $5::interval"
            " WHERE task_id = $1 AND frame_id = $2 RETURNING *",
            task_id,
            frame_id,
            reviewer,
            lease_id,
            ttl,
        )

    async def waiting(self, task_id: str) -> int:
        """Frames of the task waiting for review (held ones included)."""
        return int(
            await self.conn.fetchval("SELECT count(*) FROM review WHERE task_id = $1 AND state = 'in_review'", task_id)
        )

    async def lock_lease(self, task_id: str, lease_id: str, reviewer: str) -> asyncpg.Record | None:
        """The review row of a lease the reviewer holds (still in review), locked; None when not held."""
        return await self.conn.fetchrow(
            "SELECT * FROM review WHERE task_id = $1 AND lease_id = $2 AND reviewer = $3 AND state = 'in_review'"
            " FOR UPDATE",
            task_id,
            lease_id,
            reviewer,
        )

    async def release(self, task_id: str, frame_id: str) -> None:
        """Give a review lease back: the frame waits for any reviewer again."""
        await self.conn.execute(
            "UPDATE review SET reviewer = NULL, lease_id = NULL, expires_at = NULL"
            " WHERE task_id = $1 AND frame_id = $2",
            task_id,
            frame_id,
        )

    async def decide(self, row: asyncpg.Record, accept: bool, reason: str) -> asyncpg.Record:
        """Record the decision on a locked review row (and in the decisions); returns the updated row."""
        state = "accepted" if accept else "rejected"
        await self.conn.execute(
            "INSERT INTO review_decisions (task_id, frame_id, round, decision, reviewer, annotator, reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            row["task_id"],
            row["frame_id"],
            row["round"],
            state,
            row["reviewer"],
            row["annotator"],
            reason,
        )
        updated = await self.conn.fetchrow(
            "UPDATE review SET state = $3, reason = $4, lease_id = NULL, expires_at = NULL, updated_at = now()"
            " WHERE task_id = $1 AND frame_id = $2 RETURNING *",
            row["task_id"],
            row["frame_id"],
            state,
            reason,
        )
        assert updated is not None
        return updated

    async def send_back(self, task_id: str, frame_id: str, annotator: str, reserved_for: str | None) -> None:
        """A rejected frame is not done any more: its plan row opens again (for `reserved_for`, or anyone), and
        the annotator's done count goes down by one (TaskProgressed follows from the progress emitter)."""
        unit = await self.conn.fetchval(
            "UPDATE plan SET done_at = NULL, done_by = NULL WHERE task_id = $1 AND frame_id = $2"
            " AND done_at IS NOT NULL RETURNING unit",
            task_id,
            frame_id,
        )
        if unit is None:
            return
        await self.conn.execute(
            "UPDATE plan SET state = 'open', lease_id = NULL, expires_at = NULL, reserved_for = $3"
            " WHERE task_id = $1 AND seq = $2 AND state = 'done'",
            task_id,
            unit,
            reserved_for,
        )
        await self.conn.execute(
            "UPDATE progress SET done = greatest(done - 1, 0) WHERE task_id = $1 AND annotator = $2",
            task_id,
            annotator,
        )

    async def lock_frame(self, task_id: str, frame_id: str) -> asyncpg.Record | None:
        """The frame's review row, locked (None when it never went to review)."""
        return await self.conn.fetchrow(
            "SELECT * FROM review WHERE task_id = $1 AND frame_id = $2 FOR UPDATE", task_id, frame_id
        )

    async def reopen(self, row: asyncpg.Record, lease_id: str, ttl: timedelta) -> asyncpg.Record:
        """Undo the decision of a locked row: in review again (same round), leased to its reviewer."""
        await self.conn.execute(
            "DELETE FROM review_decisions WHERE task_id = $1 AND frame_id = $2 AND round = $3",
            row["task_id"],
            row["frame_id"],
            row["round"],
        )
        updated = await self.conn.fetchrow(
            "UPDATE review SET state = 'in_review', reason = '', lease_id = $3, expires_at = now() + $4::interval,"
            " updated_at = now() WHERE task_id = $1 AND frame_id = $2 RETURNING *",
            row["task_id"],
            row["frame_id"],
            lease_id,
            ttl,
        )
        assert updated is not None
        return updated

    async def take_back(self, task_id: str, frame_id: str, annotator: str) -> bool:
        """A rejected frame nobody has taken up again is done again (its unit closed, the done count back);
        False when an annotator holds (or finished) it meanwhile. Call after the review row left `rejected` (the
        plan trigger would otherwise send the frame to review as a fix)."""
        row = await self.conn.fetchrow(
            "SELECT p.done_at, h.seq AS head, (h.state = 'leased' AND h.expires_at > now()) AS held"
            " FROM plan p JOIN plan h ON h.task_id = p.task_id AND h.seq = p.unit"
            " WHERE p.task_id = $1 AND p.frame_id = $2 FOR UPDATE OF p, h",
            task_id,
            frame_id,
        )
        if row is None or row["done_at"] is not None or row["held"]:
            return False
        await self.conn.execute(
            "UPDATE plan SET done_at = now(), done_by = $3 WHERE task_id = $1 AND frame_id = $2",
            task_id,
            frame_id,
            annotator,
        )
        await self.conn.execute(
            "UPDATE plan h SET reserved_for = NULL, lease_id = NULL, expires_at = NULL, state = CASE WHEN NOT EXISTS"
            " (SELECT 1 FROM plan q WHERE q.task_id = h.task_id AND q.unit = h.seq AND q.done_at IS NULL)"
            " THEN 'done' ELSE 'open' END WHERE h.task_id = $1 AND h.seq = $2",
            task_id,
            row["head"],
        )
        await LeaseStore(self.conn).add_done(task_id, annotator, 1)
        return True

    async def frame(self, task_id: str, frame_id: str) -> asyncpg.Record | None:
        """The frame's review row, if it ever went to review."""
        return await self.conn.fetchrow("SELECT * FROM review WHERE task_id = $1 AND frame_id = $2", task_id, frame_id)

    async def in_plan(self, task_id: str, frame_id: str) -> bool:
        """Whether the frame is in the task's plan."""
        return bool(
            await self.conn.fetchval("SELECT 1 FROM plan WHERE task_id = $1 AND frame_id = $2", task_id, frame_id)
        )

    async def decisions(self, task_id: str, frame_id: str) -> list[asyncpg.Record]:
        """The frame's decisions, oldest first."""
        return await self.conn.fetch(
            "SELECT * FROM review_decisions WHERE task_id = $1 AND frame_id = $2 ORDER BY round",
            task_id,
            frame_id,
        )

    async def requests(self, limit: int) -> list[asyncpg.Record]:
        """Frames whose ReviewRequested is not yet in the outbox (task, frame, round, annotator), their request
        rows locked (others' locked rows skipped; the review rows are not locked)."""
        return await self.conn.fetch(
            "SELECT q.task_id, q.frame_id, q.round, r.annotator FROM review_requests q"
            " JOIN review r ON r.task_id = q.task_id AND r.frame_id = q.frame_id"
            " ORDER BY q.task_id, q.frame_id LIMIT $1 FOR UPDATE OF q SKIP LOCKED",
            limit,
        )

    async def take_request(self, task_id: str, frame_id: str) -> int | None:
        """Remove the frame's pending request; its round (None when there was none, or the emitter took it: then
        this waits until the emitter's ReviewRequested is committed)."""
        value: int | None = await self.conn.fetchval(
            "DELETE FROM review_requests WHERE task_id = $1 AND frame_id = $2 RETURNING round", task_id, frame_id
        )
        return value

    async def dataset_of(self, version_id: str) -> str:
        """The dataset of a version ('' when the index does not know it)."""
        return str(await self.conn.fetchval("SELECT dataset_id FROM versions WHERE version_id = $1", version_id) or "")
