"""The iterator's frame index: versions (lineage), frames (metadata, sources) and annotation state (ROIs)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _q
from typing import Any

import orjson

from annostream_kernel.batch_write import NO_POSITION, BatchWrite, position_update
from annostream_kernel.db import Conn
from annostream_kernel.protobuf import json_value
from annostream_protos.types.v1 import frames_pb2

# A frame's own annotation state in a version ($1, $2), when it has none yet: its marks row with the metadata of the
# nearest ancestor version that has one, and that ancestor's ROIs of the frame (copy on write); one round trip. The
# lineage and the ancestors' marks are looked up by primary key (LATERAL … LIMIT 1, never flattened into a join: as
# a join the plan scanned the whole marks table for the frame id on every newly annotated frame).
_OWN_MARKS = """
WITH RECURSIVE l(version_id, parent, depth) AS (
    SELECT version_id, parent_version_id, 0 FROM versions WHERE version_id = $1::text
       AND NOT EXISTS (SELECT 1 FROM marks WHERE version_id = $1::text AND frame_id = $2::text)
    UNION ALL
    SELECT v.version_id, v.parent_version_id, l.depth + 1 FROM l CROSS JOIN LATERAL (
        SELECT version_id, parent_version_id FROM versions WHERE version_id = l.parent LIMIT 1) v
     WHERE l.depth < 1000),
src AS (
    SELECT m.version_id, m.metadata FROM l CROSS JOIN LATERAL (
        SELECT version_id, metadata FROM marks WHERE version_id = l.version_id AND frame_id = $2::text LIMIT 1) m
     WHERE l.depth > 0 ORDER BY l.depth LIMIT 1),
own AS (
    INSERT INTO marks (version_id, frame_id, metadata)
    SELECT $1::text, $2::text, (SELECT metadata FROM src)
     WHERE NOT EXISTS (SELECT 1 FROM marks WHERE version_id = $1::text AND frame_id = $2::text)
    ON CONFLICT DO NOTHING RETURNING 1)"""
# The ancestor's ROIs of the frame copied into it, when `own` gave it its own state; `also`: a further condition.
_COPY_ROIS = """
INSERT INTO rois (version_id, frame_id, roi_id, labels, confidence)
SELECT $1::text, r.frame_id, r.roi_id, r.labels, r.confidence FROM rois r
 WHERE r.version_id = (SELECT version_id FROM src) AND r.frame_id = $2::text AND EXISTS (SELECT 1 FROM own){also}
