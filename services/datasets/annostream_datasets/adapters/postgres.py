"""PostgreSQL repositories of the datasets service: datasets, versions, frames."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.uow import PgUnitOfWork
from annostream_protos.types.v1 import frames_pb2

from ..domain.events import Event
from ..domain.model import Dataset, Version, VersionStatus
from .messages import frame_from_row, frame_rows, new_events
from .stats_batch_sql import StatsBatch
from .stats_store import StatsStore, TaskRefs


def _dataset(r: asyncpg.Record) -> Dataset:
    return Dataset(r["dataset_id"], r["name"], r["team"], r["created_at"], r["task_count"], tuple(r["shared_with"]))


SHARES = "ARRAY(SELECT s.team FROM dataset_shares s WHERE s.dataset_id = d.dataset_id ORDER BY s.team)"
DATASET_COLUMNS = (
    "d.*, (SELECT count(*) FROM task_refs t WHERE t.dataset_id = d.dataset_id)::int AS task_count,"
    f" {SHARES} AS shared_with FROM datasets d"
)
VERSION_COLUMNS = (
    f"v.*, d.team AS dataset_team, {SHARES} AS shared_with FROM versions v JOIN datasets d USING (dataset_id)"
)
VISIBLE_TO_TEAM = (
    "(d.team = $1 OR EXISTS (SELECT 1 FROM dataset_shares s WHERE s.dataset_id = d.dataset_id AND s.team = $1))"
)


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

    async def get(self, dataset_id: str, *, for_update: bool = False) -> Dataset | None:
        """Load one dataset (optionally locking it)."""
        sql = f"SELECT {DATASET_COLUMNS} WHERE dataset_id = $1" + (" FOR UPDATE OF d" if for_update else "")
        r = await self.conn.fetchrow(sql, dataset_id)
        return _dataset(r) if r else None

    async def rename(self, dataset_id: str, name: str) -> bool:
        """Rename; False when the team already has another dataset of that name."""
        try:
            await self.conn.execute("UPDATE datasets SET name = $2 WHERE dataset_id = $1", dataset_id, name)
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def list_page(self, team: str, limit: int, after: tuple[str, str] | None) -> tuple[list[Dataset], int]:
        """A page of the team's datasets and those shared with it, by (name, id), and their total."""
        rows = await self.conn.fetch(
            f"SELECT {DATASET_COLUMNS} WHERE {VISIBLE_TO_TEAM}"
            " AND ($3::text IS NULL OR (d.name, d.dataset_id) > ($3, $4)) ORDER BY d.name, d.dataset_id LIMIT $2",
            team,
            limit,
            after[0] if after else None,
            after[1] if after else "",
        )
        total = await self.conn.fetchval(f"SELECT count(*) FROM datasets d WHERE {VISIBLE_TO_TEAM}", team)
        return [_dataset(r) for r in rows], int(total)

    async def set_shares(self, dataset_id: str, teams: Sequence[str]) -> None:
        """Make `teams` exactly the teams the dataset is shared with."""
        await self.conn.execute(
            "DELETE FROM dataset_shares WHERE dataset_id = $1 AND NOT team = ANY($2::text[])", dataset_id, list(teams)
        )
        await self.conn.execute(
            "INSERT INTO dataset_shares (dataset_id, team) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
            dataset_id,
            list(teams),
        )

    async def delete(self, dataset_id: str) -> list[str]:
        """Delete the dataset, its versions, frames and statistics; returns the deleted version ids."""
        # Locking the version rows first waits for running imports (they hold a version's row lock).
        ids = [
            r["version_id"]
            for r in await self.conn.fetch(
                "SELECT version_id FROM versions WHERE dataset_id = $1 FOR UPDATE", dataset_id
            )
        ]
        for table in ("frames", "stat_rois", "stat_frames", "stat_labels"):
            await self.conn.execute(f"DELETE FROM {table} WHERE version_id = ANY($1::text[])", ids)
        # Children before parents: drop the lineage links first, then the rows.
        await self.conn.execute("UPDATE versions SET parent_version_id = NULL WHERE dataset_id = $1", dataset_id)
        await self.conn.execute("DELETE FROM versions WHERE dataset_id = $1", dataset_id)
        await self.conn.execute("DELETE FROM dataset_shares WHERE dataset_id = $1", dataset_id)
        await self.conn.execute("DELETE FROM datasets WHERE dataset_id = $1", dataset_id)
        return ids


def _version(r: asyncpg.Record) -> Version:
    return Version(
        version_id=r["version_id"],
        dataset_id=r["dataset_id"],
        name=r["name"],
        parent_version_id=r["parent_version_id"],
        status=VersionStatus(r["status"]),
        frame_count=r["own_frame_count"] + r["inherited_frame_count"],
        created_at=r["created_at"],
        own_frame_count=r["own_frame_count"],
        published_at=r["published_at"],
        team=r["team"],
        dataset_team=r["dataset_team"],
        dataset_shared_with=tuple(r["shared_with"]),
    )


