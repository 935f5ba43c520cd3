"""Find stored frames over the product limits (older data): `annostream admin check-frames`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from annostream_kernel.db import Conn
from annostream_kernel.limits import MAX_FRAME_STATE_BYTES
from annostream_protos.types.v1 import frames_pb2 as t

from .. import wire
from ..domain.audit import violations
from .sizes import LIMIT_NAME

# Each frame's projection with its base frame (from the nearest version of its lineage that has one).
FRAMES = """
SELECT p.version_id, p.frame_id, p.stream_version, p.doc::text AS doc, v.dataset_id,
    (WITH RECURSIVE lineage(version_id, depth) AS (
        SELECT p.version_id, 0
        UNION ALL
        SELECT pv.parent_version_id, l.depth + 1 FROM versions pv JOIN lineage l ON pv.version_id = l.version_id
        WHERE pv.parent_version_id IS NOT NULL AND l.depth < 1000)
     SELECT b.doc::text FROM base_frames b JOIN lineage l ON b.version_id = l.version_id
     WHERE b.frame_id = p.frame_id ORDER BY l.depth LIMIT 1) AS base
FROM frame_projections p LEFT JOIN versions v ON v.version_id = p.version_id
WHERE p.stream_version > 0
ORDER BY p.version_id, p.frame_id
"""


@dataclass(frozen=True)
class FrameReport:
    """A frame over one limit or more."""

    version_id: str
    frame_id: str
    version: int
    state_bytes: int
    problems: list[str]


async def check_frames(conn: Conn, found: Callable[[FrameReport], None], *, batch: int = 500) -> int:
    """Call `found` with every stored frame state over a limit; returns how many frames were checked."""
    checked = 0
    async with conn.transaction():
        async for r in conn.cursor(FRAMES, prefetch=batch):
            checked += 1
            doc = json.loads(r["doc"])
            ref = t.FrameRef(dataset_id=r["dataset_id"] or "", version_id=r["version_id"], frame_id=r["frame_id"])
            base = json.loads(r["base"]) if r["base"] else None
            size = wire.frame_state(ref, r["stream_version"], base, doc).ByteSize()
            problems = violations(doc)
            if size > MAX_FRAME_STATE_BYTES:
                problems.insert(0, f"state of {size} bytes ({LIMIT_NAME} = {MAX_FRAME_STATE_BYTES}): reads refused")
            if problems:
                found(FrameReport(r["version_id"], r["frame_id"], r["stream_version"], size, problems))
    return checked
