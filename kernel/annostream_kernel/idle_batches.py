"""Batches that change nothing but the position: a spec's `idle_when` condition lets such a batch store its position
in one statement (no BEGIN, handler or COMMIT round trips): the position's compare-and-set with that condition, both
in one snapshot, so the condition sees what the handler's own reads would have seen."""

from __future__ import annotations

import time

import asyncpg

from .batch_write import STORE_POSITION
from .bundles import Item, contiguous
from .consumer_spec import ConsumerSpec

BUSY_SECONDS = 5.0  # after a batch `idle_when` did not hold for, batches are applied as usual this long (no extra try)


class IdleBatches:
    """Stores the position of batches the spec's `idle_when` holds for; one per consumer."""

    def __init__(self, pool: asyncpg.Pool, spec: ConsumerSpec) -> None:
        self._pool, self._durable, self._bundled = pool, spec.durable, spec.bundled
        self._busy_until = 0.0  # monotonic time before which `idle_when` is not tried (it did not hold lately)
        self._sql = f"{STORE_POSITION} AND $4::text[] IS NOT NULL AND ({spec.idle_when})" if spec.idle_when else ""

    async def store(self, items: list[Item], known: int, after: int, upto: int) -> int | None:
        """Store the position past `items` (the stored one is `known`; events up to `after` are applied) by one
        statement when the condition holds for them: the position stored, or None (they are applied as usual: no
        condition, it did not hold, or events are missing or untyped)."""
        if not self._sql or time.monotonic() < self._busy_until:
            return None
        fresh = [i for i in items if i.seq > after]
        if not fresh or upto > fresh[-1].seq or any(i.type is None for i in fresh):
            return None
        if self._bundled and not contiguous(fresh, after):  # events no bundle brought: read and applied as usual
            return None
        last, types = fresh[-1].seq, sorted({i.type for i in fresh if i.type is not None})
        if await self._pool.execute(self._sql, self._durable, last, known, types) == "UPDATE 1":
            return last
        self._busy_until = time.monotonic() + BUSY_SECONDS
        return None
