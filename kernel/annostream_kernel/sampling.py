"""Gauges sampled on a timer rather than counted as things happen: how far the relay and each consumer lag, dead
letters, the database pool. The same queries serve `annostream status`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo

from .db import Conn
from .metrics import CONSUMER_LAG, DEAD_LETTERS, POOL_CONNECTIONS, RELAY_LAG

# Age of the oldest committed event the relay has not published yet (0 when it is up to date).
RELAY_LAG_SQL = """
WITH c AS (
    SELECT coalesce((SELECT tx_id FROM {schema}.relay_checkpoints ORDER BY tx_id DESC, position DESC LIMIT 1),
                    '0'::xid8) AS tx,
           coalesce((SELECT position FROM {schema}.relay_checkpoints ORDER BY tx_id DESC, position DESC LIMIT 1),
                    0) AS pos
)
SELECT coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)::float8
  FROM {schema}.events e, c
 WHERE (e.tx_id, e.position) > (c.tx, c.pos)
"""
DEAD_LETTERS_SQL = "SELECT consumer, count(*)::int AS n FROM {schema}.dead_letters GROUP BY consumer"


async def relay_lag(conn: Conn, schema: str) -> float:
    """Seconds since the oldest committed, unpublished event of `schema` was written (0: none)."""
    return round(float(await conn.fetchval(RELAY_LAG_SQL.format(schema=schema))), 3)


async def dead_letters(conn: Conn, schema: str) -> dict[str, int]:
    """Dead-lettered events of `schema`, per consumer."""
    return {r["consumer"]: r["n"] for r in await conn.fetch(DEAD_LETTERS_SQL.format(schema=schema))}


def events_to_apply(info: ConsumerInfo) -> int:
    """Events a durable consumer has yet to apply: not delivered yet + delivered but not acknowledged."""
    return int(info.num_pending or 0) + int(info.num_ack_pending or 0)


async def consumer_lag(js: JetStreamContext, stream: str, durable: str) -> int:
    """Events the durable consumer `durable` of `stream` has yet to apply."""
    return events_to_apply(await js.consumer_info(stream, durable))


class Sampler:
    """Samples one service's gauges every `interval` seconds until cancelled."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        schema: str,
        consumers: Sequence[tuple[str, str]],  # (stream, durable)
        interval: float,
        extra: Callable[[asyncpg.Pool], Awaitable[None]] | None = None,
    ) -> None:
        self._pool, self._js, self._schema = pool, js, schema
        self._consumers, self._interval, self._extra = consumers, interval, extra

    async def run(self) -> None:
        """Sample forever; a failed sample (database or NATS away) leaves the previous values."""
        while True:
            with contextlib.suppress(Exception):
                await self.sample()
            await asyncio.sleep(self._interval)

    async def sample(self) -> None:
        """Set every gauge once."""
        POOL_CONNECTIONS.labels("open").set(self._pool.get_size())
        POOL_CONNECTIONS.labels("idle").set(self._pool.get_idle_size())
        async with self._pool.acquire() as conn:
            RELAY_LAG.labels(self._schema).set(await relay_lag(conn, self._schema))
            for consumer, n in (await dead_letters(conn, self._schema)).items():
                DEAD_LETTERS.labels(consumer).set(n)
        for stream, durable in self._consumers:
            with contextlib.suppress(Exception):  # not created yet
                CONSUMER_LAG.labels(durable).set(await consumer_lag(self._js, stream, durable))
        if self._extra is not None:
            await self._extra(self._pool)
