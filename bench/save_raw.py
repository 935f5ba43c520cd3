"""Raw baseline of the save bench: bare asyncpg writing a save's event rows and its projection row in one round
trip (one statement), on copies of the annotation tables, with the payloads of a real save."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

WRITE = """
WITH u AS (
    INSERT INTO bench_raw.frame_projections AS p (version_id, frame_id, stream_version, doc)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (version_id, frame_id) DO UPDATE SET stream_version = EXCLUDED.stream_version, doc = EXCLUDED.doc
    RETURNING 1
)
INSERT INTO bench_raw.events (event_id, stream_id, stream_version, type, schema_version, payload, subject)
SELECT * FROM unnest($5::uuid[], $6::text[], $7::bigint[], $8::text[], $9::int[], $10::bytea[], $11::text[])
"""

Sample = tuple[str, list[asyncpg.Record]]


async def setup(raw: asyncpg.Pool, version_id: str, frame_id: str) -> Sample:
    """Copies of the events and projection tables (same shape and indexes) and the sample save to replay: the
    frame's projection document and all of its events (its first save)."""
    await raw.execute("CREATE SCHEMA IF NOT EXISTS bench_raw")
    for table in ("events", "frame_projections"):
        await raw.execute(f"CREATE TABLE IF NOT EXISTS bench_raw.{table} (LIKE annotation.{table} INCLUDING ALL)")
    doc = await raw.fetchval(
        "SELECT doc::text FROM annotation.frame_projections WHERE version_id = $1 AND frame_id = $2",
        version_id,
        frame_id,
    )
    events = await raw.fetch(
        "SELECT type, schema_version, payload, subject FROM annotation.events WHERE stream_id LIKE $1"
        " ORDER BY position",
        f"%{version_id}:{frame_id}",
    )
    return str(doc), list(events)


async def drop(raw: asyncpg.Pool) -> None:
    """Remove the copies."""
    await raw.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")


async def saves(raw: asyncpg.Pool, sample: Sample, clients: int, per_client: int) -> tuple[list[float], float]:
    """Write `per_client` saves on fresh frames from each of `clients` concurrent connections; returns the
    latencies and the wall time."""
    doc, events = sample
    n = len(events)
    cols = [[e[k] for e in events] for k in ("type", "schema_version", "payload", "subject")]
    lat: list[float] = []

    async def client(c: int) -> None:
        async with raw.acquire() as conn:
            for i in range(per_client):
                frame = f"raw-{c}-{i}-{uuid.uuid4().hex[:6]}"
                stream = f"frame:v:{frame}"
                args = ([uuid.uuid4() for _ in range(n)], [stream] * n, list(range(1, n + 1)), *cols)
                start = time.perf_counter()
                await conn.execute(WRITE, "v", frame, n, doc, *args)
                lat.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    return lat, time.perf_counter() - start
