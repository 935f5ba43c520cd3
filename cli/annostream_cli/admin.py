"""`annostream admin ...`: operator commands run against the database of a deployment."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

from annostream_kernel.db import create_pool


def database_url_or_none(database_url: str | None) -> str | None:
    """`--database-url`, else $ANNOSTREAM_DATABASE_URL; None (after saying so) when neither is set."""
    dsn = database_url or os.environ.get("ANNOSTREAM_DATABASE_URL", "")
    if not dsn:
        print("annostream admin: set ANNOSTREAM_DATABASE_URL or pass --database-url")
    return dsn or None


def run_on_database(database_url: str | None, run: Callable[[str], Coroutine[Any, Any, int]]) -> int:
    """Run an admin command's coroutine on the deployment's database; exit status 2 when none is given."""
    dsn = database_url_or_none(database_url)
    return asyncio.run(run(dsn)) if dsn else 2


async def _rebuild(dsn: str, schema: str) -> int:
    from annostream_annotation.service_layer.rebuild import FRESH_TABLE, rebuild_projections

    pool = await create_pool(dsn, schema, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            report = await rebuild_projections(conn)
    finally:
        await pool.close()
    print(
        f"replayed {report.events:,} events into {report.frames:,} frame projections "
        f"({schema}.{FRESH_TABLE}) in {report.seconds:.2f}s = {report.events_per_second:,.0f} events/s"
    )
    print(f"live projection:    {report.live_frames:,} frames, checksum {report.live_checksum}")
    print(f"rebuilt projection: {report.frames:,} frames, checksum {report.rebuilt_checksum}")
    print("EQUAL" if report.equal else "DIFFERENT: the live projection does not match its events")
    return 0 if report.equal else 1


def rebuild_projections(database_url: str | None, schema: str) -> int:
    """Replay the annotation events into a fresh table and compare it with the live projection."""
    return run_on_database(database_url, lambda dsn: _rebuild(dsn, schema))


async def _check_frames(dsn: str, schema: str) -> int:
    from annostream_annotation.service_layer.check_frames import FrameReport, check_frames

    reports: list[FrameReport] = []

    def found(r: FrameReport) -> None:
        reports.append(r)
        print(f"{r.version_id}/{r.frame_id} (frame version {r.version}, {r.state_bytes:,} bytes):", flush=True)
        for problem in r.problems:
            print(f"  - {problem}", flush=True)

    pool = await create_pool(dsn, schema, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            checked = await check_frames(conn, found)
    finally:
        await pool.close()
    print(f"checked {checked:,} frames: {len(reports):,} over the limits")
    if reports:
        print(
            "a frame over the state size limit answers FAILED_PRECONDITION (HTTP 409) when read; its history and"
            " earlier versions stay readable, and deleting ROIs or reverting to an earlier version shrinks it"
        )
    return 1 if reports else 0


def check_frames(database_url: str | None, schema: str) -> int:
    """List stored frames over the product limits (exit status 1 when there are any)."""
    return run_on_database(database_url, lambda dsn: _check_frames(dsn, schema))
