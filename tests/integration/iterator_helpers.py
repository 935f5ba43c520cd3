"""A private iterator schema on the session's PostgreSQL, and helpers to index frames and build plans."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest

from annostream_iterator import wire
from annostream_iterator.adapters.index import IndexedFrame, IndexStore
from annostream_iterator.adapters.plans import PlanStore
from annostream_iterator.domain.model import FrameOrder, TaskPlan
from annostream_kernel.db import create_pool, migrate
from annostream_protos.types.v1 import filters_pb2 as fl


@pytest.fixture
async def iterator_pool(postgres_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh schema holding the iterator's tables; dropped afterwards."""
    schema = f"it_{uuid.uuid4().hex[:12]}"
    pool = await create_pool(postgres_dsn, schema, min_size=1, max_size=60)
    await migrate(pool, schema, ["annostream_iterator.migrations"])
    try:
        yield pool
    finally:
        with contextlib.suppress(Exception):
            await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()


def frame(
    fid: str, *, ctx: str = "c", ts: int = 0, meta: dict[str, Any] | None = None, sources: Any = None
) -> IndexedFrame:
    """An indexed frame (one 640x480 source `front` unless given)."""
    src = sources or [{"id": "front", "uri": f"s3://b/{fid}.jpg", "width": 640, "height": 480}]
    return IndexedFrame(fid, ctx, ts, meta or {}, src)


async def index(
    pool: asyncpg.Pool,
    version: str,
    frames: Sequence[IndexedFrame],
    rois: dict[str, list[Any]],
    parent: str | None = None,
) -> None:
    """Index a version with frames and (frame → [(labels, confidence)]) ROIs, through the import path's
    set-based writes."""
    async with pool.acquire() as conn, conn.transaction():
        store = IndexStore(conn)
        await store.upsert_version(version, "ds", parent)
        await copy_indexed(conn, version, frames)
        rows = [
            (version, fid, f"{fid}-r{i}", list(labels), conf)
            for fid, specs in rois.items()
            for i, (labels, conf) in enumerate(specs)
        ]
        if rows:
            await store.put_rois(rows)


async def copy_indexed(conn: asyncpg.Connection, version: str, frames: Sequence[IndexedFrame]) -> None:
    """Index frames of a version (the rows the import path COPYs)."""
    rows = [
        (version, f.frame_id, f.context_id, f.timestamp, json.dumps(f.metadata), json.dumps(f.sources)) for f in frames
    ]
    await IndexStore(conn).copy_frames(rows)


def rule(expr: str, *, exclude: bool = False, **ranges: float) -> fl.RoiRule:
    """A ROI rule message."""
    kind = fl.ROI_RULE_KIND_EXCLUDE if exclude else fl.ROI_RULE_KIND_INCLUDE
    return fl.RoiRule(kind=kind, label_expression=expr, **ranges)  # type: ignore[arg-type]


def custom(*filters: fl.FrameFilter) -> fl.FrameSelection:
    """A custom selection of ORed filters."""
    return fl.FrameSelection(mode=fl.FILTER_MODE_CUSTOM, filters=list(filters))


async def build_plan(
    pool: asyncpg.Pool,
    version: str,
    selection: fl.FrameSelection,
    *,
    order: FrameOrder = FrameOrder.SEQUENTIAL,
    seed: int = 0,
    limit: int = 0,
    clip: int = 0,
) -> list[tuple[int, int, str]]:
    """Materialise a task's plan; returns its rows (seq, unit, frame_id) in order."""
    task = f"task_{uuid.uuid4().hex[:8]}"
    plan = TaskPlan(task, version, order, seed, limit, clip)
    async with pool.acquire() as conn, conn.transaction():
        lineage = await IndexStore(conn).lineage(version)
        assert lineage is not None
        store = PlanStore(conn)
        await store.add_task(plan, selection.SerializeToString())
        await store.materialise(plan, wire.selection(selection), lineage, None)
        rows = await conn.fetch("SELECT seq, unit, frame_id FROM plan WHERE task_id = $1 ORDER BY seq", task)
    return [(r["seq"], r["unit"], r["frame_id"]) for r in rows]
