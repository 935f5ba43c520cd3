"""Set-based reads and writes of the statistics read model: a batch of annotation events (one save of 50 objects
is ~50 events) is loaded with one statement and written with one, whatever its size; the write also stores the
consumer's position when the kernel applies the batch without a transaction (`batch_write.current_batch`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence

import orjson

from annostream_kernel.batch_write import NO_POSITION, current_batch, position_update
from annostream_kernel.db import Conn

from ..domain.statistics import FrameKey, RoiKey

Loaded = tuple[set[str], dict[FrameKey, tuple[int, list[str]]], dict[RoiKey, list[str]]]
"""(known versions, (ROI count, frame labels) per frame with a row, labels per ROI with a row)."""

# Which versions exist here (statistics are kept only for those), the frames' rows and the ROIs' labels: one round
# trip (the rows' `kind` tells them apart). Nothing is locked: only the consumer's leader writes these rows (its
# position's compare-and-set fences a former leader), and a deletion of the version is fenced by the write (`alive`).
# Each key is looked up through its primary key (a LATERAL subquery with LIMIT 1 is not flattened into a join): as a
# join, the prepared statement's plan scanned a whole table per batch (stat_rois as a hash join's input in custom
# plans, stat_frames in the generic one), a cost that grew with every frame annotated. The ROI keys come as one JSON
# argument (`_rows_json`, see WRITE).
LOAD = """
SELECT 'v' AS kind, version_id, NULL::text AS frame_id, NULL::text AS roi_id, NULL::int AS roi_count,
       NULL::text[] AS labels
  FROM versions WHERE version_id = ANY($1::text[])
UNION ALL
SELECT 'f', k.v, k.f, NULL, f.roi_count, f.frame_labels FROM unnest($2::text[], $3::text[]) AS k(v, f)
 CROSS JOIN LATERAL (SELECT roi_count, frame_labels FROM stat_frames
                      WHERE version_id = k.v AND frame_id = k.f LIMIT 1) f
UNION ALL
SELECT 'r', k.v, k.f, k.r, NULL, r.labels FROM json_to_recordset($4::json) AS k(v text, f text, r text)
 CROSS JOIN LATERAL (SELECT labels FROM stat_rois
                      WHERE version_id = k.v AND frame_id = k.f AND roi_id = k.r LIMIT 1) r
"""

# A folded batch's rows and deltas in one statement (each part a no-op for empty arrays): ROIs deleted ($1-$3) and
# upserted ($4: one JSON array of {v, f, r, l} objects, `_rows_json`), frames upserted ($5-$8), versions'
# annotated-frame and ROI deltas ($9-$11), label deltas ($12-$15), the consumer's position ($17-$19: consumer, from,
# to; a NULL consumer stores none). The parts touch disjoint rows (a ROI is either deleted or upserted). The ROIs
# travel as JSON because they are most of a save's rows: as arrays, asyncpg's encoder tested every element against
# collections.abc (≈ 0.5 µs each) and each ROI's labels were a JSON document of their own. Rows are added only for
# the batch's versions ($16) that still exist, key-share locked (in key order): a version deleted meanwhile (its
# deleter locks its row first, then removes its statistics) gets no rows after its deletion, and one being deleted
# waits for this write to commit.
WRITE_TEMPLATE = """
WITH alive AS (
    SELECT version_id FROM versions WHERE version_id = ANY($16::text[]) ORDER BY version_id FOR KEY SHARE),
pos AS ({position}),
gone AS (
    DELETE FROM stat_rois r USING unnest($1::text[], $2::text[], $3::text[]) AS k(v, f, r)
     WHERE r.version_id = k.v AND r.frame_id = k.f AND r.roi_id = k.r),
put AS (
    INSERT INTO stat_rois (version_id, frame_id, roi_id, labels)
    SELECT v, f, r, coalesce(l, '{{}}') FROM json_to_recordset($4::json) AS x(v text, f text, r text, l text[])
     WHERE v IN (SELECT version_id FROM alive)
    ON CONFLICT (version_id, frame_id, roi_id) DO UPDATE SET labels = EXCLUDED.labels),
frames AS (
    INSERT INTO stat_frames (version_id, frame_id, roi_count, frame_labels)
    SELECT v, f, n, ARRAY(SELECT jsonb_array_elements_text(l))
      FROM unnest($5::text[], $6::text[], $7::int[], $8::jsonb[]) AS x(v, f, n, l)
     WHERE v IN (SELECT version_id FROM alive)
    ON CONFLICT (version_id, frame_id) DO UPDATE SET roi_count = EXCLUDED.roi_count,
       frame_labels = EXCLUDED.frame_labels),
