"""annostream's own JSON lines: one frame per line, every field, in the shape `annostream import` reads back."""

from __future__ import annotations

from typing import Any

import orjson

from .model import Frame, Report


def _source(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": s.get("id", ""),
        "uri": s.get("uri", ""),
        "width": int(s.get("width", 0)),
        "height": int(s.get("height", 0)),
        "timestamp": int(s.get("timestamp", 0)),
        "preview_uri": s.get("preview_uri", ""),
        "masks": [{"id": m.get("id", ""), "uri": m.get("uri", "")} for m in s.get("masks", [])],
    }


def line(f: Frame, report: Report) -> bytes:
    """The frame as one JSON line (its ROIs with id, type, points, labels, confidence, source, metadata, lock)."""
    b = f.base
    report.images += len(f.sources)
    report.exported += len(f.rois)
    frame = {
        "id": f.frame_id,
        "context_id": b.get("context_id", ""),
        "timestamp": int(b.get("timestamp", 0)),
        "sources": [_source(s) for s in b.get("sources", [])],
        "metadata": f.metadata,
        "rois": f.rois,
        "frame_labels": f.frame_labels,
    }
    return orjson.dumps(frame, option=orjson.OPT_APPEND_NEWLINE)
