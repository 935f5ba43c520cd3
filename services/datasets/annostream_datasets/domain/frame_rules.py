"""Validation of imported frames as protobuf messages (the fast import path).

Frames, sources (with masks) and initial annotations (ROIs and frame labels) are validated;
a frame is normalised in place (default source id, default context id, generated ROI ids). Every error
names the field, prefixed with `field` (e.g. `frames[3].sources[0].width`).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import (
    MAX_FRAME_LABELS,
    MAX_FRAME_STATE_BYTES,
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_LABELS_PER_ROI,
    MAX_MASKS_PER_SOURCE,
    MAX_POINTS_PER_SHAPE,
    MAX_ROIS_PER_FRAME,
    MAX_SOURCES_PER_FRAME,
    MAX_URI_LENGTH,
    bad_label,
    bad_text,
    dump_json,
)
from annostream_kernel.protobuf import request_metadata

MAX_ID = MAX_ID_LENGTH
MAX_URI = MAX_URI_LENGTH
MAX_SOURCES = MAX_SOURCES_PER_FRAME
MAX_MASKS = MAX_MASKS_PER_SOURCE
MAX_ROIS = MAX_ROIS_PER_FRAME
MAX_LABEL = MAX_LABEL_LENGTH
MAX_LABELS = MAX_LABELS_PER_ROI
# What a frame's annotation state adds to the imported message (its reference and version): an imported frame
# stays this far under MAX_FRAME_STATE_BYTES, so the annotation service can always serve it.
STATE_OVERHEAD_BYTES = 4 * 1024
BOUNDS_TOLERANCE = 1.0
DOT_SEGMENTS = (".", "..")  # URL paths drop or resolve these segments, even percent-encoded (WHATWG URL)
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
    metadata: Any
    metadata_json: str

    def HasField(self, name: str) -> bool: ...

    def ClearField(self, name: str) -> None: ...

    def ByteSize(self) -> int: ...


def _text_error(value: str, required: bool = True, max_len: int = MAX_ID) -> str | None:
    """What is wrong with a text value, or None (field names are built only for an error: imports check
    every frame, and formatting them eagerly cost more than the checks). NUL never arrives here over gRPC (the
    kernel's request validator refuses it), but frames also come from other callers."""
    if required and not value.strip():
        return "is required"
    if len(value) > max_len:
        return f"must be at most {max_len} characters"
    if "\x00" in value:
        return bad_text(value)
    return None


def _uri_error(uri: str) -> str | None:
    """A control character or line break in a source's URI (VOC XML cannot hold one), or None."""
    return None if uri.isprintable() else bad_label(uri)


def _text(value: str, field: str, *, required: bool = True, max_len: int = MAX_ID) -> None:
    if error := _text_error(value, required, max_len):
        raise InvalidArgument(error, field=field)


def validate_label(label: str, field: str) -> None:
    """1..256 characters without control characters, not only blanks."""
    if not label.strip() or len(label) > MAX_LABEL:
        raise InvalidArgument(f"must be 1..{MAX_LABEL} characters", field=field)
    if not label.isprintable() and (why := bad_label(label)) is not None:
        raise InvalidArgument(why, field=field)


def _labels(labels: Any, field: str, most: int = MAX_LABELS) -> None:
    if len(labels) > most:
        raise InvalidArgument(f"at most {most} labels (has {len(labels)})", field=field)
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
        if error := _text_error(uri, max_len=MAX_URI) or _uri_error(uri):
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
    if len(points) > MAX_POINTS_PER_SHAPE:
        raise InvalidArgument(f"at most {MAX_POINTS_PER_SHAPE} points per shape (has {len(points)})", field=field)
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
        raise InvalidArgument(f"at most {MAX_ROIS} ROIs per frame (has {len(frame.rois)})", field=f"{field}.rois")
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
        if roi.metadata_json or roi.HasField("metadata"):
            _metadata(roi, f"{rf}.metadata")


def _metadata(msg: Any, field: str) -> None:
    """Check a frame's or ROI's metadata and keep it as JSON text (a Struct would turn integers into doubles)."""
    metadata = request_metadata(msg, field)
    if msg.HasField("metadata"):
        msg.ClearField("metadata")
        msg.metadata_json = dump_json(metadata) if metadata else ""


def validate_frame(frame: FrameLike, field: str) -> None:
    """Check one frame and fill its defaults in place; raises InvalidArgument naming the field."""
    if error := _text_error(frame.frame_id):
        raise InvalidArgument(error, field=f"{field}.id")
    if frame.frame_id in DOT_SEGMENTS:
        raise InvalidArgument(
            "must not be '.' or '..': no URL can address it (clients resolve them)", field=f"{field}.id"
        )
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
        _labels(frame.frame_labels, f"{field}.frame_labels", MAX_FRAME_LABELS)
        if len(set(frame.frame_labels)) != len(frame.frame_labels):
            raise InvalidArgument("labels must be distinct", field=f"{field}.frame_labels")
    if frame.metadata_json or frame.HasField("metadata"):
        _metadata(frame, f"{field}.metadata")
    if frame.rois and (size := frame.ByteSize()) > MAX_FRAME_STATE_BYTES - STATE_OVERHEAD_BYTES:
        raise InvalidArgument(
            f"the frame is {size} bytes, over the limit of {MAX_FRAME_STATE_BYTES - STATE_OVERHEAD_BYTES} for a"
            " frame with its annotations (MAX_FRAME_STATE_BYTES)",
            field=field,
        )
