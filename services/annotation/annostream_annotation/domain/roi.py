"""ROI shapes and the invariants every ROI state must satisfy."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import (
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_LABELS_PER_ROI,
    MAX_POINTS_PER_SHAPE,
    bad_label,
    check_metadata,
    check_text,
)

BOUNDS_TOLERANCE = 1.0
_FLOAT_MAX = sys.float_info.max  # the bounds of a frame without sources: any finite float is inside

Sources = dict[str, tuple[int, int]]
"""Source id → (width, height) of a frame."""


class RoiType(StrEnum):
    """Shapes the editor draws."""

    RECTANGLE = "rectangle"
    ELLIPSE = "ellipse"
    POLYGON = "polygon"
    KEYPOINTS = "keypoints"


@dataclass(frozen=True)
class RoiSpec:
    """A ROI as a command carries it (points in source pixels)."""

    roi_id: str
    type: RoiType
    points: tuple[tuple[float, float], ...]
    labels: tuple[str, ...] = ()
    confidence: float | None = None
    source_id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        """The projection's JSON form (unlocked)."""
        return {
            "roi_id": self.roi_id,
            "type": self.type.value,
            "points": [[float(x), float(y)] for x, y in self.points],
            "labels": list(self.labels),
            "confidence": self.confidence,
            "source_id": self.source_id,
            "metadata": self.metadata,
            "locked": False,
        }


def validate_label(label: str, field_name: str) -> None:
    """1..MAX_LABEL_LENGTH characters of storable text without control characters, not only blanks."""
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_LENGTH:
        raise InvalidArgument(f"must be 1..{MAX_LABEL_LENGTH} characters", field=field_name)
    if (why := bad_label(label)) is not None:
        raise InvalidArgument(why, field=field_name)


def validate_labels(labels: list[str] | tuple[str, ...], field_name: str) -> None:
    """At most MAX_LABELS_PER_ROI valid labels."""
    if len(labels) > MAX_LABELS_PER_ROI:
        raise InvalidArgument(f"at most {MAX_LABELS_PER_ROI} labels per ROI (has {len(labels)})", field=field_name)
    for i, label in enumerate(labels):
        validate_label(label, f"{field_name}[{i}]")


def validate_id(value: str, field_name: str) -> None:
    """An id: storable text of at most MAX_ID_LENGTH characters."""
    check_text(value, field_name, max_length=MAX_ID_LENGTH)


def validate_metadata(metadata: Any, field_name: str) -> None:
    """A JSON object within the metadata limits (bytes, depth, storable text, finite 64-bit numbers)."""
    if type(metadata) is dict and not metadata:  # most ROIs carry none: nothing to walk or measure
        return
    check_metadata(metadata, field_name)


def validate_points(
    kind: RoiType,
    points: list[list[float]] | tuple[tuple[float, float], ...],
    sources: Sources,
    source_id: str,
    field_name: str,
) -> None:
    """At most MAX_POINTS_PER_SHAPE finite points, enough for the shape, a positive size, inside the source
    (± tolerance)."""
    if len(points) > MAX_POINTS_PER_SHAPE:
        raise InvalidArgument(f"at most {MAX_POINTS_PER_SHAPE} points per shape (has {len(points)})", field=field_name)
    source = sources.get(source_id) if source_id else next(iter(sources.values()), None)
    t = BOUNDS_TOLERANCE
    lo, hx, hy = (-t, source[0] + t, source[1] + t) if source is not None else (-_FLOAT_MAX, _FLOAT_MAX, _FLOAT_MAX)
    outside = -1  # the first point outside the source: refused after the shape's own checks, as before
    for i, (x, y) in enumerate(points):  # one pass: finite floats inside the bounds are the common case
        if type(x) is float and type(y) is float and lo <= x <= hx and lo <= y <= hy:
            continue
        if not (isinstance(x, int | float) and isinstance(y, int | float) and math.isfinite(x) and math.isfinite(y)):
            raise InvalidArgument("coordinates must be finite numbers", field=f"{field_name}[{i}]")
        if outside < 0 and source is not None and not (lo <= x <= hx and lo <= y <= hy):
            outside = i
    if kind in (RoiType.RECTANGLE, RoiType.ELLIPSE):
        if len(points) != 2:
            raise InvalidArgument(f"a {kind} needs exactly 2 corner points", field=field_name)
        (x1, y1), (x2, y2) = points
        if x1 == x2 or y1 == y2:
            raise InvalidArgument(f"a {kind} needs a positive width and height", field=field_name)
    elif kind is RoiType.POLYGON and len(points) < 3:
        raise InvalidArgument("a polygon needs at least 3 points", field=field_name)
    elif kind is RoiType.KEYPOINTS and len(points) < 1:
        raise InvalidArgument("keypoints need at least 1 point", field=field_name)
    if outside >= 0 and source is not None:
        (x, y), (w, h) = points[outside], source
        raise InvalidArgument(f"point ({x:g}, {y:g}) is outside the {w}x{h} source", field=f"{field_name}[{outside}]")


def validate_roi(roi: RoiSpec, sources: Sources, field_name: str) -> None:
    """Every invariant of a new ROI."""
    validate_id(roi.roi_id, f"{field_name}.roi_id")
    if roi.source_id and roi.source_id not in sources:
        raise InvalidArgument(f"frame has no source {roi.source_id!r}", field=f"{field_name}.source_id")
    validate_points(roi.type, roi.points, sources, roi.source_id, f"{field_name}.points")
    if roi.confidence is not None and not (math.isfinite(roi.confidence) and 0 <= roi.confidence <= 1):
        raise InvalidArgument("must be a number between 0 and 1", field=f"{field_name}.confidence")
    validate_labels(roi.labels, f"{field_name}.labels")
    validate_metadata(roi.metadata, f"{field_name}.metadata")
