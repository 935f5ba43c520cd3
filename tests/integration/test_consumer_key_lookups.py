"""The consumers' per-batch statements look rows up by primary key, whatever plan PostgreSQL caches for them (issue
18): the statistics load and the iterator's own-state-and-ROIs write never scan a whole read-model table, so a save
costs the same with a million annotated frames as with a hundred."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from annostream_datasets.adapters.stats_batch_sql import LOAD
from annostream_iterator.adapters.index import OWN_STATE_PUT
from annostream_kernel.db import create_pool, migrate

V = "ver_lookup"
ROIS = [f"r{i}" for i in range(50)]


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]"


@asynccontextmanager
async def _schema(postgres_dsn: str, package: str) -> AsyncIterator[asyncpg.Pool]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    pool = await create_pool(postgres_dsn, schema, min_size=1, max_size=1)
    try:
        await migrate(pool, schema, [package])
        yield pool
    finally:
        await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()


async def _plans(conn: asyncpg.Connection, sql: str, execute: str) -> dict[str, str]:
    """EXPLAIN of the prepared `sql` run as `execute`, as a generic and as a custom plan."""
    await conn.execute(f"PREPARE lookup AS {sql}")
    out = {}
    for mode in ("force_generic_plan", "force_custom_plan"):
        await conn.execute(f"SET plan_cache_mode = {mode}")
        out[mode] = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {execute}"))
    await conn.execute("DEALLOCATE lookup; RESET plan_cache_mode")
    return out


@pytest.mark.parametrize("analyzed", [False, True])
async def test_the_statistics_load_reads_frames_and_rois_by_key(postgres_dsn: str, analyzed: bool) -> None:
    async with _schema(postgres_dsn, "annostream_datasets.migrations") as pool, pool.acquire() as conn:
        await conn.execute("INSERT INTO datasets (dataset_id, name, team) VALUES ('d', 'd', 'team')")
        await conn.execute(
            "INSERT INTO versions (version_id, dataset_id, name, status, team) VALUES ($1, 'd', $1, 'draft', 'team')", V
        )
        await conn.execute(
            "INSERT INTO stat_frames (version_id, frame_id, roi_count) SELECT $1, 'f' || g, 50"
            " FROM generate_series(1, 400) g",
            V,
        )
        await conn.execute(
            "INSERT INTO stat_rois (version_id, frame_id, roi_id) SELECT $1, 'f' || g, 'r' || h"
            " FROM generate_series(1, 400) g, generate_series(0, 49) h",
            V,
        )
        if analyzed:
            await conn.execute("ANALYZE stat_frames; ANALYZE stat_rois")
        frame = _array(["f7"])
        args = f"{_array([V])}, {_array([V])}, {frame}, {_array([V] * 50)}, {_array(['f7'] * 50)}, {_array(ROIS)}"
        for mode, plan in (await _plans(conn, LOAD, f"EXECUTE lookup({args})")).items():
            assert "Seq Scan on stat_rois" not in plan, (mode, plan)
            assert "Seq Scan on stat_frames" not in plan, (mode, plan)
        rows = await conn.fetch(LOAD, [V], [V], ["f7"], [V] * 50, ["f7"] * 50, ROIS)
        assert len(rows) == 1 + 1 + 50  # the version, the frame, its ROIs


@pytest.mark.parametrize("analyzed", [False, True])
async def test_the_iterator_gives_a_frame_its_own_state_by_key(postgres_dsn: str, analyzed: bool) -> None:
    async with _schema(postgres_dsn, "annostream_iterator.migrations") as pool, pool.acquire() as conn:
        await conn.execute("INSERT INTO versions VALUES ('root', 'd', NULL), ($1, 'd', 'root')", V)
        await conn.execute(
            "INSERT INTO marks (version_id, frame_id) SELECT v, 'f' || g FROM generate_series(1, 2000) g,"
            " unnest(ARRAY['root', $1]) v",
            V,
        )
        if analyzed:
            await conn.execute("ANALYZE marks; ANALYZE versions")
        rois = f"{_array([V] * 50)}, {_array(['new'] * 50)}, {_array(ROIS)}"
        labels = "ARRAY[" + ",".join(["'[]'"] * 50) + "]::jsonb[], ARRAY[" + ",".join(["NULL"] * 50) + "]::float8[]"
        execute = f"EXECUTE lookup('{V}', 'new', {rois}, {labels}, NULL, NULL, NULL)"
        async with conn.transaction():
            for mode, plan in (await _plans(conn, OWN_STATE_PUT, execute)).items():
                assert "Seq Scan on marks" not in plan, (mode, plan)
