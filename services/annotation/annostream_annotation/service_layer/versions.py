"""Cross-service promises the annotation service keeps synchronously: sealing a version at publish, and the
stream position that covers every edit acknowledged so far (see docs/architecture.md, Consistency guarantees)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
from nats.js import JetStreamContext

from annostream_kernel.errors import InvalidArgument, Unavailable

from ..adapters.frame_sql import SEAL_LOCK, SEAL_VERSION

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


async def seal_version(pool: asyncpg.Pool, version_id: str, dataset_id: str, parent_version_id: str, team: str) -> None:
    """Mark the version Published now (recording it, with its owning team, if its VersionCreated has not arrived
    yet); waits for the saves that already passed the Draft test to commit, and no later save of it commits
    (`version_writable`)."""
    if not version_id:
        raise InvalidArgument("is required", field="version_id")
    if not dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(SEAL_LOCK, version_id)
        await conn.execute(SEAL_VERSION, version_id, dataset_id, parent_version_id or None, team or None)


async def published_position(
    pool: asyncpg.Pool, js: JetStreamContext, *, stream: str, producer: str, timeout: float
) -> int:
    """Wait until the relay has published every event committed before this call, then return the stream's
    last sequence (which is at or after all of them); Unavailable if the relay does not get there in time."""
    deadline = time.monotonic() + timeout
    async with pool.acquire() as conn:
        snapshot = await conn.fetchval("SELECT pg_current_snapshot()::text")
        while await conn.fetchval(UNPUBLISHED, producer, snapshot):
            if time.monotonic() > deadline:
                raise Unavailable("the annotation events are not published yet (the relay lags); retry")
            await asyncio.sleep(POLL_SECONDS)
    info = await js.stream_info(stream)
    return int(info.state.last_seq)