ON CONFLICT DO NOTHING"""


# ROI rows travel as one JSON array of objects (`_roi_json`) read with json_to_recordset: as five arrays, asyncpg's
# encoder tested every element against collections.abc (≈ 0.5 µs each: ≈ 0.12 ms per 50-ROI save), and each row's
# labels were a JSON document of their own.
_ROI_RECORDS = "json_to_recordset({}::json) AS x(v text, f text, r text, l text[], c float8)"


def _upsert_rois(first: int) -> str:
    """Create or replace ROIs given as one JSON argument `$first` (`_roi_json`)."""
    return (
        "INSERT INTO rois (version_id, frame_id, roi_id, labels, confidence)"
        f" SELECT v, f, r, coalesce(l, '{{}}'), c FROM {_ROI_RECORDS.format(f'${first}')}"
        " ON CONFLICT (version_id, frame_id, roi_id) DO UPDATE SET labels = EXCLUDED.labels,"
        " confidence = EXCLUDED.confidence"
    )


OWN_STATE = _OWN_MARKS + _COPY_ROIS.format(also="")
# OWN_STATE for the frame ($1, $2) and the upsert of a run of ROIs ($3, as `put_rois`) in one round trip, with
# the effect of the two statements one after the other: the ancestor's ROIs that the run writes are not copied
# (the run's upsert replaces them anyway), so the parts write disjoint rows; the copy reads the ancestor's rows as
# they were before the run (as OWN_STATE before it did). With the consumer's position ($4-$6, a NULL consumer:
# none) when it is the batch's only write (kernel `batch_write.py`).
OWN_STATE_PUT = (
    _OWN_MARKS
    + ",\ncopied AS ("
    + _COPY_ROIS.format(
        also=f"\n   AND NOT EXISTS (SELECT 1 FROM {_ROI_RECORDS.format('$3')}"
        " WHERE x.v = $1::text AND x.f = $2::text AND x.r = r.roi_id)"
    )
    + "),\npos AS ("
    + position_update(4)
    + ")\n"
    + _upsert_rois(3)
)
UPSERT_ROIS = _upsert_rois(1)


@dataclass(frozen=True)
class IndexedFrame:
    """One frame as the index keeps it."""

    frame_id: str
    context_id: str
    timestamp: int
    metadata: dict[str, Any]
    sources: list[dict[str, Any]]


@dataclass(frozen=True)
class IndexedRoi:
    """One ROI as the filters see it."""

    roi_id: str
    labels: Sequence[str]
    confidence: float | None


FrameRow = tuple[str, str, str, int, str, str]
"""(version_id, frame_id, context_id, timestamp, metadata JSON, sources JSON): one row of `frames`."""
RoiRow = tuple[str, str, str, list[str], float | None]
"""(version_id, frame_id, roi_id, labels, confidence): one row of `rois`."""


def _source_json(s: frames_pb2.Source) -> str:
    return (
        f'{{"id":{_q(s.id)},"uri":{_q(s.uri)},"width":{s.width},"height":{s.height},'
        f'"timestamp":{s.timestamp},"preview_uri":{_q(s.preview_uri)}}}'
    )


def frame_row(version_id: str, f: frames_pb2.Frame) -> FrameRow:
    """An imported Frame message → its index row, JSON written directly (what `IndexedFrame` holds, without
    building dicts per frame: the import path indexes every frame)."""
    sources = f.sources
    if len(sources) == 1:
        src = f"[{_source_json(sources[0])}]"
    else:
        src = "[" + ",".join(_source_json(s) for s in sources) + "]"
    # JSON text checked by the datasets service (integers exact), or the Struct of frames imported before.
    meta = f.metadata_json or (json.dumps(json_value(f.metadata)) if f.HasField("metadata") else "{}")
    return (version_id, f.frame_id, f.context_id, f.timestamp, meta, src)


def _roi_fields(r: frames_pb2.Roi) -> tuple[str, list[str], float | None]:
    return r.roi_id, list(r.labels), r.confidence if r.HasField("confidence") else None


def _confidence(c: float | None) -> float | str | None:
    """A confidence as JSON keeps it: a non-finite one as the text float8 reads back (JSON has no NaN)."""
    return c if c is None or math.isfinite(c) else repr(c)


def _roi_json(rows: Sequence[RoiRow]) -> str:
    """ROI rows as the one JSON argument of an upsert (`_ROI_RECORDS`)."""
    return orjson.dumps(
        [{"v": v, "f": f, "r": r, "l": list(labels), "c": _confidence(c)} for v, f, r, labels, c in rows]
    ).decode()


def roi_rows(version_id: str, f: frames_pb2.Frame) -> list[RoiRow]:
    """An imported frame's ROIs as index rows."""
    return [(version_id, f.frame_id, *_roi_fields(r)) for r in f.rois]


def indexed_roi(r: frames_pb2.Roi) -> IndexedRoi:
    """Roi message → what the filters see."""
    return IndexedRoi(r.roi_id, list(r.labels), r.confidence if r.HasField("confidence") else None)


