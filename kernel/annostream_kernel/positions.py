"""Stream positions behind cross-service promises: how far a producer's relay has published what committed,
and how far a consumer has applied a stream (see docs/architecture.md, Cross-service promises)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
from nats.js import JetStreamContext

from .db import Conn
from .errors import Unavailable

POLL_SECONDS = 0.005

# Events committed in a transaction visible to snapshot $2 that the relay has not published yet. The relay
# publishes in (tx_id, position) order and checkpoints the last row it published, so these are the rows after
# the checkpoint; a transaction still running when the snapshot was taken (not visible) is not waited for.
UNPUBLISHED = """
WITH c AS (
    SELECT coalesce((SELECT tx_id FROM relay_checkpoints WHERE name = $1), '0'::xid8) AS tx,
           coalesce((SELECT position FROM relay_checkpoints WHERE name = $1), 0) AS pos
)
SELECT EXISTS (
    SELECT 1 FROM events e, c
     WHERE (e.tx_id, e.position) > (c.tx, c.pos)
       AND e.tx_id < pg_snapshot_xmax($2::text::pg_snapshot)
       AND pg_visible_in_snapshot(e.tx_id, $2::text::pg_snapshot))
"""


async def published_position(
    pool: asyncpg.Pool, js: JetStreamContext, *, stream: str, producer: str, timeout: float
) -> int:
    """Wait until `producer`'s relay has published every event committed before this call, then return the
    stream's last sequence (at or after all of them); Unavailable if the relay does not get there in time."""
    deadline = time.monotonic() + timeout
    async with pool.acquire() as conn:
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        while await conn.fetchval(UNPUBLISHED, producer, snapshot):
            if time.monotonic() > deadline:
                raise Unavailable(f"the {producer} events are not published yet (the relay lags); retry")
            await asyncio.sleep(POLL_SECONDS)
    info = await js.stream_info(stream)
    return int(info.state.last_seq)


async def applied_position(conn: Conn, consumer: str) -> int:
    """The stream sequence the durable `consumer` of this schema has applied (committed with its read model)."""
    v = await conn.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = $1", consumer)
    return int(v or 0)


def deadline_timeout(remaining: float | None, *, cap: float = 30.0, margin: float = 0.2) -> float:
    """How long a server may wait for a position within its caller's remaining deadline (None: no deadline)."""
    return min(cap, max(0.1, remaining - margin)) if remaining is not None else cap


async def locked_position(conn: Conn, consumer: str) -> int:
    """The consumer's stored position under its row lock (`FOR UPDATE`), its row created at 0 if it has none."""
    # One statement once the durable has a row (every batch but its first ever).
    sql = "SELECT stream_seq FROM consumer_positions WHERE consumer = $1 FOR UPDATE"
    position = await conn.fetchval(sql, consumer)
    if position is None:
        await conn.execute("INSERT INTO consumer_positions(consumer) VALUES ($1) ON CONFLICT DO NOTHING", consumer)
        position = await conn.fetchval(sql, consumer)
    return int(position)


@dataclass(frozen=True)
class OwnStream:
    """A service's own event stream, as its producer: what its GetPublishedPosition answers."""

    pool: asyncpg.Pool
    js: JetStreamContext
    stream: str
    producer: str  # the relay checkpoint's name (the service's)

    async def published(self, remaining: float | None) -> int:
        """The stream sequence covering every event committed before the call, within the caller's time left."""
        timeout = deadline_timeout(remaining)
        return await published_position(self.pool, self.js, stream=self.stream, producer=self.producer, timeout=timeout)
