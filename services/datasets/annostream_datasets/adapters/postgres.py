"""PostgreSQL repositories of the datasets service."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.uow import PgUnitOfWork

from ..domain.commands import FrameData
from ..domain.model import Dataset, Version, VersionStatus


class DatasetRepository:
    """Datasets table."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, ds: Dataset) -> bool:
        """Insert; False when the team already has a dataset of that name."""
        row = await self.conn.fetchrow(
            "INSERT INTO datasets (dataset_id, name, team) VALUES ($1, $2, $3)"
            " ON CONFLICT (team, name) DO NOTHING RETURNING dataset_id",
            ds.dataset_id,
            ds.name,
            ds.team,
        )
        return row is not None

    async def get(self, dataset_id: str) -> Dataset | None:
        """Load one dataset."""
        r = await self.conn.fetchrow("SELECT * FROM datasets WHERE dataset_id = $1", dataset_id)
        return Dataset(r["dataset_id"], r["name"], r["team"], r["created_at"]) if r else None


def _version(r: asyncpg.Record) -> Version:
    return Version(
        version_id=r["version_id"],
        dataset_id=r["dataset_id"],
        name=r["name"],
        parent_version_id=r["parent_version_id"],
        status=VersionStatus(r["status"]),
        frame_count=r["own_frame_count"] + r["inherited_frame_count"],
        created_at=r["created_at"],
    )


class VersionRepository:
    """Versions table."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, v: Version) -> None:
        """Insert a version; a child's inherited frame count is its parent's total at creation."""
        await self.conn.execute(
            "INSERT INTO versions (version_id, dataset_id, name, parent_version_id, status, inherited_frame_count)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            v.version_id,
            v.dataset_id,
            v.name,
            v.parent_version_id,
            v.status.value,
            v.frame_count,
        )

    async def get(self, version_id: str, *, for_update: bool = False) -> Version | None:
        """Load one version (optionally locking it for the transaction)."""
        sql = "SELECT * FROM versions WHERE version_id = $1" + (" FOR UPDATE" if for_update else "")
        r = await self.conn.fetchrow(sql, version_id)
        return _version(r) if r else None

    async def publish(self, version_id: str) -> None:
        """Mark Published."""
        await self.conn.execute(
            "UPDATE versions SET status = 'published', published_at = now() WHERE version_id = $1", version_id
        )

    async def add_own_frames(self, version_id: str, n: int) -> None:
        """Count newly imported frames."""
        await self.conn.execute(
            "UPDATE versions SET own_frame_count = own_frame_count + $2 WHERE version_id = $1", version_id, n
        )


class FrameRepository:
    """Frames stored in a version (not those inherited from ancestors)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def insert_new(self, version_id: str, frames: Sequence[FrameData]) -> set[str]:
        """Insert frames whose id the version does not have yet; returns the ids inserted."""
        rows = await self.conn.fetch(
            "INSERT INTO frames (version_id, frame_id, context_id, ts, sources, metadata)"
            " SELECT $1, f.frame_id, f.context_id, f.ts, f.sources::jsonb, f.metadata::jsonb"
            " FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])"
            "   AS f(frame_id, context_id, ts, sources, metadata)"
            " ON CONFLICT (version_id, frame_id) DO NOTHING RETURNING frame_id",
            version_id,
            [f.frame_id for f in frames],
            [f.context_id for f in frames],
            [f.timestamp for f in frames],
            [json.dumps([s.__dict__ for s in f.sources]) for f in frames],
            [json.dumps(f.metadata) for f in frames],
        )
        return {r["frame_id"] for r in rows}


class DatasetsUnitOfWork(PgUnitOfWork):
    """One transaction with the datasets repositories."""

    @property
    def datasets(self) -> DatasetRepository:
        """Datasets in this transaction."""
        return DatasetRepository(self.conn)

    @property
    def versions(self) -> VersionRepository:
        """Versions in this transaction."""
        return VersionRepository(self.conn)

    @property
    def frames(self) -> FrameRepository:
        """Frames in this transaction."""
        return FrameRepository(self.conn)