class IndexStore:
    """Index SQL on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def upsert_version(self, version_id: str, dataset_id: str, parent: str | None) -> None:
        """Record a version and its parent."""
        await self.conn.execute(
            "INSERT INTO versions VALUES ($1, $2, $3) ON CONFLICT (version_id) DO NOTHING",
            version_id,
            dataset_id,
            parent,
        )

    async def lineage(self, version_id: str) -> list[str] | None:
        """[version, parent, grandparent, ...]; None when the version is not yet known."""
        rows = await self.conn.fetch(
            "WITH RECURSIVE l(version_id, parent, depth) AS ("
            " SELECT version_id, parent_version_id, 0 FROM versions WHERE version_id = $1"
            " UNION ALL SELECT v.version_id, v.parent_version_id, l.depth + 1 FROM versions v"
            " JOIN l ON v.version_id = l.parent WHERE l.depth < 1000)"
            " SELECT version_id FROM l ORDER BY depth",
            version_id,
        )
        return [r["version_id"] for r in rows] or None

    async def existing_frames(self, version_id: str, frame_ids: Sequence[str]) -> set[str]:
        """Which of `frame_ids` the version's index already holds."""
        rows = await self.conn.fetch(
            "SELECT frame_id FROM frames WHERE version_id = $1 AND frame_id = ANY($2::text[])", version_id, frame_ids
        )
        return {r["frame_id"] for r in rows}

    async def copy_frames(self, rows: Sequence[FrameRow]) -> None:
        """COPY rows the index does not hold yet (the caller checked, under the consumer's position lock)."""
        await self.conn.copy_records_to_table(
            "frames", columns=["version_id", "frame_id", "context_id", "ts", "metadata", "sources"], records=rows
        )

    async def copy_imported(self, frames: Sequence[tuple[str, frames_pb2.Frame]]) -> None:
        """COPY imported (version, frame) messages the index does not hold yet (one statement)."""
        await self.copy_frames([frame_row(version_id, f) for version_id, f in frames])

    async def put_roi_messages(
        self,
        rois: Sequence[tuple[str, str, frames_pb2.Roi]],
        *,
        owned: bool = False,
        own: tuple[str, str] | None = None,
        position: BatchWrite | None = None,
    ) -> None:
        """(version, frame, Roi message)s set-based, as `put_rois`; with `own`, that frame is first given its own
        state (as `own_state`) in the same statement, and the other frames must own theirs; with `position` (and
        `own`), the statement also stores the consumer's position (the batch's only write)."""
        rows = [(v, f, *_roi_fields(r)) for v, f, r in rois]
        if own is None:
            assert position is None, "the position rides on a write that gives the frame its own state"
            await self.put_rois(rows, owned=owned)
            return
        where = position.position_args() if position is not None else NO_POSITION
        await self.conn.execute(OWN_STATE_PUT, *own, _roi_json(rows), *where)

    async def put_roi_message(self, version_id: str, frame_id: str, roi: frames_pb2.Roi) -> None:
        """Create or replace one ROI from its message, as `put_roi`."""
        await self.put_roi(version_id, frame_id, indexed_roi(roi))

    async def put_rois(self, rows: Sequence[RoiRow], *, owned: bool = False) -> None:
        """ROIs set-based: each frame gets its own state (marks; unless the caller gave it already, `owned`) and
        each ROI is created or replaced; rows must name distinct ROIs."""
        if not owned:
            await self.conn.execute(
                "INSERT INTO marks (version_id, frame_id) SELECT DISTINCT * FROM unnest($1::text[], $2::text[])"
                " ON CONFLICT DO NOTHING",
                [r[0] for r in rows],
                [r[1] for r in rows],
            )
        await self.conn.execute(UPSERT_ROIS, _roi_json(rows))

    async def own_state(self, version_id: str, frame_id: str) -> None:
        """Give the frame its own annotation state in `version_id`, copied from the nearest ancestor's (one
        statement; nothing when the frame owns its state already)."""
        await self.conn.execute(OWN_STATE, version_id, frame_id)

    async def put_roi(self, version_id: str, frame_id: str, roi: IndexedRoi) -> None:
        """Create or replace a ROI (the frame must own its state)."""
        await self.conn.execute(
            "INSERT INTO rois (version_id, frame_id, roi_id, labels, confidence) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (version_id, frame_id, roi_id) DO UPDATE SET labels = EXCLUDED.labels,"
            " confidence = EXCLUDED.confidence",
            version_id,
            frame_id,
            roi.roi_id,
            list(roi.labels),
            roi.confidence,
        )

    async def change_label(self, version_id: str, frame_id: str, roi_id: str, label: str, *, add: bool) -> None:
        """Add or remove one label of a ROI."""
        expr = "array_append(array_remove(labels, $4), $4)" if add else "array_remove(labels, $4)"
        await self.conn.execute(
            f"UPDATE rois SET labels = {expr} WHERE version_id = $1 AND frame_id = $2 AND roi_id = $3",
            version_id,
            frame_id,
            roi_id,
            label,
        )

    async def delete_roi(self, version_id: str, frame_id: str, roi_id: str) -> None:
        """Remove a ROI."""
        await self.conn.execute(
            "DELETE FROM rois WHERE version_id = $1 AND frame_id = $2 AND roi_id = $3", version_id, frame_id, roi_id
        )

    async def set_metadata(self, version_id: str, frame_id: str, metadata: dict[str, Any]) -> None:
        """Replace the frame's metadata in this version (emptied, the imported metadata shows again, as the
        annotation service's effective metadata does)."""
        await self.conn.execute(
            "UPDATE marks SET metadata = NULLIF($3::jsonb, '{}'::jsonb) WHERE version_id = $1 AND frame_id = $2",
            version_id,
            frame_id,
            json.dumps(metadata),
        )

    async def tasks_seeing(self, version_id: str) -> list[str]:
        """Active tasks whose version is `version_id` or one of its descendants."""
        rows = await self.conn.fetch(
            "WITH RECURSIVE d(version_id, depth) AS (SELECT $1::text, 0 UNION ALL"
            " SELECT v.version_id, d.depth + 1 FROM versions v JOIN d ON v.parent_version_id = d.version_id"
            " WHERE d.depth < 1000)"
            " SELECT t.task_id FROM tasks t JOIN d ON t.version_id = d.version_id WHERE t.status = 'active'",
            version_id,
        )
        return [r["task_id"] for r in rows]