class VersionRepository:
    """Versions table."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, v: Version) -> None:
        """Insert a version; a child's inherited frame count is its parent's total at creation."""
        await self.conn.execute(
            "INSERT INTO versions (version_id, dataset_id, name, parent_version_id, status, inherited_frame_count,"
            " team) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            v.version_id,
            v.dataset_id,
            v.name,
            v.parent_version_id,
            v.status.value,
            v.frame_count,
            v.team,
        )

    async def get(self, version_id: str, *, for_update: bool = False) -> Version | None:
        """Load one version (optionally locking it for the transaction)."""
        sql = f"SELECT {VERSION_COLUMNS} WHERE v.version_id = $1" + (" FOR UPDATE OF v" if for_update else "")
        r = await self.conn.fetchrow(sql, version_id)
        return _version(r) if r else None

    async def many(self, version_ids: list[str]) -> list[Version]:
        """The versions with these ids that exist, in the order asked."""
        rows = await self.conn.fetch(
            f"SELECT {VERSION_COLUMNS} JOIN unnest($1::text[]) WITH ORDINALITY AS x(id, n) ON v.version_id = x.id"
            " ORDER BY x.n",
            version_ids,
        )
        return [_version(r) for r in rows]

    async def of_dataset(self, dataset_id: str) -> list[Version]:
        """Every version of a dataset."""
        rows = await self.conn.fetch(f"SELECT {VERSION_COLUMNS} WHERE v.dataset_id = $1", dataset_id)
        return [_version(r) for r in rows]

    async def ancestors(self, version_id: str) -> list[str]:
        """Ids of the version's ancestors, parent first (empty for a root)."""
        rows = await self.conn.fetch(
            "WITH RECURSIVE up(id, parent, depth) AS ("
            "  SELECT version_id, parent_version_id, 0 FROM versions WHERE version_id = $1"
            "  UNION ALL SELECT v.version_id, v.parent_version_id, up.depth + 1"
            "  FROM versions v JOIN up ON v.version_id = up.parent)"
            " SELECT id FROM up WHERE depth > 0 ORDER BY depth",
            version_id,
        )
        return [r["id"] for r in rows]

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

    async def delete(self, version_id: str) -> None:
        """Delete a (leaf) version with its frames and statistics."""
        for table in ("frames", "stat_rois", "stat_frames", "stat_labels"):
            await self.conn.execute(f"DELETE FROM {table} WHERE version_id = $1", version_id)
        await self.conn.execute("DELETE FROM versions WHERE version_id = $1", version_id)


FrameRow = tuple[str, str, str, int, bytes]
"""(version_id, frame_id, context_id, timestamp, the serialized Frame message without its initial annotations)."""


class FrameRepository:
    """Frames stored in a version (not those inherited from ancestors)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def existing_in(self, version_ids: Sequence[str], frame_ids: Sequence[str]) -> set[str]:
        """Which of `frame_ids` some of `version_ids` already holds."""
        if not version_ids:
            return set()
        rows = await self.conn.fetch(
            "SELECT frame_id FROM frames WHERE version_id = ANY($1::text[]) AND frame_id = ANY($2::text[])",
            list(version_ids),
            list(frame_ids),
        )
        return {r["frame_id"] for r in rows}

    async def insert(self, rows: Sequence[FrameRow]) -> None:
        """COPY frames straight into their version: the caller holds the version's row lock (imports into one
        version are serialised) and passes only ids the version does not hold, so no conflict check is needed
        (a duplicate would still fail the batch on the primary key, writing nothing)."""
        await self.conn.copy_records_to_table(
            "frames",
            columns=["version_id", "frame_id", "context_id", "ts", "frame"],
            records=rows,
        )

    async def add(self, version_id: str, frames: Sequence[frames_pb2.Frame]) -> list[bytes]:
        """Store validated new frames of a version; returns each frame as serialized whole (what events carry)."""
        rows, whole = frame_rows(version_id, frames)
        await self.insert(rows)
        return whole

    async def page_of(self, version_ids: Sequence[str], after: str, limit: int) -> list[frames_pb2.Frame]:
        """Like `page`, as Frame messages."""
        return [frame_from_row(r) for r in await self.page(version_ids, after, limit)]

    async def page(self, version_ids: Sequence[str], after: str, limit: int) -> list[asyncpg.Record]:
        """The first `limit` frames by id after `after`, over several versions (one index scan each)."""
        rows: list[asyncpg.Record] = []
        for vid in version_ids:
            rows.extend(
                await self.conn.fetch(
                    "SELECT frame_id, context_id, ts, frame, sources::text AS sources, metadata::text AS metadata"
                    " FROM frames WHERE version_id = $1 AND frame_id > $2 ORDER BY frame_id LIMIT $3",
                    vid,
                    after,
                    limit,
                )
            )
        rows.sort(key=lambda r: r["frame_id"])
        return rows[:limit]


class DatasetsUnitOfWork(PgUnitOfWork):
    """One transaction with the datasets repositories; domain events are mapped by adapters/messages.py."""

    def emit(self, *events: Event) -> None:
        """Queue domain events to append at commit."""
        for e in events:
            self.collect(*new_events(e))

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

    @property
    def refs(self) -> TaskRefs:
        """Which tasks reference which datasets and versions (from task events)."""
        return TaskRefs(self.conn)

    @property
    def stats(self) -> StatsStore:
        """Per-version annotation statistics (from annotation events)."""
        return StatsStore(self.conn)


class ConsumerRepositories:
    """The consumers' read models over a consumer's connection (its transaction is the consumer's)."""

    def __init__(self, conn: Conn) -> None:
        self.refs, self.stats = TaskRefs(conn), StatsBatch(conn)
