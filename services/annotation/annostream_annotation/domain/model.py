"""Frame aggregate: annotation state of one frame, commands decided into events, events applied."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from annostream_kernel.errors import FailedPrecondition, InvalidArgument

MAX_LABEL = 256
MAX_LABELS = 64
BOUNDS_TOLERANCE = 1.0


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


@dataclass(frozen=True)
class CreateRoi:
    """Draw a new ROI on the frame."""

    roi: RoiSpec


Command = CreateRoi


@dataclass(frozen=True)
class RoiCreatedEvent:
    """A ROI was drawn (domain form of annostream.events.v1.RoiCreated)."""

    roi: RoiSpec


DomainEvent = RoiCreatedEvent


def _validate_labels(labels: tuple[str, ...], field_name: str) -> None:
    if len(labels) > MAX_LABELS:
        raise InvalidArgument(f"at most {MAX_LABELS} labels", field=field_name)
    for i, label in enumerate(labels):
        if not label.strip() or len(label) > MAX_LABEL:
            raise InvalidArgument(f"must be 1..{MAX_LABEL} characters", field=f"{field_name}[{i}]")


def validate_roi(roi: RoiSpec, sources: dict[str, tuple[int, int]], field_name: str = "roi") -> None:
    """Check shape invariants and that points lie inside the source (within a small tolerance)."""
    pts = roi.points
    for i, (x, y) in enumerate(pts):
        if not (math.isfinite(x) and math.isfinite(y)):
            raise InvalidArgument("coordinates must be finite numbers", field=f"{field_name}.points[{i}]")
    if roi.type in (RoiType.RECTANGLE, RoiType.ELLIPSE):
        if len(pts) != 2:
            raise InvalidArgument(f"a {roi.type} needs exactly 2 corner points", field=f"{field_name}.points")
        (x1, y1), (x2, y2) = pts
        if abs(x2 - x1) <= 0 or abs(y2 - y1) <= 0:
            raise InvalidArgument(f"a {roi.type} needs a positive width and height", field=f"{field_name}.points")
    elif roi.type is RoiType.POLYGON and len(pts) < 3:
        raise InvalidArgument("a polygon needs at least 3 points", field=f"{field_name}.points")
    elif roi.type is RoiType.KEYPOINTS and len(pts) < 1:
        raise InvalidArgument("keypoints need at least 1 point", field=f"{field_name}.points")
    if roi.confidence is not None and not (math.isfinite(roi.confidence) and 0 <= roi.confidence <= 1):
        raise InvalidArgument("must be a number between 0 and 1", field=f"{field_name}.confidence")
    _validate_labels(roi.labels, f"{field_name}.labels")
    if roi.source_id and roi.source_id not in sources:
        raise InvalidArgument(f"frame has no source {roi.source_id!r}", field=f"{field_name}.source_id")
    source = sources.get(roi.source_id) if roi.source_id else next(iter(sources.values()), None)
    if source is not None:
        w, h = source
        for i, (x, y) in enumerate(pts):
            if not (-BOUNDS_TOLERANCE <= x <= w + BOUNDS_TOLERANCE and -BOUNDS_TOLERANCE <= y <= h + BOUNDS_TOLERANCE):
                raise InvalidArgument(
                    f"point ({x}, {y}) is outside the {w}x{h} source", field=f"{field_name}.points[{i}]"
                )


def roi_doc(roi: RoiSpec) -> dict[str, Any]:
    """The projection's JSON form of a ROI."""
    return {
        "roi_id": roi.roi_id,
        "type": roi.type.value,
        "points": [list(p) for p in roi.points],
        "labels": list(roi.labels),
        "confidence": roi.confidence,
        "source_id": roi.source_id,
        "metadata": roi.metadata,
        "locked": False,
    }


class FrameAggregate:
    """State of one frame's stream; decide() validates a command and applies its events."""

    def __init__(self, doc: dict[str, Any] | None, version: int, sources: dict[str, tuple[int, int]]) -> None:
        self.doc: dict[str, Any] = copy.deepcopy(doc) if doc else {"rois": [], "frame_labels": [], "metadata": {}}
        self.version = version
        self.sources = sources

    def roi(self, roi_id: str) -> dict[str, Any] | None:
        """The ROI with that id, if present."""
        return next((r for r in self.doc["rois"] if r["roi_id"] == roi_id), None)

    def decide(self, cmd: Command, index: int = 0) -> list[DomainEvent]:
        """Validate `cmd` against the current state; apply and return its events."""
        field_name = f"commands[{index}].create_roi.roi"
        if self.roi(cmd.roi.roi_id) is not None:
            raise FailedPrecondition(f"ROI {cmd.roi.roi_id!r} already exists", field=f"{field_name}.roi_id")
        validate_roi(cmd.roi, self.sources, field_name)
        events: list[DomainEvent] = [RoiCreatedEvent(cmd.roi)]
        for e in events:
            self.apply(e)
        return events

    def apply(self, event: DomainEvent) -> None:
        """Fold one event into the state."""
        self.doc["rois"].append(roi_doc(event.roi))
        self.version += 1
