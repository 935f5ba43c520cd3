"""Domain events (past tense): one frozen dataclass per kind, mirrored 1:1 by protobuf messages (adapters/messages.py).

Events hold the projection's JSON shapes (a ROI as its projection document, points as [x, y] lists), so applying
one copies nothing it does not change. `data` is the event's JSON as the history API shows it (`data_json`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

Item = tuple[str, str]  # what an event or command touches: ("roi", id), ("frame_label", label), ...


class _Event:
    """What every event offers: its kind, the ROI it is about ("" for frame events), its data and what it touches."""

    @property
    def kind(self) -> str:
        """The event's type name (its protobuf message name and NATS subject token)."""
        return type(self).__name__

    @property
    def data(self) -> dict[str, Any]:
        """Its fields but the ROI id, as the history API shows them (unset optional fields left out)."""
        return {
            f.name: value
            for f in fields(self)  # type: ignore[arg-type]
            if f.name != "roi_id" and (value := getattr(self, f.name)) is not None
        }


class _RoiEvent(_Event):
    roi_id: str

    def touches(self) -> Item:
        """What it changes, for conflict detection: the ROI."""
        return ("roi", self.roi_id)


class _FrameEvent(_Event):
    roi_id: ClassVar[str] = ""  # about the frame, not one ROI


class _FrameLabelEvent(_FrameEvent):
    label: str

    def touches(self) -> Item:
        """What it changes: the frame label."""
        return ("frame_label", self.label)


@dataclass(frozen=True)
class RoiCreated(_RoiEvent):
    """A ROI was drawn or pasted (`copied_from`: {version_id, frame_id, roi_id} of a pasted ROI's origin)."""

    roi_id: str
    roi: dict[str, Any]
    copied_from: dict[str, str] | None = None


@dataclass(frozen=True)
class RoiMoved(_RoiEvent):
    """A ROI was moved by (dx, dy) source pixels."""

    roi_id: str
    dx: float
    dy: float


@dataclass(frozen=True)
class RoiReshaped(_RoiEvent):
    """A ROI got new points."""

    roi_id: str
    points: list[list[float]]


@dataclass(frozen=True)
class RoiLabelAdded(_RoiEvent):
    """A ROI got a label."""

    roi_id: str
    label: str


@dataclass(frozen=True)
class RoiLabelRemoved(_RoiEvent):
    """A ROI lost a label."""

    roi_id: str
    label: str


@dataclass(frozen=True)
class RoiMetadataSet(_RoiEvent):
    """A ROI's metadata was replaced."""

    roi_id: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class RoiLocked(_RoiEvent):
    """A ROI was made uneditable."""

    roi_id: str


@dataclass(frozen=True)
class RoiUnlocked(_RoiEvent):
    """A ROI was made editable again."""

    roi_id: str


@dataclass(frozen=True)
class RoiDeleted(_RoiEvent):
    """A ROI was deleted (with the labels it had)."""

    roi_id: str
    labels: list[str]


@dataclass(frozen=True)
class RoiRestored(_RoiEvent):
    """A ROI was put back as it was at an earlier version (revert, undo, redo)."""

    roi_id: str
    roi: dict[str, Any]
    previous_labels: list[str]


@dataclass(frozen=True)
class FrameLabelAdded(_FrameLabelEvent):
    """The frame got a label."""

    label: str


@dataclass(frozen=True)
class FrameLabelRemoved(_FrameLabelEvent):
    """The frame lost a label."""

    label: str


@dataclass(frozen=True)
class FrameMetadataSet(_FrameEvent):
    """The frame's metadata was replaced."""

    metadata: dict[str, Any]

    def touches(self) -> Item:
        """What it changes: the frame's metadata."""
        return ("frame_metadata", "")


@dataclass(frozen=True)
class FrameInherited(_FrameEvent):
    """First event of a child version's frame stream: the state inherited from the parent (copy-on-write)."""

    parent_version_id: str
    snapshot: dict[str, Any]

    def touches(self) -> Item:
        """The state every editor of the frame already saw."""
        return ("inherited", "")


Event = (
    RoiCreated
    | RoiMoved
    | RoiReshaped
    | RoiLabelAdded
    | RoiLabelRemoved
    | RoiMetadataSet
    | RoiLocked
    | RoiUnlocked
    | RoiDeleted
    | RoiRestored
    | FrameLabelAdded
    | FrameLabelRemoved
    | FrameMetadataSet
    | FrameInherited
)

EVENT_TYPES: tuple[type[Event], ...] = Event.__args__
"""Every event kind, in declaration order."""
KINDS = frozenset(cls.__name__ for cls in EVENT_TYPES)
