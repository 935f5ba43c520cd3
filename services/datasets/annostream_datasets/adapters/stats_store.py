"""Read models fed by other services' events: task references and per-version annotation statistics.

Statistics are stored as *deltas per version*: a child version starts with nothing of its own and
its figures are the sum over its lineage (itself plus ancestors), so creating a child copies nothing
and stays correct even when the parent's last events are consumed after the child was created.
A child frame's first annotation event is FrameInherited (the state it had in the parent, already
counted by the parent's figures); it only seeds the per-frame rows, without changing any delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from annostream_kernel.db import Conn

from ..domain.model import TaskReferences
from ..domain.statistics import FRAME, ROI, Stats


class TaskRefs:
    """task_refs: which task references which dataset and versions."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, task_id: str, team: str, dataset_id: str, version_ids: Iterable[str]) -> None:
        """Record a task's references and its team (idempotent)."""
        await self.conn.execute(
            "INSERT INTO task_refs (task_id, team, dataset_id, version_ids) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (task_id) DO NOTHING",
            task_id,
            team or None,
            dataset_id,
            sorted({v for v in version_ids if v}),
        )

    async def remove(self, task_id: str) -> None:
        """Forget a deleted task."""
        await self.conn.execute("DELETE FROM task_refs WHERE task_id = $1", task_id)

    async def of_dataset(self, dataset_id: str, team: str) -> TaskReferences:
        """Tasks referencing the dataset, as `team` may see them."""
        return await self._counted("dataset_id = $1", dataset_id, team)

    async def of_version(self, version_id: str, team: str) -> TaskReferences:
        """Tasks referencing the version (as source or annotated version), as `team` may see them."""
        return await self._counted("version_ids @> ARRAY[$1::text]", version_id, team)

    async def _counted(self, where: str, key: str, team: str) -> TaskReferences:
        # A task whose team is not recorded (NULL, from before the column) counts as another team's.
        row = await self.conn.fetchrow(
            "SELECT count(*) FILTER (WHERE team = $2) AS own, count(*) FILTER (WHERE team IS DISTINCT FROM $2)"
            " AS others, (array_agg(task_id ORDER BY task_id) FILTER (WHERE team = $2))[1:100] AS own_ids"
            f" FROM task_refs WHERE {where}",
            key,
            team,
        )
        assert row is not None
        return TaskReferences(tuple(row["own_ids"] or ()), row["own"], row["others"])


class StatsStore:
    """Reads of stat_frames / stat_labels and the versions' annotated/roi deltas (written by stats_batch_sql)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def summed(self, lineage: Sequence[str]) -> Stats:
        """The lineage's figures (the version first, then its ancestors)."""
        row = await self.conn.fetchrow(
            "SELECT coalesce(sum(annotated_delta), 0) AS a, coalesce(sum(roi_delta), 0) AS r"
            " FROM versions WHERE version_id = ANY($1::text[])",
            list(lineage),
        )
        assert row is not None
        labels = await self.conn.fetch(
            "SELECT kind, label, sum(delta) AS n FROM stat_labels WHERE version_id = ANY($1::text[])"
            " GROUP BY kind, label HAVING sum(delta) > 0 ORDER BY n DESC, label",
            list(lineage),
        )
        return Stats(
            annotated_frames=int(row["a"]),
            rois=int(row["r"]),
            roi_labels=[(r["label"], int(r["n"])) for r in labels if r["kind"] == ROI],
            frame_labels=[(r["label"], int(r["n"])) for r in labels if r["kind"] == FRAME],
        )

    async def rois_per_frame(self, lineage: Sequence[str]) -> list[tuple[int, int]]:
        """(ROIs, frames) of the lineage's frames with ROIs: each frame counted by its nearest version's row."""
        rows = await self.conn.fetch(
            "SELECT roi_count, count(*) AS n FROM ("
            " SELECT DISTINCT ON (f.frame_id) f.roi_count FROM stat_frames f"
            " JOIN unnest($1::text[]) WITH ORDINALITY AS l(version_id, depth) ON f.version_id = l.version_id"
            " ORDER BY f.frame_id, l.depth) AS nearest"
            " WHERE roi_count > 0 GROUP BY roi_count ORDER BY roi_count",
            list(lineage),
        )
        return [(int(r["roi_count"]), int(r["n"])) for r in rows]
