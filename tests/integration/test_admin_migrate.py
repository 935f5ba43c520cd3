"""`annostream admin migrate`: every service's pending migrations applied ahead of a rollout, once; `--pending`
lists what a start would still apply."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from annostream_cli.main import main
from annostream_cli.migrate import SERVICES


@pytest.fixture
async def fresh_database(postgres_dsn: str) -> AsyncIterator[str]:
    """The DSN of a database of its own (the services' schema names are fixed; other tests share the session's)."""
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        yield postgres_dsn.replace("@/postgres", f"@/{name}", 1)
    finally:
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        await admin.close()


async def _applied(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {s: await conn.fetchval(f"SELECT count(*) FROM {s}.schema_migrations") for s in SERVICES}
    finally:
        await conn.close()


async def test_migrate_applies_what_pending_lists_once_and_then_nothing_is_pending(
    fresh_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def cli(*args: str) -> int:
        return main(["admin", "migrate", *args, "--database-url", fresh_database])

    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, cli, "--pending") == 1  # lists, changes nothing
    out = capsys.readouterr().out
    assert "annostream_annotation/0023_projection_json.sql" in out  # package/file, as schema_migrations records
    assert all(f"{schema}: " in out and f"{schema}: 0 pending" not in out for schema in SERVICES)
    conn = await asyncpg.connect(fresh_database)
    assert await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1)", list(SERVICES)) == 0
    await conn.close()

    assert await loop.run_in_executor(None, cli) == 0
    applied = await _applied(fresh_database)
    assert all(n > 0 for n in applied.values()), applied
    assert await loop.run_in_executor(None, cli) == 0  # a second run (or a starting pod) has nothing to do
    assert await _applied(fresh_database) == applied
    capsys.readouterr()
    assert await loop.run_in_executor(None, cli, "--pending") == 0
    out = capsys.readouterr().out
    assert all(f"{schema}: 0 pending" in out for schema in SERVICES)
