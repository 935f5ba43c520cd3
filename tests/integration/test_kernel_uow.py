"""The kernel unit of work on a real PostgreSQL: a commit that fails leaves the block with its own error (asyncpg's
transaction is unusable after a failed commit, so the rollback on the way out must not replace that error), and
the connection goes back to the pool usable."""

from __future__ import annotations

import asyncpg
import pytest

from annostream_kernel.uow import PgUnitOfWork


async def _insert(pool: asyncpg.Pool, values: str) -> None:
    async with PgUnitOfWork(pool, "unused") as uow:
        await uow.conn.execute(f"INSERT INTO deferred_once VALUES {values}")
        await uow.commit()


async def test_a_failed_commit_raises_its_own_error_and_leaves_the_pool_usable(
    schema_pool: tuple[str, asyncpg.Pool],
) -> None:
    _, pool = schema_pool
    await pool.execute(
        "CREATE TABLE deferred_once (id int, CONSTRAINT one_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    with pytest.raises(asyncpg.UniqueViolationError):  # checked at COMMIT, after the block's statements ran
        await _insert(pool, "(1), (1)")
    assert await pool.fetchval("SELECT count(*) FROM deferred_once") == 0
    await _insert(pool, "(2)")  # every connection of the pool still works
    assert await pool.fetchval("SELECT count(*) FROM deferred_once") == 1
