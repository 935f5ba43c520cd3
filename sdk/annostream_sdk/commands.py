"""Typed builders of what the API takes: ROIs (rectangle, ellipse, polygon, key points), the editor commands a
save applies in order, and frames to import. Each has `to_json()`, the body the gateway reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Point = tuple[float, float]
ShapeType = Literal["rectangle", "ellipse", "polygon", "keypoints"]


def _points(points: Iterable[Sequence[float]]) -> list[list[float]]:
    return [[float(p[0]), float(p[1])] for p in points]


@dataclass(frozen=True)
class NewRoi:
    """A ROI to draw, paste or import; `roi_id` empty lets the server choose one."""

    type: ShapeType
    points: Sequence[Point]
    labels: Sequence[str] = ()
    confidence: float | None = None
    source_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    roi_id: str = ""
    locked: bool = False  # imports only: the ROI arrives locked

    def to_json(self) -> dict[str, Any]:
        """The ROI as the API's JSON."""
        body: dict[str, Any] = {"type": self.type, "points": _points(self.points), "labels": list(self.labels)}
        if self.roi_id:
            body["roi_id"] = self.roi_id
        if self.confidence is not None:
            body["confidence"] = self.confidence
        if self.source_id:
            body["source_id"] = self.source_id
        if self.metadata:
            body["metadata"] = dict(self.metadata)
        if self.locked:
            body["locked"] = True
        return body


def rectangle(x1: float, y1: float, x2: float, y2: float, **kw: Any) -> NewRoi:
    """An axis-aligned rectangle from two opposite corners (labels=, confidence=, source_id=, metadata=, roi_id=)."""
    return NewRoi("rectangle", ((x1, y1), (x2, y2)), **kw)


def ellipse(x1: float, y1: float, x2: float, y2: float, **kw: Any) -> NewRoi:
    """An axis-aligned ellipse inscribed in the box of two opposite corners."""
    return NewRoi("ellipse", ((x1, y1), (x2, y2)), **kw)


def polygon(points: Iterable[Sequence[float]], **kw: Any) -> NewRoi:
    """A polygon of at least 3 points."""
    return NewRoi("polygon", tuple((float(p[0]), float(p[1])) for p in points), **kw)


def keypoints(points: Iterable[Sequence[float]], **kw: Any) -> NewRoi:
    """Key points (at least one); metadata may carry `keypoint_names`, `skeleton` and `visibility`."""
    return NewRoi("keypoints", tuple((float(p[0]), float(p[1])) for p in points), **kw)


class Command(Protocol):
    """One editor action of a save."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CreateRoi:
    roi: NewRoi

    def to_json(self) -> dict[str, Any]:
        return {"create_roi": {"roi": self.roi.to_json()}}


@dataclass(frozen=True)
class RoiOrigin:
    """Where a pasted ROI was copied from."""

    version_id: str
    frame_id: str
    roi_id: str


@dataclass(frozen=True)
class PasteRois:
    rois: Sequence[NewRoi]
    origins: Sequence[RoiOrigin] = ()

    def to_json(self) -> dict[str, Any]:
        origins = [{"version_id": o.version_id, "frame_id": o.frame_id, "roi_id": o.roi_id} for o in self.origins]
        return {"paste_rois": {"rois": [r.to_json() for r in self.rois], "origins": origins}}


@dataclass(frozen=True)
class MoveRoi:
    roi_id: str
    dx: float
    dy: float

    def to_json(self) -> dict[str, Any]:
        return {"move_roi": {"roi_id": self.roi_id, "dx": self.dx, "dy": self.dy}}


@dataclass(frozen=True)
class ReshapeRoi:
    roi_id: str
    points: Sequence[Point]

    def to_json(self) -> dict[str, Any]:
        return {"reshape_roi": {"roi_id": self.roi_id, "points": _points(self.points)}}


@dataclass(frozen=True)
class AddRoiLabel:
    roi_id: str
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"add_roi_label": {"roi_id": self.roi_id, "label": self.label}}


@dataclass(frozen=True)
class RemoveRoiLabel:
    roi_id: str
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"remove_roi_label": {"roi_id": self.roi_id, "label": self.label}}


@dataclass(frozen=True)
class SetRoiMetadata:
    roi_id: str
    metadata: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"set_roi_metadata": {"roi_id": self.roi_id, "metadata": dict(self.metadata)}}


@dataclass(frozen=True)
class LockRoi:
    roi_id: str

    def to_json(self) -> dict[str, Any]:
        return {"lock_roi": {"roi_id": self.roi_id}}


@dataclass(frozen=True)
class UnlockRoi:
    roi_id: str

    def to_json(self) -> dict[str, Any]:
        return {"unlock_roi": {"roi_id": self.roi_id}}


@dataclass(frozen=True)
class LockAllRois:
    def to_json(self) -> dict[str, Any]:
        return {"lock_all_rois": {}}


@dataclass(frozen=True)
class UnlockAllRois:
    def to_json(self) -> dict[str, Any]:
        return {"unlock_all_rois": {}}


@dataclass(frozen=True)
class DeleteRoi:
    roi_id: str

    def to_json(self) -> dict[str, Any]:
        return {"delete_roi": {"roi_id": self.roi_id}}


@dataclass(frozen=True)
class AddFrameLabel:
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"add_frame_label": {"label": self.label}}


@dataclass(frozen=True)
class RemoveFrameLabel:
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"remove_frame_label": {"label": self.label}}


@dataclass(frozen=True)
class SetFrameMetadata:
    """Replace the frame's metadata (an empty mapping shows the imported metadata again)."""

    metadata: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"set_frame_metadata": {"metadata": dict(self.metadata)}}


@dataclass(frozen=True)
class NewSource:
    """One image of a frame to import (`id` may be omitted for a frame's only source)."""

    uri: str
    width: int
    height: int
    id: str | None = None
    timestamp: int = 0
    preview_uri: str = ""
    masks: Sequence[tuple[str, str]] = ()  # (mask id, uri)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"uri": self.uri, "width": self.width, "height": self.height}
        if self.id is not None:
            body["id"] = self.id
        if self.timestamp:
            body["timestamp"] = self.timestamp
        if self.preview_uri:
            body["preview_uri"] = self.preview_uri
        if self.masks:
            body["masks"] = [{"id": i, "uri": u} for i, u in self.masks]
        return body


@dataclass(frozen=True)
class NewFrame:
    """A frame to import, optionally with pre-annotations (`rois`, `frame_labels`)."""

    id: str
    sources: Sequence[NewSource]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    rois: Sequence[NewRoi] = ()
    frame_labels: Sequence[str] = ()
    context_id: str | None = None
    timestamp: int = 0

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "sources": [s.to_json() for s in self.sources]}
        if self.metadata:
            body["metadata"] = dict(self.metadata)
        if self.rois:
            body["rois"] = [r.to_json() for r in self.rois]
        if self.frame_labels:
            body["frame_labels"] = list(self.frame_labels)
        if self.context_id is not None:
            body["context_id"] = self.context_id
        if self.timestamp:
            body["timestamp"] = self.timestamp
        return body
