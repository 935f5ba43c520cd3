"""The dispatcher's SQL: claim due deliveries (a lease, so a crashed sender's work comes back), record what the
attempts gave, release what a stopping process did not finish, and forget old finished deliveries."""

from __future__ import annotations

import asyncpg

from ..domain.delivery import Claim, Outcome
from .postgres import lock_queues, promote

# Claim runs: the ready deliveries (each the head of its queue) of enabled webhooks that are due now, each with up to
# $3 - 1 deliveries queued behind it (never attempted, so not ready; no one else can claim them while their head is
# claimed). A run is sent in order by one task. SKIP LOCKED lets several dispatchers claim side by side. The claim
# pushes next_attempt_at past the attempt's timeout (the lease): if the process dies mid-run, the head is due again
# then. `attempts` doubles as the claim's token.
CLAIM_SQL = """
WITH heads AS (
    SELECT d.delivery_id, d.webhook_id, d.stream_id, d.seq
    FROM deliveries d JOIN webhooks w ON w.webhook_id = d.webhook_id AND w.enabled
    WHERE d.ready AND d.state = 'pending' AND d.next_attempt_at <= now()
    ORDER BY d.next_attempt_at LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
), runs AS (
    SELECT h.delivery_id AS head, f.delivery_id, f.seq FROM heads h CROSS JOIN LATERAL (
        SELECT f.delivery_id, f.seq FROM deliveries f
        WHERE f.webhook_id = h.webhook_id AND f.stream_id = h.stream_id AND f.state = 'pending' AND f.seq >= h.seq
          AND (f.delivery_id = h.delivery_id OR (NOT f.ready AND f.next_attempt_at <= now()))
        ORDER BY f.seq LIMIT $3
    ) f
)
UPDATE deliveries d
SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + $2 * interval '1 second'
FROM runs, webhooks w, payloads p
WHERE d.delivery_id = runs.delivery_id AND w.webhook_id = d.webhook_id AND p.event_id = d.event_id
RETURNING runs.head, runs.seq, d.delivery_id, d.webhook_id, d.event_id, d.stream_id, d.attempts, w.url, w.secret,
    p.body
"""

# Record outcomes of claims still held (same attempts count, still pending): the rest were re-claimed after their
# lease ran out, or re-sent, or their webhook was deleted.
RECORD_SQL = """
UPDATE deliveries d SET
    state = u.state,
    ready = d.ready AND u.state = 'pending',
    last_status = u.status,
    last_error = u.error,
    next_attempt_at = CASE WHEN u.state = 'pending' THEN now() + u.delay * interval '1 second'
                           ELSE d.next_attempt_at END,
    completed_at = CASE WHEN u.state = 'pending' THEN NULL ELSE now() END
FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::float8[])
    AS u(id, attempt, state, status, error, delay)
WHERE d.delivery_id = u.id AND d.attempts = u.attempt AND d.state = 'pending'
RETURNING d.webhook_id, d.stream_id, d.state
"""

RELEASE_SQL = """
UPDATE deliveries d SET attempts = d.attempts - 1, next_attempt_at = now()
FROM unnest($1::text[], $2::int[]) AS u(id, attempt)
WHERE d.delivery_id = u.id AND d.attempts = u.attempt AND d.state = 'pending'
"""


class DispatchStore:
    """The dispatcher's queries on the webhooks schema."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, limit: int, lease_seconds: float, run_length: int) -> list[list[Claim]]:
        """Up to `limit` runs of due deliveries (each at most `run_length` long, in queue order), leased for
        `lease_seconds`."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM_SQL, limit, lease_seconds, run_length)
        runs: dict[str, list[tuple[int, Claim]]] = {}
        for r in rows:
            claim = Claim(
                r["head"],
                r["delivery_id"],
                r["webhook_id"],
                r["event_id"],
                r["stream_id"],
                r["attempts"],
                r["url"],
                r["secret"],
                bytes(r["body"]),
            )
            runs.setdefault(r["head"], []).append((r["seq"], claim))
        return [[c for _, c in sorted(run, key=lambda x: x[0])] for run in runs.values()]

    async def record(self, outcomes: list[Outcome]) -> int:
        """Store outcomes in one transaction; each finished delivery readies the next of its queue. Returns how many
        deliveries finished."""
        if not outcomes:
            return 0
        queues = sorted({(o.claim.webhook_id, o.claim.stream_id) for o in outcomes})
        async with self._pool.acquire() as conn, conn.transaction():
            await lock_queues(conn, queues)
            rows = await conn.fetch(
                RECORD_SQL,
                [o.claim.delivery_id for o in outcomes],
                [o.claim.attempt for o in outcomes],
                [o.state.value for o in outcomes],
                [o.status for o in outcomes],
                [o.error for o in outcomes],
                [o.delay for o in outcomes],
            )
            finished = sorted({(r["webhook_id"], r["stream_id"]) for r in rows if r["state"] != "pending"})
            await promote(conn, finished)
        return sum(1 for r in rows if r["state"] != "pending")

    async def next_due(self) -> float | None:
        """Seconds until the earliest ready delivery is due (0 when one is due now), None when none waits."""
        due = await self._pool.fetchval(
            "SELECT extract(epoch FROM min(d.next_attempt_at) - now())::float8 FROM deliveries d"
            " JOIN webhooks w ON w.webhook_id = d.webhook_id AND w.enabled WHERE d.ready AND d.state = 'pending'"
        )
        return None if due is None else max(0.0, float(due))

    async def release(self, claims: list[Claim]) -> None:
        """Give back claims a stopping process did not finish (due again now, the attempt not counted)."""
        if claims:
            await self._pool.execute(RELEASE_SQL, [c.delivery_id for c in claims], [c.attempt for c in claims])

    async def forget(self, retention_days: float, limit: int = 10_000) -> int:
        """Delete up to `limit` deliveries finished more than `retention_days` ago, and payloads nobody needs."""
        async with self._pool.acquire() as conn, conn.transaction():
            done = await conn.execute(
                "DELETE FROM deliveries WHERE delivery_id IN (SELECT delivery_id FROM deliveries"
                " WHERE state <> 'pending' AND completed_at < now() - $1 * interval '1 day' LIMIT $2)",
                retention_days,
                limit,
            )
            await conn.execute(
                "DELETE FROM payloads p WHERE p.created_at < now() - $1 * interval '1 day'"
                " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = p.event_id)",
                retention_days,
            )
        return int(done.split()[-1])
