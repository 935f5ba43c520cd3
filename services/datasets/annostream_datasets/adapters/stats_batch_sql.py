"""Set-based reads and writes of the statistics read model: a batch of annotation events (one save of 50 objects
is ~50 events) is loaded with two statements and written with at most five, whatever its size."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence

from annostream_kernel.db import Conn

from ..domain.statistics import FrameKey, RoiKey


def _columns(keys: Collection[tuple[str, ...]], n: int) -> list[list[str]]:
    """The first `n` parts of the keys as `n` arrays (one unnest() argument each)."""
    return [[k[i] for k in keys] for i in range(n)]


async def known_versions(conn: Conn, version_ids: Iterable[str]) -> set[str]:
    """Which of the versions exist here (statistics are kept only for those)."""
    rows = await conn.fetch("SELECT version_id FROM versions WHERE version_id = ANY($1::text[])", list(version_ids))
    return {r["version_id"] for r in rows}


async def load_frames(conn: Conn, keys: Sequence[FrameKey]) -> dict[FrameKey, tuple[int, list[str]]]:
    """(ROI count, frame labels) of the frames that have a row, locked for this transaction."""
    rows = await conn.fetch(
        "SELECT f.version_id, f.frame_id, f.roi_count, f.frame_labels FROM stat_frames f"
        " JOIN unnest($1::text[], $2::text[]) AS k(v, f) ON f.version_id = k.v AND f.frame_id = k.f"
        " ORDER BY f.version_id, f.frame_id FOR UPDATE OF f",
        *_columns(keys, 2),
    )
    return {(r["version_id"], r["frame_id"]): (r["roi_count"], list(r["frame_labels"])) for r in rows}


async def load_rois(conn: Conn, keys: Sequence[RoiKey]) -> dict[RoiKey, list[str]]:
    """Labels of the known ROIs among `keys`."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT r.version_id, r.frame_id, r.roi_id, r.labels FROM stat_rois r"
        " JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(v, f, r)"
        " ON r.version_id = k.v AND r.frame_id = k.f AND r.roi_id = k.r",
        *_columns(keys, 3),
    )
    return {(r["version_id"], r["frame_id"], r["roi_id"]): list(r["labels"]) for r in rows}


async def write_rois(conn: Conn, rois: dict[RoiKey, list[str] | None]) -> None:
    """Upsert ROIs with labels, delete the ones set to None (two statements at most)."""
    put = [(k, v) for k, v in rois.items() if v is not None]
    gone = [k for k, v in rois.items() if v is None]
    if gone:
        await conn.execute(
            "DELETE FROM stat_rois r USING unnest($1::text[], $2::text[], $3::text[]) AS k(v, f, r)"
            " WHERE r.version_id = k.v AND r.frame_id = k.f AND r.roi_id = k.r",
            *_columns(gone, 3),
        )
    if put:
        await conn.execute(
            "INSERT INTO stat_rois (version_id, frame_id, roi_id, labels)"
            " SELECT v, f, r, ARRAY(SELECT jsonb_array_elements_text(l))"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS x(v, f, r, l)"
            " ON CONFLICT (version_id, frame_id, roi_id) DO UPDATE SET labels = EXCLUDED.labels",
            [k[0] for k, _ in put],
            [k[1] for k, _ in put],
            [k[2] for k, _ in put],
            [json.dumps(v) for _, v in put],
        )


async def write_frames(conn: Conn, frames: dict[FrameKey, tuple[int, list[str]]]) -> None:
    """Upsert frames' rows (ROI count, frame labels) in one statement."""
    if not frames:
        return
    await conn.execute(
        "INSERT INTO stat_frames (version_id, frame_id, roi_count, frame_labels)"
        " SELECT v, f, n, ARRAY(SELECT jsonb_array_elements_text(l))"
        " FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[]) AS x(v, f, n, l)"
        " ON CONFLICT (version_id, frame_id) DO UPDATE SET roi_count = EXCLUDED.roi_count,"
        " frame_labels = EXCLUDED.frame_labels",
        *_columns(frames, 2),
        [n for n, _ in frames.values()],
        [json.dumps(labels) for _, labels in frames.values()],
    )


async def bump_versions(conn: Conn, deltas: dict[str, tuple[int, int]]) -> None:
    """Add to versions' annotated-frame and ROI deltas in one statement."""
    items = [(v, a, r) for v, (a, r) in deltas.items() if a or r]
    if not items:
        return
    await conn.execute(
        "UPDATE versions SET annotated_delta = annotated_delta + x.a, roi_delta = roi_delta + x.r"
        " FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(v, a, r) WHERE versions.version_id = x.v",
        [i[0] for i in items],
        [i[1] for i in items],
        [i[2] for i in items],
    )


async def bump_labels(conn: Conn, deltas: dict[tuple[str, str, str], int]) -> None:
    """Add to per-label deltas ((version, kind, label) → delta) in one statement."""
    items = [(k, d) for k, d in deltas.items() if d]
    if not items:
        return
    await conn.execute(
        "INSERT INTO stat_labels (version_id, kind, label, delta)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])"
        " ON CONFLICT (version_id, kind, label) DO UPDATE SET delta = stat_labels.delta + EXCLUDED.delta",
        [k[0] for k, _ in items],
        [k[1] for k, _ in items],
        [k[2] for k, _ in items],
        [d for _, d in items],
    )


class StatsBatch:
    """The statistics read model's set-based reads and writes over a consumer's connection."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def known_versions(self, version_ids: Iterable[str]) -> set[str]:
        """Which of the versions exist here."""
        return await known_versions(self.conn, version_ids)

    async def load_frames(self, keys: Sequence[FrameKey]) -> dict[FrameKey, tuple[int, list[str]]]:
        """The frames' ROI counts and labels (one statement)."""
        return await load_frames(self.conn, keys)

    async def load_rois(self, keys: Sequence[RoiKey]) -> dict[RoiKey, list[str]]:
        """The ROIs' labels (one statement)."""
        return await load_rois(self.conn, keys)

    async def write_rois(self, rois: dict[RoiKey, list[str] | None]) -> None:
        """Store (or delete, for None) the ROIs' labels."""
        await write_rois(self.conn, rois)

    async def write_frames(self, frames: dict[FrameKey, tuple[int, list[str]]]) -> None:
        """Store the frames' ROI counts and labels."""
        await write_frames(self.conn, frames)

    async def bump_versions(self, deltas: dict[str, tuple[int, int]]) -> None:
        """Add the per-version deltas."""
        await bump_versions(self.conn, deltas)

    async def bump_labels(self, deltas: dict[tuple[str, str, str], int]) -> None:
        """Add the per-version label deltas."""
        await bump_labels(self.conn, deltas)
