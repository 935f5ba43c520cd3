"""A service's tables in a private schema of the session's PostgreSQL, and a snapshot of its read model."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping

import asyncpg

from annostream_kernel.db import create_pool, migrate


@contextlib.asynccontextmanager
async def fresh_schema(dsn: str, prefix: str, migrations: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a new schema migrated with `migrations` (a package); the schema is dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    pool = await create_pool(dsn, schema, min_size=1, max_size=2)
    try:
        await migrate(pool, schema, [migrations])
        yield pool
    finally:
        with contextlib.suppress(Exception):
            await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()


async def read_model(pool: asyncpg.Pool, queries: Mapping[str, str]) -> dict[str, list[tuple[object, ...]]]:
    """Every query's rows, by name (ordered queries make two read models comparable)."""
    return {name: [tuple(r) for r in await pool.fetch(sql)] for name, sql in queries.items()}
