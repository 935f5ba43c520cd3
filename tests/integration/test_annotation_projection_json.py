"""Migration 0023: frame projections stored as jsonb before it read back the same after it (stored as json)."""

from __future__ import annotations

import orjson

from annostream_kernel.db import migrate

from .schema_helpers import fresh_schema

MIGRATION = "annostream_annotation/0023_projection_json.sql"
OLD_DOCS = [
    {"rois": [], "frame_labels": [], "metadata": {}},
    {
        "rois": [
            {
                "roi_id": "r1",
                "type": "polygon",
                "points": [[0.5, 1.0], [2.25, 3.0], [4.0, 0.125]],
                "labels": ["car", "électrique ✓"],
                "confidence": 0.875,
                "source_id": "",
                "metadata": {"big": 2**53 + 1, "neg": -(2**63), "nested": {"a": [1, "x", None, True]}, "f": 1e-7},
                "locked": False,
            }
        ],
        "frame_labels": ["night"],
        "metadata": {"weather": "rain", "zz": 1, "a": 2},
    },
]


async def test_jsonb_projections_read_back_equal_after_the_migration(postgres_dsn: str) -> None:
    async with fresh_schema(postgres_dsn, "annproj", "annostream_annotation.migrations") as pool:
        schema = await pool.fetchval("SELECT current_schema()")
        # The table as releases before 0023 had it, holding their documents.
        await pool.execute("ALTER TABLE frame_projections ALTER COLUMN doc TYPE jsonb USING doc::jsonb")
        await pool.execute("DELETE FROM schema_migrations WHERE name = $1", MIGRATION)
        for i, doc in enumerate(OLD_DOCS):
            await pool.execute(
                "INSERT INTO frame_projections (version_id, frame_id, stream_version, doc)"
                " VALUES ('v', $1, 3, $2::jsonb)",
                f"f{i}",
                orjson.dumps(doc).decode(),
            )

        assert await migrate(pool, schema, ["annostream_annotation.migrations"]) == [MIGRATION]

        kind = await pool.fetchval(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_schema = $1 AND table_name = 'frame_projections' AND column_name = 'doc'",
            schema,
        )
        assert kind == "json"
        rows = await pool.fetch("SELECT frame_id, stream_version, doc FROM frame_projections ORDER BY frame_id")
        assert [orjson.loads(r["doc"]) for r in rows] == OLD_DOCS
        assert [r["stream_version"] for r in rows] == [3, 3]
        # New documents keep their text as written.
        text = orjson.dumps(OLD_DOCS[1]).decode()
        await pool.execute("UPDATE frame_projections SET doc = $1::json WHERE frame_id = 'f0'", text)
        assert await pool.fetchval("SELECT doc FROM frame_projections WHERE frame_id = 'f0'") == text