bumped AS (
    UPDATE versions SET annotated_delta = annotated_delta + x.a, roi_delta = roi_delta + x.r
      FROM unnest($9::text[], $10::bigint[], $11::bigint[]) AS x(v, a, r) WHERE versions.version_id = x.v)
INSERT INTO stat_labels (version_id, kind, label, delta)
SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::bigint[]) AS x(v, k, l, d)
 WHERE v IN (SELECT version_id FROM alive)
ON CONFLICT (version_id, kind, label) DO UPDATE SET delta = stat_labels.delta + EXCLUDED.delta
"""
WRITE = WRITE_TEMPLATE.format(position=position_update(17))


def _rows_json(keys: Sequence[RoiKey], labels: Sequence[list[str]] | None = None) -> str:
    """ROI keys (with their labels) as one JSON array of {v, f, r[, l]} objects, for json_to_recordset."""
    if labels is None:
        return orjson.dumps([{"v": v, "f": f, "r": r} for v, f, r in keys]).decode()
    return orjson.dumps(
        [{"v": v, "f": f, "r": r, "l": ls} for (v, f, r), ls in zip(keys, labels, strict=True)]
    ).decode()


def _columns(keys: Collection[tuple[str, ...]], n: int) -> list[list[str]]:
    """The first `n` parts of the keys as `n` arrays (one unnest() argument each)."""
    return [[k[i] for k in keys] for i in range(n)]


async def load(conn: Conn, version_ids: Iterable[str], frames: Sequence[FrameKey], rois: Sequence[RoiKey]) -> Loaded:
    """Which of the versions exist, the frames' rows (locked) and the ROIs' labels, in one statement."""
    rows = await conn.fetch(LOAD, list(version_ids), *_columns(frames, 2), _rows_json(rois))
    known: set[str] = set()
    frame_rows: dict[FrameKey, tuple[int, list[str]]] = {}
    roi_rows: dict[RoiKey, list[str]] = {}
    for r in rows:
        kind = r["kind"]
        if kind == "v":
            known.add(r["version_id"])
        elif kind == "f":
            frame_rows[(r["version_id"], r["frame_id"])] = (r["roi_count"], list(r["labels"]))
        else:
            roi_rows[(r["version_id"], r["frame_id"], r["roi_id"])] = list(r["labels"])
    return known, frame_rows, roi_rows


async def write(
    conn: Conn,
    rois: dict[RoiKey, list[str] | None],
    frames: dict[FrameKey, tuple[int, list[str]]],
    versions: dict[str, tuple[int, int]],
    labels: dict[tuple[str, str, str], int],
) -> None:
    """Store ROIs' labels (deleting those set to None), frames' rows, and add version and label deltas: one
    statement, none when there is nothing to write; with the batch's position when it is applied without a
    transaction."""
    put = [(k, v) for k, v in rois.items() if v is not None]
    gone = [k for k, v in rois.items() if v is None]
    bumps = [(v, a, r) for v, (a, r) in versions.items() if a or r]
    counts = [(k, d) for k, d in labels.items() if d]
    if not (put or gone or frames or bumps or counts):
        return
    batch = current_batch()
    touched = sorted({k[0] for k in rois} | {k[0] for k in frames} | {b[0] for b in bumps} | {k[0] for k, _ in counts})
    await conn.execute(
        WRITE,
        *_columns(gone, 3),
        _rows_json([k for k, _ in put], [v for _, v in put]),
        *_columns(frames, 2),
        [n for n, _ in frames.values()],
        [json.dumps(f) for _, f in frames.values()],
        [b[0] for b in bumps],
        [b[1] for b in bumps],
        [b[2] for b in bumps],
        *_columns([k for k, _ in counts], 3),
        [d for _, d in counts],
        touched,
        *(batch.position_args() if batch is not None else NO_POSITION),
    )


class StatsBatch:
    """The statistics read model's set-based reads and writes over a consumer's connection."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def load(self, version_ids: Iterable[str], frames: Sequence[FrameKey], rois: Sequence[RoiKey]) -> Loaded:
        """Known versions, the frames' rows (locked) and the ROIs' labels (one statement)."""
        return await load(self.conn, version_ids, frames, rois)

    async def write(
        self,
        rois: dict[RoiKey, list[str] | None],
        frames: dict[FrameKey, tuple[int, list[str]]],
        versions: dict[str, tuple[int, int]],
        labels: dict[tuple[str, str, str], int],
    ) -> None:
        """Store the folded rows and add the deltas (one statement)."""
        await write(self.conn, rois, frames, versions, labels)
