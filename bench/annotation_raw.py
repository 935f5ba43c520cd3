"""Raw baselines of the annotation bench: bare asyncpg doing a save's I/O, without the service."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

BATCH = 10


async def raw_closed(pool: asyncpg.Pool, writers: int, seconds: float, payload: bytes) -> int:
    """Bare asyncpg: the same 10-event batch appended in one transaction (same table shape and indexes)."""
    end, count = time.perf_counter() + seconds, 0

    async def loop(w: int) -> None:
        nonlocal count
        version = 0
        stream = f"raw:{w}:{uuid.uuid4().hex[:6]}"
        while time.perf_counter() < end:
            async with pool.acquire() as conn, conn.transaction():
                await conn.executemany(
                    "INSERT INTO bench_raw.events (event_id, stream_id, stream_version, type, payload, subject)"
                    " VALUES ($1, $2, $3, 'annostream.events.v1.RoiMoved', $4, 'x')",
                    [(uuid.uuid4(), stream, version + i + 1, payload) for i in range(BATCH)],
                )
            version += BATCH
            count += 1

    await asyncio.gather(*(loop(w) for w in range(writers)))
    return count


SAME_IO_TABLES = ("versions", "base_frames", "frame_projections", "events", "saves", "idempotency_keys")


async def same_io_setup(raw: asyncpg.Pool, version_id: str, sample_frame: str) -> tuple[str, list[asyncpg.Record]]:
    """Copies of the save path's tables in bench_raw (same shape and indexes, the version's base frames), and
    a real save to replay: the sample frame's projection document and its last 11 events."""
    for table in SAME_IO_TABLES:
        await raw.execute(f"CREATE TABLE IF NOT EXISTS bench_raw.{table} (LIKE annotation.{table} INCLUDING ALL)")
    await raw.execute(
        "INSERT INTO bench_raw.versions SELECT * FROM annotation.versions WHERE version_id = $1", version_id
    )
    await raw.execute(
        "INSERT INTO bench_raw.base_frames SELECT * FROM annotation.base_frames WHERE version_id = $1", version_id
    )
    doc = await raw.fetchval(
        "SELECT doc::text FROM annotation.frame_projections WHERE version_id = $1 AND frame_id = $2",
        version_id,
        sample_frame,
    )
    events = await raw.fetch(
        "SELECT type, schema_version, payload, subject FROM annotation.events WHERE stream_id LIKE $1"
        " ORDER BY position DESC LIMIT 11",
        f"%{version_id}:{sample_frame}",
    )
    return str(doc), list(reversed(events))


async def raw_same_io(
    raw: asyncpg.Pool, version_id: str, frames: list[str], sample: tuple[str, list[asyncpg.Record]], seconds: float
) -> int:
    """Bare asyncpg doing a save's I/O: the frame's read statement, then the one conditional write statement
    (11 events, projection document, save record, NOTIFY) with the sample save's payloads, on the copies."""
    from annostream_annotation.adapters.frame_sql import READ_FRAME, WRITE_FRAME

    doc, events = sample
    end, count = time.perf_counter() + seconds, 0
    cols = [[e[k] for e in events] for k in ("type", "schema_version", "payload", "subject")]

    async def loop(frame_id: str) -> None:
        nonlocal count
        version, stream = 0, f"frame:{version_id}:{frame_id}"
        while time.perf_counter() < end:
            async with raw.acquire() as conn:
                await conn.fetchrow(READ_FRAME, version_id, frame_id, "")
                new = version + 10
                versions = [*range(version + 1, new + 1), new]
                n = len(events)
                written = await conn.fetchval(
                    WRITE_FRAME,
                    version_id,
                    frame_id,
                    new,
                    doc,
                    version,
                    [uuid.uuid4() for _ in range(n)],
                    [stream] * (n - 1) + [f"saves:{stream}"],
                    versions[:n],
                    *cols[:2],
                    cols[2],
                    cols[3],
                    ["bench"] * n,
                    [""] * n,
                    [""] * n,
                    f"save_{uuid.uuid4().hex}",
                    stream,
                    "bench",
                    "save",
                    version,
                    None,
                    "",
                    b"",
                    "bench_raw_events",
                )
                assert written == 1
            version = new
            count += 1

    await asyncio.gather(*(loop(f) for f in frames))
    return count
