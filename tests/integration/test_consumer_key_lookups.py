"""The consumers' per-batch statements look rows up by primary key, whatever plan PostgreSQL caches for them (issue
18): the statistics load and the iterator's own-state-and-ROIs write never scan a whole read-model table, so a save
costs the same with a million annotated frames as with a hundred; and row sets passed as one JSON argument arrive
unchanged."""

from __future__ import annotations

import json
import math
from contextlib import AbstractAsyncContextManager

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionProxy

from annostream_datasets.adapters.stats_batch_sql import LOAD
from annostream_iterator.adapters.index import OWN_STATE_PUT, IndexStore

from .schema_helpers import fresh_schema

V = "ver_lookup"
ROIS = [f"r{i}" for i in range(50)]


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]"


def _schema(postgres_dsn: str, package: str) -> AbstractAsyncContextManager[asyncpg.Pool]:
    """A pool on a new schema migrated with the package's migrations (dropped afterwards)."""
    return fresh_schema(postgres_dsn, "t", package)


async def _plans(conn: asyncpg.Connection | PoolConnectionProxy, sql: str, execute: str) -> dict[str, str]:
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
        keys = json.dumps([{"v": V, "f": "f7", "r": r} for r in ROIS])
        args = f"{_array([V])}, {_array([V])}, {frame}, '{keys}'"
        for mode, plan in (await _plans(conn, LOAD, f"EXECUTE lookup({args})")).items():
            assert "Seq Scan on stat_rois" not in plan, (mode, plan)
            assert "Seq Scan on stat_frames" not in plan, (mode, plan)
        rows = await conn.fetch(LOAD, [V], [V], ["f7"], keys)
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
        rois = json.dumps([{"v": V, "f": "new", "r": r, "l": [], "c": None} for r in ROIS])
        execute = f"EXECUTE lookup('{V}', 'new', '{rois}', NULL, NULL, NULL)"
        async with conn.transaction():
            for mode, plan in (await _plans(conn, OWN_STATE_PUT, execute)).items():
                assert "Seq Scan on marks" not in plan, (mode, plan)


async def test_roi_rows_reach_the_index_unchanged_through_one_json_argument(postgres_dsn: str) -> None:
    """Labels and ids with quotes, backslashes and non-ASCII text, empty labels, absent, exact and non-finite
    confidences: written by `put_rois` (one JSON argument) and read back as they were given."""
    rows = [
        (V, "f1", 'r"1\\', ["car", 'a "quoted" label', "véhicule ✓"], 0.1 + 0.2),
        (V, "f1", "r2", [], None),
        (V, "f2", "r3", ["x"], float("nan")),
        (V, "f2", "r4", ["y"], float("inf")),
        (V, "f2", "r5", ["z", "{a,b}", "NULL"], 1.0),
    ]
    async with _schema(postgres_dsn, "annostream_iterator.migrations") as pool, pool.acquire() as conn:
        await IndexStore(conn).put_rois(rows)
        got = await conn.fetch("SELECT version_id, frame_id, roi_id, labels, confidence FROM rois ORDER BY roi_id")
    back = {r["roi_id"]: (r["version_id"], r["frame_id"], r["roi_id"], r["labels"], r["confidence"]) for r in got}
    for v, f, r, labels, c in rows:
        gv, gf, gr, glabels, gc = back[r]
        assert (gv, gf, gr, glabels) == (v, f, r, labels)
        assert gc == c or (c is not None and math.isnan(c) and math.isnan(gc))
