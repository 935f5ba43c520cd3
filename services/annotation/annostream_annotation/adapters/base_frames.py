"""Base frames (imported frame data, without annotations) as the datasets consumer stores them, set-based.

A base frame's document is the Frame message as JSON with proto field names (what
`json_format.MessageToDict(frame, preserving_proto_field_name=True)` gives for a frame without ROIs and frame
labels: default values left out, 64-bit integers as strings), except that `metadata` is the frame's metadata
JSON object itself (integers kept exact). It is written here field by field, because the
generic printer costs ~10 µs per frame and every imported frame goes through it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii as _q

from annostream_kernel.db import Conn
from annostream_kernel.protobuf import json_value
from annostream_protos.types.v1 import frames_pb2 as t

BaseRow = tuple[str, str, str]
"""(version_id, frame_id, document JSON): one row of `base_frames`."""


def _source(s: t.Source) -> str:
    sid, uri, width, height, ts, preview = s.id, s.uri, s.width, s.height, s.timestamp, s.preview_uri
    parts = [f'"id":{_q(sid)}'] if sid else []
    if uri:
        parts.append(f'"uri":{_q(uri)}')
    if width:
        parts.append(f'"width":{width}')
    if height:
        parts.append(f'"height":{height}')
    if ts:
        parts.append(f'"timestamp":"{ts}"')
    if preview:
        parts.append(f'"preview_uri":{_q(preview)}')
    if s.masks:
        masks = ",".join(
            "{" + ",".join(([f'"id":{_q(m.id)}'] if m.id else []) + ([f'"uri":{_q(m.uri)}'] if m.uri else [])) + "}"
            for m in s.masks
        )
        parts.append(f'"masks":[{masks}]')
    return "{" + ",".join(parts) + "}"


def base_doc(f: t.Frame) -> str:
    """A frame's base document as JSON (its ROIs and frame labels left out: they become events)."""
    fid, ctx, ts, sources = f.frame_id, f.context_id, f.timestamp, f.sources
    parts = [f'"frame_id":{_q(fid)}'] if fid else []
    if ctx:
        parts.append(f'"context_id":{_q(ctx)}')
    if ts:
        parts.append(f'"timestamp":"{ts}"')
    if len(sources) == 1:
        parts.append(f'"sources":[{_source(sources[0])}]')
    elif sources:
        parts.append('"sources":[' + ",".join(_source(s) for s in sources) + "]")
    if f.metadata_json:  # checked by the datasets service before it was stored
        parts.append(f'"metadata":{f.metadata_json}')
    elif f.HasField("metadata"):  # frames imported before metadata travelled as JSON text
        parts.append(f'"metadata":{json.dumps(json_value(f.metadata))}')
    return "{" + ",".join(parts) + "}"


class BaseFrames:
    """The `base_frames` table on one connection (inside the consumer's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def existing(self, version_id: str, frame_ids: Sequence[str]) -> set[str]:
        """Which of `frame_ids` already have a base frame in the version."""
        rows = await self.conn.fetch(
            "SELECT frame_id FROM base_frames WHERE version_id = $1 AND frame_id = ANY($2::text[])",
            version_id,
            frame_ids,
        )
        return {r["frame_id"] for r in rows}

    async def copy(self, rows: Sequence[BaseRow]) -> None:
        """COPY base frames the table does not hold yet (checked by the caller under the consumer's lock)."""
        await self.conn.copy_records_to_table("base_frames", columns=["version_id", "frame_id", "doc"], records=rows)
