"""Leadership among replicas, shared by the relay and the consumers: a session advisory lock held on one pooled
connection while leading, a loop that leads again after errors, and a clean release.

Cancellation subtlety (see loops.py): a library may turn the CancelledError of a task being stopped into its own
error; a loop that leads again after errors would then never stop, so `lead_forever` treats an error raised while
its task is being cancelled as the cancellation it hides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg

from .db import Conn, advisory_key
from .loops import raise_if_cancelling


async def lead_forever(
    lead: Callable[[], Awaitable[None]], on_error: Callable[[Exception], None], backoff: float
) -> None:
    """Run `lead` until cancelled, again after `backoff` seconds whenever it fails."""
    while True:
        try:
            await lead()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise_if_cancelling(exc)
            on_error(exc)
            await asyncio.sleep(backoff)


async def take_lead(conn: Conn, name: str, poll: float) -> None:
    """Wait until this connection's session holds the advisory lock `name` (one leader among replicas)."""
    key = advisory_key(name)
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):  # noqa: ASYNC110 - polls a DB lock
        await asyncio.sleep(poll)


async def give_up_lead(pool: asyncpg.Pool, conn: asyncpg.pool.PoolConnectionProxy, timeout: float = 5.0) -> None:
    """Release every advisory lock of the session and return the connection; a connection that cannot be cleaned
    in time (database gone, or the task cancelled again) is closed, and its locks go with it."""
    try:
        async with asyncio.timeout(timeout):
            await conn.execute("SELECT pg_advisory_unlock_all()")
        await pool.release(conn, timeout=timeout)
    except BaseException:
        conn.terminate()
        await pool.release(conn)
