"""PostgreSQL adapters of the annotation service: versions, base frames, projections, idempotency."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from annostream_kernel.db import Conn

LINEAGE = """
WITH RECURSIVE lineage(version_id, depth) AS (
    SELECT $1::text, 0
    UNION ALL
    SELECT v.parent_version_id, l.depth + 1
    FROM versions v JOIN lineage l ON v.version_id = l.version_id
    WHERE v.parent_version_id IS NOT NULL AND l.depth < 1000
)
"""


class AnnotationStore:
    """All annotation-service SQL on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def upsert_version(self, version_id: str, dataset_id: str, parent: str | None) -> None:
        """Record a version and its parent."""
        await self.conn.execute(
            "INSERT INTO versions (version_id, dataset_id, parent_version_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (version_id) DO NOTHING",
            version_id,
            dataset_id,
            parent,
        )

    async def publish_version(self, version_id: str) -> None:
        """Mark a version read-only."""
        await self.conn.execute("UPDATE versions SET status = 'published' WHERE version_id = $1", version_id)

    async def version(self, version_id: str) -> asyncpg.Record | None:
        """A version's dataset id and status."""
        return await self.conn.fetchrow("SELECT * FROM versions WHERE version_id = $1", version_id)

    async def add_base_frames(self, version_id: str, docs: list[dict[str, Any]]) -> None:
        """Store imported frames' base data (first import wins)."""
        await self.conn.execute(
            "INSERT INTO base_frames (version_id, frame_id, doc)"
            " SELECT $1, d->>'frame_id', d FROM unnest($2::jsonb[]) AS d ON CONFLICT DO NOTHING",
            version_id,
            [json.dumps(d) for d in docs],
        )

    async def base_frame(self, version_id: str, frame_id: str) -> dict[str, Any] | None:
        """Base data of a frame as seen from a version (its own, or the nearest ancestor's)."""
        doc = await self.conn.fetchval(
            LINEAGE + "SELECT b.doc FROM base_frames b JOIN lineage l ON b.version_id = l.version_id"
            " WHERE b.frame_id = $2 ORDER BY l.depth LIMIT 1",
            version_id,
            frame_id,
        )
        return json.loads(doc) if doc else None

    async def projection(
        self, version_id: str, frame_id: str, *, for_update: bool = False
    ) -> tuple[int, dict[str, Any]] | None:
        """The frame's own projection (stream version, doc)."""
        row = await self.conn.fetchrow(
            "SELECT stream_version, doc FROM frame_projections WHERE version_id = $1 AND frame_id = $2"
            + (" FOR UPDATE" if for_update else ""),
            version_id,
            frame_id,
        )
        return (row["stream_version"], json.loads(row["doc"])) if row else None

    async def inherited_doc(self, version_id: str, frame_id: str) -> dict[str, Any] | None:
        """Annotation state of the frame in the nearest ancestor version that has one (copy-on-write)."""
        doc = await self.conn.fetchval(
            LINEAGE + "SELECT p.doc FROM frame_projections p JOIN lineage l ON p.version_id = l.version_id"
            " WHERE p.frame_id = $2 AND l.depth > 0 ORDER BY l.depth LIMIT 1",
            version_id,
            frame_id,
        )
        return json.loads(doc) if doc else None

    async def create_projection(self, version_id: str, frame_id: str, doc: dict[str, Any]) -> None:
        """Start a frame's projection at stream version 0 (no-op when another writer did first)."""
        await self.conn.execute(
            "INSERT INTO frame_projections (version_id, frame_id, doc) VALUES ($1, $2, $3::jsonb)"
            " ON CONFLICT DO NOTHING",
            version_id,
            frame_id,
            json.dumps(doc),
        )

    async def save_projection(self, version_id: str, frame_id: str, version: int, doc: dict[str, Any]) -> None:
        """Write the new state and stream version."""
        await self.conn.execute(
            "UPDATE frame_projections SET stream_version = $3, doc = $4::jsonb, updated_at = now()"
            " WHERE version_id = $1 AND frame_id = $2",
            version_id,
            frame_id,
            version,
            json.dumps(doc),
        )

    async def stream_events(self, stream_id: str, after: int = 0, up_to: int | None = None) -> list[asyncpg.Record]:
        """Events of one stream with after < version <= up_to, in order."""
        return await self.conn.fetch(
            "SELECT stream_version, event_id, type, schema_version, payload, actor, occurred_at, task_id"
            " FROM events WHERE stream_id = $1 AND stream_version > $2 AND stream_version <= $3"
            " ORDER BY stream_version",
            stream_id,
            after,
            up_to if up_to is not None else 2**62,
        )

    async def version_at(self, stream_id: str, at: datetime) -> int:
        """The stream version current at time `at` (0 before the first event)."""
        v = await self.conn.fetchval(
            "SELECT max(stream_version) FROM events WHERE stream_id = $1 AND occurred_at <= $2", stream_id, at
        )
        return int(v or 0)

    async def record_save(
        self, save_id: str, stream_id: str, actor: str, kind: str, span: tuple[int, int], ref: str | None = None
    ) -> None:
        """Remember a save's version span (for undo / redo)."""
        await self.conn.execute(
            "INSERT INTO saves (save_id, stream_id, actor, kind, from_version, to_version, ref_save_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            save_id,
            stream_id,
            actor,
            kind,
            span[0],
            span[1],
            ref,
        )

    async def last_save(self, stream_id: str, actor: str) -> asyncpg.Record | None:
        """The actor's most recent save/undo/redo on the stream."""
        return await self.conn.fetchrow(
            "SELECT * FROM saves WHERE stream_id = $1 AND actor = $2 AND kind IN ('save', 'undo', 'redo')"
            " ORDER BY to_version DESC LIMIT 1",
            stream_id,
            actor,
        )

    async def last_undoable(self, stream_id: str, actor: str) -> asyncpg.Record | None:
        """The actor's most recent save or redo that is not undone."""
        return await self.conn.fetchrow(
            "SELECT * FROM saves WHERE stream_id = $1 AND actor = $2 AND kind IN ('save', 'redo') AND NOT reversed"
            " ORDER BY to_version DESC LIMIT 1",
            stream_id,
            actor,
        )

    async def mark_reversed(self, save_id: str) -> None:
        """Flag a save as undone (or an undo as redone)."""
        await self.conn.execute("UPDATE saves SET reversed = true WHERE save_id = $1", save_id)

    async def idempotent_response(self, key: str) -> bytes | None:
        """The stored first response for an idempotency key."""
        value = await self.conn.fetchval("SELECT response FROM idempotency_keys WHERE key = $1", key)
        return bytes(value) if value is not None else None

    async def remember(self, key: str, stream_id: str, response: bytes) -> None:
        """Store a response under its idempotency key."""
        await self.conn.execute(
            "INSERT INTO idempotency_keys (key, stream_id, response) VALUES ($1, $2, $3)",
            key,
            stream_id,
            response,
        )
