"""Read models fed by other services' events: task references and per-version annotation statistics.

Statistics are stored as *deltas per version*: a child version starts with nothing of its own and
its figures are the sum over its lineage (itself plus ancestors), so creating a child copies nothing
and stays correct even when the parent's last events are consumed after the child was created.
A child frame's first annotation event is FrameInherited (the state it had in the parent, already
counted by the parent's figures); it only seeds the per-frame rows, without changing any delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annostream_kernel.db import Conn

ROI, FRAME = "roi", "frame"


@dataclass(frozen=True)
class Stats:
    """Summed statistics of a version's lineage."""

    annotated_frames: int
    rois: int
    roi_labels: list[tuple[str, int]]
    frame_labels: list[tuple[str, int]]
    rois_per_frame: list[tuple[int, int]] | None = None  # (ROIs, frames) for frames with ROIs, when asked


class TaskRefs:
    """task_refs: which task references which dataset and versions."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, task_id: str, dataset_id: str, version_ids: Iterable[str]) -> None:
        """Record a task's references (idempotent)."""
        await self.conn.execute(
            "INSERT INTO task_refs (task_id, dataset_id, version_ids) VALUES ($1, $2, $3)"
            " ON CONFLICT (task_id) DO NOTHING",
            task_id,
            dataset_id,
            sorted({v for v in version_ids if v}),
        )

    async def remove(self, task_id: str) -> None:
        """Forget a deleted task."""
        await self.conn.execute("DELETE FROM task_refs WHERE task_id = $1", task_id)

    async def of_dataset(self, dataset_id: str) -> list[str]:
        """Tasks referencing the dataset."""
        rows = await self.conn.fetch(
            "SELECT task_id FROM task_refs WHERE dataset_id = $1 ORDER BY task_id LIMIT 101", dataset_id
        )
        return [r["task_id"] for r in rows]

    async def of_version(self, version_id: str) -> list[str]:
        """Tasks referencing the version (as source or annotated version)."""
        rows = await self.conn.fetch(
            "SELECT task_id FROM task_refs WHERE version_ids @> ARRAY[$1::text] ORDER BY task_id LIMIT 101",
            version_id,
        )
        return [r["task_id"] for r in rows]


class StatsStore:
    """stat_frames / stat_rois / stat_labels and the versions' annotated/roi deltas."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def version_known(self, version_id: str) -> bool:
        """Statistics are kept only for versions that exist here."""
        return bool(await self.conn.fetchval("SELECT 1 FROM versions WHERE version_id = $1", version_id))

    async def frame(self, version_id: str, frame_id: str) -> tuple[int, list[str]] | None:
        """(ROI count, frame labels) of a frame, or None when it has no row yet."""
        r = await self.conn.fetchrow(
            "SELECT roi_count, frame_labels FROM stat_frames WHERE version_id = $1 AND frame_id = $2 FOR UPDATE",
            version_id,
            frame_id,
        )
        return (r["roi_count"], list(r["frame_labels"])) if r else None

    async def put_frame(self, version_id: str, frame_id: str, roi_count: int, labels: Sequence[str]) -> None:
        """Upsert a frame's row."""
        await self.conn.execute(
            "INSERT INTO stat_frames (version_id, frame_id, roi_count, frame_labels) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (version_id, frame_id) DO UPDATE SET roi_count = $3, frame_labels = $4",
            version_id,
            frame_id,
            roi_count,
            list(labels),
        )

    async def roi(self, version_id: str, frame_id: str, roi_id: str) -> list[str] | None:
        """Labels of a known ROI, or None."""
        r = await self.conn.fetchrow(
            "SELECT labels FROM stat_rois WHERE version_id = $1 AND frame_id = $2 AND roi_id = $3",
            version_id,
            frame_id,
            roi_id,
        )
        return list(r["labels"]) if r else None

    async def put_roi(self, version_id: str, frame_id: str, roi_id: str, labels: Sequence[str]) -> None:
        """Upsert a ROI's labels."""
        await self.conn.execute(
            "INSERT INTO stat_rois (version_id, frame_id, roi_id, labels) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (version_id, frame_id, roi_id) DO UPDATE SET labels = $4",
            version_id,
            frame_id,
            roi_id,
            list(labels),
        )

    async def drop_roi(self, version_id: str, frame_id: str, roi_id: str) -> None:
        """Forget a deleted ROI."""
        await self.conn.execute(
            "DELETE FROM stat_rois WHERE version_id = $1 AND frame_id = $2 AND roi_id = $3",
            version_id,
            frame_id,
            roi_id,
        )

    async def bump(self, version_id: str, annotated: int, rois: int) -> None:
        """Add to the version's annotated-frame and ROI deltas."""
        if annotated or rois:
            await self.conn.execute(
                "UPDATE versions SET annotated_delta = annotated_delta + $2, roi_delta = roi_delta + $3"
                " WHERE version_id = $1",
                version_id,
                annotated,
                rois,
            )

    async def bump_labels(self, version_id: str, kind: str, deltas: dict[str, int]) -> None:
        """Add to per-label deltas."""
        items = [(label, d) for label, d in deltas.items() if d]
        if not items:
            return
        await self.conn.execute(
            "INSERT INTO stat_labels (version_id, kind, label, delta)"
            " SELECT $1, $2, l, d FROM unnest($3::text[], $4::bigint[]) AS x(l, d)"
            " ON CONFLICT (version_id, kind, label) DO UPDATE SET delta = stat_labels.delta + EXCLUDED.delta",
            version_id,
            kind,
            [label for label, _ in items],
            [d for _, d in items],
        )

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
