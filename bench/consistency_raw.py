"""Raw baselines of bench_consistency: bare asyncpg doing the same I/O as the measured calls, on ordinary (logged)
tables of the same shape in the schema RAW."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

RAW = "bench_raw_consistency"
CALLS = 20


async def raw_publish(conn: asyncpg.Connection) -> list[float]:
    """The publish's I/O with bare asyncpg: lock + update one version row and append its event (datasets), then
    the seal's advisory lock + upsert (annotation), as two transactions."""
    await conn.execute(f"CREATE TABLE {RAW}.raw_versions (LIKE datasets.versions INCLUDING ALL)")
    await conn.execute(f"CREATE TABLE {RAW}.raw_events (LIKE datasets.events INCLUDING ALL)")
    await conn.execute(f"CREATE TABLE {RAW}.raw_annotation_versions (LIKE annotation.versions INCLUDING ALL)")
    out = []
    for i in range(CALLS):
        vid = f"raw-{i}"
        await conn.execute(
            "INSERT INTO raw_versions (version_id, dataset_id, name, status) VALUES ($1, 'd', 'v', 'draft')", vid
        )
        start = time.perf_counter()
        async with conn.transaction():
            await conn.fetchrow("SELECT * FROM raw_versions WHERE version_id = $1 FOR UPDATE", vid)
            await conn.execute(
                "UPDATE raw_versions SET status = 'published', published_at = now() WHERE version_id = $1", vid
            )
            await conn.execute(
                "INSERT INTO raw_events (event_id, stream_id, stream_version, type, payload, subject)"
                " VALUES ($1, $2, 1, 'VersionPublished', '\\x00', 's')",
                uuid.uuid4(),
                vid,
            )
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", vid)
            await conn.execute(
                "INSERT INTO raw_annotation_versions (version_id, dataset_id, status) VALUES ($1, 'd', 'published')"
                " ON CONFLICT (version_id) DO UPDATE SET status = 'published'",
                vid,
            )
        out.append(time.perf_counter() - start)
    return out


async def raw_task_write(conn: asyncpg.Connection, kind: str) -> list[float]:
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {RAW}.raw_tasks (LIKE tasks.tasks INCLUDING ALL)")
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {RAW}.raw_task_events (LIKE tasks.events INCLUDING ALL)")
    out = []
    for i in range(CALLS):
        tid = f"raw-{kind}-{i}"
        if kind == "UPDATE":
            await conn.execute(
                "INSERT INTO raw_tasks (task_id, name, owner, team, dataset_id, source_version_id,"
                " annotated_version_id, iteration) VALUES ($1, 'n', 'o', 't', 'd', 'v', 'v', '{}')",
                tid,
            )
        start = time.perf_counter()
        async with conn.transaction():
            if kind == "UPDATE":
                await conn.fetchrow("SELECT * FROM raw_tasks WHERE task_id = $1 FOR UPDATE", tid)
                await conn.execute("UPDATE raw_tasks SET status = 'completed' WHERE task_id = $1", tid)
            else:
                await conn.execute(
                    "INSERT INTO raw_tasks (task_id, name, owner, team, dataset_id, source_version_id,"
                    " annotated_version_id, iteration) VALUES ($1, 'n', 'o', 't', 'd', 'v', 'v', '{}')",
                    tid,
                )
            await conn.execute(
                "INSERT INTO raw_task_events (event_id, stream_id, stream_version, type, payload, subject)"
                " VALUES ($1, $2, 1, 'TaskEvent', '\\x00', 's')",
                uuid.uuid4(),
                tid,
            )
        out.append(time.perf_counter() - start)
    return out


async def calls_per_s(pool: asyncpg.Pool, sql: str, arg: str, seconds: float, connections: int) -> float:
    """Closed-loop calls per second of one statement over `connections` connections for `seconds`."""
    done = 0
    end = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done
        async with pool.acquire() as c:
            while time.perf_counter() < end:
                await c.fetchval(sql, arg)
                done += 1

    await asyncio.gather(*(loop() for _ in range(connections)))
    return done / seconds
