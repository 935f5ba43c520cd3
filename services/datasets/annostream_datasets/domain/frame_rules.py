"""Validation of imported frames as protobuf messages (the fast import path).

Frames, sources (with masks) and initial annotations (ROIs and frame labels) are validated;
a frame is normalised in place (default source id, default context id, generated ROI ids). Every error
names the field, prefixed with `field` (e.g. `frames[3].sources[0].width`).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from annostream_kernel.errors import InvalidArgument

MAX_ID = 512
MAX_URI = 4096
MAX_SOURCES = 32
MAX_MASKS = 32
MAX_ROIS = 1000
MAX_LABEL = 256
MAX_LABELS = 64
BOUNDS_TOLERANCE = 1.0
# annostream.types.v1.RoiType values
RECTANGLE, ELLIPSE, POLYGON, KEYPOINTS = 1, 2, 3, 4
ROI_TYPE_NAMES = {RECTANGLE: "rectangle", ELLIPSE: "ellipse", POLYGON: "polygon", KEYPOINTS: "keypoints"}


class FrameLike(Protocol):
    """What the rules read and normalise: an annostream.types.v1.Frame message."""

    frame_id: str
    context_id: str
    timestamp: int
    sources: Any
    rois: Any
    frame_labels: Any


def _text_error(value: str, required: bool = True, max_len: int = MAX_ID) -> str | None:
    """What is wrong with a text value, or None (field names are built only for an error: imports check
    every frame, and formatting them eagerly cost more than the checks)."""
    if required and not value.strip():
        return "is required"
    if len(value) > max_len:
        return f"must be at most {max_len} characters"
    return None


def _text(value: str, field: str, *, required: bool = True, max_len: int = MAX_ID) -> None:
    if error := _text_error(value, required, max_len):
        raise InvalidArgument(error, field=field)


def validate_label(label: str, field: str) -> None:
    """1..256 characters, not only blanks."""
    if not label.strip() or len(label) > MAX_LABEL:
        raise InvalidArgument(f"must be 1..{MAX_LABEL} characters", field=field)


def _labels(labels: Any, field: str) -> None:
    if len(labels) > MAX_LABELS:
        raise InvalidArgument(f"at most {MAX_LABELS} labels", field=field)
    for i, label in enumerate(labels):
        validate_label(label, f"{field}[{i}]")


def _sources(frame: FrameLike, field: str) -> dict[str, tuple[int, int]]:
    sources = frame.sources
    n = len(sources)
    if not n:
        raise InvalidArgument("must be a non-empty list", field=f"{field}.sources")
    if n > MAX_SOURCES:
        raise InvalidArgument(f"at most {MAX_SOURCES} sources", field=f"{field}.sources")
    seen: dict[str, tuple[int, int]] = {}
    for i in range(n):  # indexing a repeated field is cheaper than iterating it (upb)
        s = sources[i]
        sid, uri, width, height = s.id, s.uri, s.width, s.height
        if not sid and n == 1:
            s.id = sid = "default"
        if error := _text_error(sid):
            raise InvalidArgument(error, field=f"{field}.sources[{i}].id")
        if sid in seen:
            raise InvalidArgument(f"duplicate source id {sid!r}", field=f"{field}.sources[{i}].id")
        if error := _text_error(uri, max_len=MAX_URI):
            raise InvalidArgument(error, field=f"{field}.sources[{i}].uri")
        if width < 1:
            raise InvalidArgument("must be >= 1", field=f"{field}.sources[{i}].width")
        if height < 1:
            raise InvalidArgument("must be >= 1", field=f"{field}.sources[{i}].height")
        if s.timestamp < 0:
            raise InvalidArgument("must be >= 0", field=f"{field}.sources[{i}].timestamp")
        if len(s.preview_uri) > MAX_URI:
            raise InvalidArgument(f"must be at most {MAX_URI} characters", field=f"{field}.sources[{i}].preview_uri")
        if s.masks:
            _masks(s.masks, f"{field}.sources[{i}]")
        seen[sid] = (width, height)
    return seen


def _masks(masks: Any, sf: str) -> None:
    if len(masks) > MAX_MASKS:
        raise InvalidArgument(f"at most {MAX_MASKS} masks", field=f"{sf}.masks")
    mask_ids: set[str] = set()
    for j, m in enumerate(masks):
        if not m.id:
            m.id = f"mask{j}"
        _text(m.id, f"{sf}.masks[{j}].id")
        if m.id in mask_ids:
            raise InvalidArgument(f"duplicate mask id {m.id!r}", field=f"{sf}.masks[{j}].id")
        mask_ids.add(m.id)
        _text(m.uri, f"{sf}.masks[{j}].uri", max_len=MAX_URI)


def _points(kind: int, points: Any, size: tuple[int, int] | None, field: str) -> None:
    for i, p in enumerate(points):
        if not (math.isfinite(p.x) and math.isfinite(p.y)):
            raise InvalidArgument("coordinates must be finite numbers", field=f"{field}[{i}]")
    name = ROI_TYPE_NAMES[kind]
    if kind in (RECTANGLE, ELLIPSE):
        if len(points) != 2:
            raise InvalidArgument(f"a {name} needs exactly 2 corner points", field=field)
        a, b = points
        if a.x == b.x or a.y == b.y:
            raise InvalidArgument(f"a {name} needs a positive width and height", field=field)
    elif kind == POLYGON and len(points) < 3:
        raise InvalidArgument("a polygon needs at least 3 points", field=field)
    elif kind == KEYPOINTS and len(points) < 1:
        raise InvalidArgument("keypoints need at least 1 point", field=field)
    if size is None:
        return
    w, h = size
    t = BOUNDS_TOLERANCE
    for i, p in enumerate(points):
        if not (-t <= p.x <= w + t and -t <= p.y <= h + t):
            raise InvalidArgument(f"point ({p.x:g}, {p.y:g}) is outside the {w}x{h} source", field=f"{field}[{i}]")


def _rois(frame: FrameLike, sources: dict[str, tuple[int, int]], field: str) -> None:
    if len(frame.rois) > MAX_ROIS:
        raise InvalidArgument(f"at most {MAX_ROIS} ROIs", field=f"{field}.rois")
    first = next(iter(sources.values()))
    ids: set[str] = set()
    for i, roi in enumerate(frame.rois):
        rf = f"{field}.rois[{i}]"
        if not roi.roi_id:
            roi.roi_id = f"{frame.frame_id}:roi{i}"
        _text(roi.roi_id, f"{rf}.roi_id")
        if roi.roi_id in ids:
            raise InvalidArgument(f"duplicate ROI id {roi.roi_id!r}", field=f"{rf}.roi_id")
        ids.add(roi.roi_id)
        if roi.type not in ROI_TYPE_NAMES:
            raise InvalidArgument("must be rectangle, ellipse, polygon or keypoints", field=f"{rf}.type")
        if roi.source_id and roi.source_id not in sources:
            raise InvalidArgument(f"frame has no source {roi.source_id!r}", field=f"{rf}.source_id")
        _points(roi.type, roi.points, sources[roi.source_id] if roi.source_id else first, f"{rf}.points")
        if roi.HasField("confidence") and not (math.isfinite(roi.confidence) and 0 <= roi.confidence <= 1):
            raise InvalidArgument("must be a number between 0 and 1", field=f"{rf}.confidence")
        _labels(roi.labels, f"{rf}.labels")


def validate_frame(frame: FrameLike, field: str) -> None:
    """Check one frame and fill its defaults in place; raises InvalidArgument naming the field."""
    if error := _text_error(frame.frame_id):
        raise InvalidArgument(error, field=f"{field}.id")
    if frame.timestamp < 0:
        raise InvalidArgument("must be >= 0", field=f"{field}.timestamp")
    sources = _sources(frame, field)
    if not frame.context_id:
        frame.context_id = frame.sources[0].uri
    if error := _text_error(frame.context_id, max_len=MAX_URI):
        raise InvalidArgument(error, field=f"{field}.context_id")
    if frame.rois:
        _rois(frame, sources, field)
    if frame.frame_labels:
        _labels(frame.frame_labels, f"{field}.frame_labels")
        if len(set(frame.frame_labels)) != len(frame.frame_labels):
            raise InvalidArgument("labels must be distinct", field=f"{field}.frame_labels")
