"""Replay every event into a fresh projection table and prove it equals the live projection (checksum)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from annostream_kernel.db import Conn

from ..adapters.messages import decode
from ..domain.model import FrameAggregate
from ..wire import projection_json

FRESH_TABLE = "frame_projections_rebuilt"
# Documents compared as jsonb text: the projection keeps each document's text as written (json), so key order and
# spacing may differ between a live document and its replay while the documents are equal.
CHECKSUM = (
    "SELECT count(*) AS frames, coalesce(md5(string_agg(version_id || '/' || frame_id || '/' || stream_version"
    " || '/' || doc::jsonb::text, ',' ORDER BY version_id, frame_id)), '') AS checksum FROM {table}"
    " WHERE stream_version > 0"
)


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did and whether it matches the live projection."""

    events: int
    frames: int
    seconds: float
    live_checksum: str
    rebuilt_checksum: str
    live_frames: int

    @property
    def equal(self) -> bool:
        """The rebuilt projection equals the live one."""
        return self.live_checksum == self.rebuilt_checksum and self.frames == self.live_frames

    @property
    def events_per_second(self) -> float:
        """Replay throughput."""
        return self.events / self.seconds if self.seconds else 0.0


async def rebuild_projections(conn: Conn, *, batch: int = 20_000) -> RebuildReport:
    """Replay all events (per stream, in version order) into FRESH_TABLE and compare checksums."""
    start = time.perf_counter()
    await conn.execute(f"DROP TABLE IF EXISTS {FRESH_TABLE}")
    await conn.execute(f"CREATE TABLE {FRESH_TABLE} (LIKE frame_projections INCLUDING ALL)")
    rows_out: list[tuple[str, str, int, str]] = []
    events = frames = 0
    current_stream, agg = "", FrameAggregate(None, 0, {})

    async def flush_stream() -> None:
        nonlocal frames
        if current_stream:
            _, version_id, frame_id = current_stream.split(":", 2)
            rows_out.append((version_id, frame_id, agg.version, projection_json(agg.doc)))  # as saves write it
            frames += 1

    async with conn.transaction():
        cursor = conn.cursor(
            "SELECT stream_id, type, schema_version, payload FROM events WHERE stream_id LIKE 'frame:%'"
            " ORDER BY stream_id, stream_version",
            prefetch=batch,
        )
        async for r in cursor:
            if r["stream_id"] != current_stream:
                await flush_stream()
                current_stream, agg = r["stream_id"], FrameAggregate(None, 0, {})
            agg.apply(decode(r["type"], r["schema_version"], r["payload"]))
            events += 1
            if len(rows_out) >= batch:
                await _copy(conn, rows_out)
        await flush_stream()
        await _copy(conn, rows_out)
    seconds = time.perf_counter() - start
    live = await conn.fetchrow(CHECKSUM.format(table="frame_projections"))
    rebuilt = await conn.fetchrow(CHECKSUM.format(table=FRESH_TABLE))
    assert live is not None and rebuilt is not None
    return RebuildReport(events, frames, seconds, live["checksum"], rebuilt["checksum"], live["frames"])


async def _copy(conn: Conn, rows: list[tuple[str, str, int, str]]) -> None:
    if rows:
        await conn.executemany(
            f"INSERT INTO {FRESH_TABLE} (version_id, frame_id, stream_version, doc) VALUES ($1, $2, $3, $4::json)",
            rows,
        )
        rows.clear()
