"""Read-your-writes across services: a version or frame the datasets service acknowledged is never "unknown" here.

The annotation service learns versions, lineage and base frames from the datasets stream, so right after a
version is created or frames are imported its consumer may not have applied them yet. A request that misses one
asks the datasets service for the stream sequence covering everything it acknowledged (GetPublishedPosition),
waits until this service's consumer has applied that far, and tries once more; only then is the miss an answer.
The retry is unconditional: the consumer may have applied the change between the miss and the call, so "already
there" does not mean the miss was real. A miss costs one call and one more read (an id that does not exist).
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from annostream_kernel.errors import Unavailable
from annostream_kernel.positions import applied_position

from ..adapters.datasets_client import DatasetsPositions

DATASETS_CONSUMER = "annotation-datasets"
POLL_SECONDS = 0.01


class CatchUp:
    """Waits for this service's datasets consumer to reach what the datasets service has acknowledged."""

    def __init__(self, pool: asyncpg.Pool, positions: DatasetsPositions, timeout: float = 30.0) -> None:
        self._pool, self._positions, self._timeout = pool, positions, timeout

    async def caught_up(self, remaining: float | None = None) -> None:
        """Return once the consumer has applied every datasets change acknowledged before the call; Unavailable if
        it does not get there within the time left (capped at the timeout)."""
        budget = self._timeout if remaining is None else max(0.1, min(self._timeout, remaining - 0.2))
        deadline = time.monotonic() + budget
        target = await self._positions.published_position(budget)
        while await self._applied() < target:
            if time.monotonic() > deadline:
                raise Unavailable(
                    "the annotation service has not yet applied the latest datasets changes (it lags); retry"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _applied(self) -> int:
        async with self._pool.acquire() as conn:  # not held while waiting: a lag must not drain the pool
            return await applied_position(conn, DATASETS_CONSUMER)
