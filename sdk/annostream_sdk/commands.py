"""Typed builders of what the API takes: ROIs (rectangle, ellipse, polygon, key points), the editor commands a
save applies in order, and frames to import. Each has `to_json()`, the body the gateway reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, Literal, Protocol

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


def _json(value: Any) -> Any:
    """A command field as the API's JSON: builders by their `to_json()`, points and lists as lists."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


class Action:
    """An editor command: `{action: {field: value, ...}}` with its dataclass fields (generic: a new command is a
    dataclass with its API name)."""

    action: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        """The command as the API's JSON."""
        body = {f.name: _json(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]
        if "points" in body:
            body["points"] = _points(body["points"])
        return {self.action: body}


@dataclass(frozen=True)
class Raw(Action):
    """Any editor action by its API name and JSON body (one this SDK has no typed builder for yet)."""

    name: str
    body: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The command as the API's JSON."""
        return {self.name: dict(self.body)}


@dataclass(frozen=True)
class CreateRoi(Action):
    action = "create_roi"
    roi: NewRoi


@dataclass(frozen=True)
class RoiOrigin:
    """Where a pasted ROI was copied from."""

    version_id: str
    frame_id: str
    roi_id: str


@dataclass(frozen=True)
class PasteRois(Action):
    action = "paste_rois"
    rois: Sequence[NewRoi]
    origins: Sequence[RoiOrigin] = ()


@dataclass(frozen=True)
class MoveRoi(Action):
    action = "move_roi"
    roi_id: str
    dx: float
    dy: float


@dataclass(frozen=True)
class ReshapeRoi(Action):
    action = "reshape_roi"
    roi_id: str
    points: Sequence[Point]


@dataclass(frozen=True)
class AddRoiLabel(Action):
    action = "add_roi_label"
    roi_id: str
    label: str


@dataclass(frozen=True)
class RemoveRoiLabel(Action):
    action = "remove_roi_label"
    roi_id: str
    label: str


@dataclass(frozen=True)
class SetRoiMetadata(Action):
    action = "set_roi_metadata"
    roi_id: str
    metadata: Mapping[str, Any]


@dataclass(frozen=True)
class LockRoi(Action):
    action = "lock_roi"
    roi_id: str


@dataclass(frozen=True)
class UnlockRoi(Action):
    action = "unlock_roi"
    roi_id: str


@dataclass(frozen=True)
class LockAllRois(Action):
    action = "lock_all_rois"


@dataclass(frozen=True)
class UnlockAllRois(Action):
    action = "unlock_all_rois"


@dataclass(frozen=True)
class DeleteRoi(Action):
    action = "delete_roi"
    roi_id: str


@dataclass(frozen=True)
class AddFrameLabel(Action):
    action = "add_frame_label"
    label: str


@dataclass(frozen=True)
class RemoveFrameLabel(Action):
    action = "remove_frame_label"
    label: str


@dataclass(frozen=True)
class SetFrameMetadata(Action):
    """Replace the frame's metadata (an empty mapping shows the imported metadata again)."""

    action = "set_frame_metadata"
    metadata: Mapping[str, Any]


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
