"""PostgreSQL adapters of the annotation service: versions, base frames, projections, idempotency."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.uow import PgUnitOfWork


class FrameUnitOfWork(PgUnitOfWork):
    """One pooled connection for one frame operation. No explicit transaction: a frame is read in one statement
    and a change (events, projection, save record, idempotent answer, NOTIFY) written in one conditional
    statement, atomic by itself; BEGIN and COMMIT would add two round trips to every save."""

    def __init__(self, pool: asyncpg.Pool, notify_channel: str) -> None:
        super().__init__(pool, notify_channel, transaction=False)


class AnnotationStore:
    """All annotation-service SQL on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def upsert_version(self, version_id: str, dataset_id: str, parent: str | None, team: str | None) -> None:
        """Record a version, its parent and its owning team (None: the dataset's)."""
        await self.conn.execute(
            "INSERT INTO versions (version_id, dataset_id, parent_version_id, team) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (version_id) DO UPDATE SET team = coalesce(versions.team, EXCLUDED.team)",
            version_id,
            dataset_id,
            parent,
            team,
        )

    async def upsert_dataset(self, dataset_id: str, team: str) -> None:
        """Record a dataset's team."""
        await self.conn.execute(
            "INSERT INTO datasets (dataset_id, team) VALUES ($1, $2) ON CONFLICT (dataset_id) DO NOTHING",
            dataset_id,
            team,
        )

    async def share_dataset(self, dataset_id: str, teams: list[str]) -> None:
        """Replace the teams a dataset is shared with."""
        await self.conn.execute("UPDATE datasets SET shared_with = $2 WHERE dataset_id = $1", dataset_id, teams)

    async def delete_dataset(self, dataset_id: str) -> None:
        """Forget a deleted dataset's team and sharing."""
        await self.conn.execute("DELETE FROM datasets WHERE dataset_id = $1", dataset_id)

    async def publish_version(self, version_id: str) -> None:
        """Mark a version read-only (a deleted one stays deleted)."""
        await self.conn.execute(
            "UPDATE versions SET status = 'published' WHERE version_id = $1 AND status = 'draft'", version_id
        )

    async def delete_versions(self, version_ids: list[str], dataset_id: str = "") -> None:
        """Mark versions deleted (with `dataset_id`, also every version of that dataset); they stay as tombstones."""
        await self.conn.execute(
            "UPDATE versions SET status = 'deleted'"
            " WHERE (version_id = ANY($1::text[]) OR dataset_id = $2) AND status <> 'deleted'",
            version_ids,
            dataset_id,
        )

    async def deleted_among(self, version_ids: list[str]) -> set[str]:
        """Which of the versions are deleted."""
        rows = await self.conn.fetch(
            "SELECT version_id FROM versions WHERE version_id = ANY($1::text[]) AND status = 'deleted'", version_ids
        )
        return {r["version_id"] for r in rows}

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
