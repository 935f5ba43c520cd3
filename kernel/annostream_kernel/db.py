"""asyncpg pool per service schema, and versioned SQL migrations applied at start."""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from .config import validate_schema_name
from .logs import get_logger

log = get_logger(__name__)

KERNEL_MIGRATIONS = "annostream_kernel.migrations"


async def _no_server_reset(_conn: asyncpg.Connection) -> None:
    """Skip asyncpg's per-release `RESET ALL; UNLISTEN *; pg_advisory_unlock_all()` round trip.

    Code that leaves session state on a pooled connection cleans it before releasing it: the relay and
    consumer leadership connections unlock and unlisten in `finally` (or are terminated), and nothing else
    sets session state. That saves one round trip on every acquire/release of the hot paths.
    """


async def create_pool(dsn: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections use `schema` first on the search_path."""
    validate_schema_name(schema)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        reset=_no_server_reset,
        server_settings={"search_path": f"{schema},public", "application_name": application_name(schema)},
    )
    assert pool is not None
    return pool


def application_name(schema: str) -> str:
    """`annostream-<schema>-<pid>`: which process a session (and the leadership lock it holds) belongs to."""
    return f"annostream-{schema}-{os.getpid()}"


def _lock_key(text: str) -> int:
    """A stable signed 64-bit advisory-lock key for `text`."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def advisory_key(text: str) -> int:
    """Public form of the advisory-lock key derivation (relay/consumer leadership, migrations)."""
    return _lock_key(text)


def _sql_files(package: str) -> list[Traversable]:
    root = resources.files(package)
    return sorted((f for f in root.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


def _migration_files(packages: list[str]) -> list[tuple[str, Traversable]]:
    return [(f"{p.split('.')[0]}/{f.name}", f) for p in [KERNEL_MIGRATIONS, *packages] for f in _sql_files(p)]


async def pending_migrations(pool: asyncpg.Pool, schema: str, packages: list[str]) -> list[str]:
    """The names of the migration files `migrate` would apply now, in order (nothing is changed)."""
    validate_schema_name(schema)
    async with pool.acquire() as conn:
        table = await conn.fetchval("SELECT to_regclass($1)", f"{schema}.schema_migrations")
        done = {r["name"] for r in await conn.fetch(f"SELECT name FROM {schema}.schema_migrations")} if table else set()
    return [name for name, _ in _migration_files(packages) if name not in done]


async def migrate(pool: asyncpg.Pool, schema: str, packages: list[str]) -> list[str]:
    """Apply the kernel's and then each package's `NNNN_name.sql` files once, in order; returns the new ones.

    `{schema}` in a file is replaced by the service schema. A transaction-scoped advisory lock makes
    two processes starting at once apply each file exactly once.
    """
    validate_schema_name(schema)
    applied_now: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(f"migrate:{schema}"))
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch(f"SELECT name FROM {schema}.schema_migrations")}
        for name, file in _migration_files(packages):
            if name in done:
                continue
            await conn.execute(file.read_text().replace("{schema}", schema))
            await conn.execute(f"INSERT INTO {schema}.schema_migrations(name) VALUES ($1)", name)
            applied_now.append(name)
    if applied_now:
        log.info("migrations_applied", schema=schema, files=applied_now)
    return applied_now


Conn = asyncpg.Connection | PoolConnectionProxy
"""A connection, raw or borrowed from a pool (what repositories and the kernel accept)."""
