"""Unit of work over one PostgreSQL transaction: state changes and their events commit together."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from .events import NewEvent, append_events


class UnitOfWorkPort(Protocol):
    """What every service's unit-of-work port shares: `async with uow:`, then `commit()` (leaving without it rolls
    back); each service's port adds its repositories and a typed `emit`."""

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


class PgUnitOfWork:
    """`async with uow:` opens a transaction; `collect()` queues events appended at `commit()`.

    Leaving the block without commit() rolls back, so a failed handler writes nothing.
    Services subclass it to expose repositories built on `self.conn`. With `transaction=False` the block holds
    one connection and no transaction (reads, or a single statement): no BEGIN/COMMIT round trips.
    """

    def __init__(self, pool: asyncpg.Pool, notify_channel: str, *, transaction: bool = True) -> None:
        self._pool, self._channel, self._transactional = pool, notify_channel, transaction
        self._conn: PoolConnectionProxy | None = None
        self._tx: Transaction | None = None
        self._events: list[NewEvent] = []
        self.committed = False

    @property
    def conn(self) -> PoolConnectionProxy:
        """The transaction's connection."""
        assert self._conn is not None, "unit of work not entered"
        return self._conn

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        if self._transactional:
            self._tx = self._conn.transaction()
            await self._tx.start()
        self._events, self.committed = [], False
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and not self.committed:
                try:
                    await self._tx.rollback()
                except Exception:
                    # A commit that failed, or was cancelled, leaves asyncpg's transaction unusable ("cannot
                    # rollback; the transaction is in error state"): leaving on that error (or the cancellation),
                    # it is the one to raise; the pool resets the connection (or drops it) on release.
                    if exc is None:
                        raise
        finally:
            if self._conn is not None:
                await self._pool.release(self._conn)
            self._conn = self._tx = None

    def collect(self, *events: NewEvent) -> None:
        """Queue events to append in this transaction."""
        self._events.extend(events)

    async def append(self, events: Sequence[NewEvent], expected_version: int | None = None) -> list[int]:
        """Append one stream's events now (inside the transaction); returns their stream versions."""
        return await append_events(self.conn, events, expected_version=expected_version)

    async def commit(self) -> None:
        """Append queued events (grouped per stream, in order), signal the relay when there were any, and commit."""
        if self._events:
            assert self._tx is not None, "events need a transaction"
            by_stream: dict[str, list[NewEvent]] = {}
            for e in self._events:
                by_stream.setdefault(e.stream_id, []).append(e)
            for events in by_stream.values():
                await append_events(self.conn, events)
            await self.conn.execute("SELECT pg_notify($1, '')", self._channel)
        if self._tx is not None:
            await self._tx.commit()
        self.committed = True
