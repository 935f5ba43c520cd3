"""A batch applied without BEGIN and COMMIT round trips when its handler writes once: that write stores the position.

A `ConsumerSpec(one_write=True)` consumer whose leader knows its stored position applies a batch on a connection
outside any transaction, with `current_batch()` set for its handler. The handler reads what it needs (committed
state, no locks), then either
- makes ONE write statement that also stores the position (`position_update` as one of its CTEs, with
  `BatchWrite.position_args`): the statement is its own transaction, so the read model and the position commit
  together, or not at all; or
- calls `await batch.begin()` before its first write and writes as it likes: the kernel commits that transaction
  with the position, as for any other consumer; or
- writes nothing: the kernel stores the position alone (one statement).
The stored position moves by compare-and-set as in `consumer.py`: if the row holds another position (someone else
applied events), the position's UPDATE sets NULL into its NOT NULL column, the whole statement fails and nothing of
it is stored; the kernel turns that into `PositionMoved` (read again under the row lock, batch retried). What the
handler read before its write is therefore what the position it stores was applied after: only this durable's
leader writes its read model in order (other writers, e.g. deletions, must be fenced by the write itself).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction

from .db import Conn

POSITION_TABLE = "consumer_positions"
STORE_POSITION = (
    "UPDATE consumer_positions SET stream_seq = $2, updated_at = now() WHERE consumer = $1 AND stream_seq = $3"
)

NO_POSITION = (None, None, None)  # `position_update`'s parameters when the kernel stores the position itself

_current: ContextVar[BatchWrite | None] = ContextVar("annostream_batch_write", default=None)


class PositionMoved(Exception):
    """The stored position is not the one this leader kept: someone else applied events; read it again."""


def current_batch() -> BatchWrite | None:
    """The batch the running handler applies outside a transaction (None: inside one, or not a one-write consumer)."""
    return _current.get()


def position_update(first: int) -> str:
    """An UPDATE storing a batch's position (parameters `$first`..: consumer, from, to; a NULL consumer stores none),
    for a CTE of a handler's one write; a moved position makes it, and its statement, fail."""
    c, b, a = (f"${first + i}" for i in range(3))
    return (
        f"UPDATE {POSITION_TABLE} SET stream_seq = CASE WHEN stream_seq = {b}::bigint THEN {a}::bigint END,"
        f" updated_at = now() WHERE consumer = {c}::text RETURNING 1"
    )


def moved(exc: BaseException) -> bool:
    """Whether `exc` is a position write that found another position stored (`position_update`)."""
    return isinstance(exc, asyncpg.NotNullViolationError) and getattr(exc, "table_name", None) == POSITION_TABLE


class BatchWrite:
    """One batch of a one-write consumer: its connection, the position it moves from and to, and its transaction if
    the handler began one."""

    def __init__(self, conn: Conn, consumer: str, before: int, after: int) -> None:
        """Move `consumer`'s stored position from `before` to `after` with what the handler writes on `conn`."""
        self.conn, self.consumer, self.before, self.after = conn, consumer, before, after
        self.stored = False
        self._tx: Transaction | None = None

    def position_args(self) -> list[Any]:
        """The parameters of `position_update` for this batch, for the handler's one write (which then stores it)."""
        self.stored = True
        return [self.consumer, self.before, self.after]

    async def begin(self) -> None:
        """Open a transaction for the handler's writes (the kernel commits it with the position)."""
        if self._tx is None:
            self._tx = self.conn.transaction()
            await self._tx.start()

    async def finish(self) -> None:
        """Store the position unless the handler's write did, and commit the transaction the handler began."""
        if not self.stored:
            status = await self.conn.execute(STORE_POSITION, self.consumer, self.after, self.before)
            if status != "UPDATE 1":
                raise PositionMoved(f"{self.consumer}: the stored position is no longer {self.before}")
            self.stored = True
        if self._tx is not None:
            await self._tx.commit()

    async def abort(self) -> None:
        """Roll back the transaction the handler began (the one-statement write rolled itself back)."""
        if self._tx is not None:
            await self._tx.rollback()

    def __enter__(self) -> BatchWrite:
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
