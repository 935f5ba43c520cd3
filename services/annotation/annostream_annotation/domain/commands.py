"""Editor commands (imperative), one per action of the frame editor: each names its API field, declares what it
touches (for the rebase rule) and decides its events on the frame's current state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import MAX_FRAME_LABELS, MAX_LABELS_PER_ROI

from . import events as ev
from .events import Event, Item
from .roi import RoiSpec, RoiType, Sources, validate_label, validate_metadata, validate_points

ALL_ROIS: Item = ("all_rois", "")


class Frame(Protocol):
    """What a command decides on (domain/model.py FrameAggregate)."""

    rois: dict[str, dict[str, Any]]
    frame_labels: list[str]
    sources: Sources

    def roi(self, roi_id: str, where: str, *, unlocking: bool = False) -> dict[str, Any]:
        """The ROI a command edits: NotFound when absent, FailedPrecondition when locked (unless unlocking)."""

    def check_new_roi(self, spec: RoiSpec, where: str, adding: int = 1) -> None:
        """Refuse a new ROI whose id is taken, that breaks the frame's limits or a ROI invariant."""


class _RoiCommand:
    roi_id: str

    def touches(self) -> set[Item]:
        """What the command changes: its ROI."""
        return {("roi", self.roi_id)}


class _FrameLabelCommand:
    label: str

    def touches(self) -> set[Item]:
        """What the command changes: the frame label."""
        return {("frame_label", self.label)}


class _AllRoisCommand:
    def touches(self) -> set[Item]:
        """What the command changes: every ROI."""
        return {ALL_ROIS}


@dataclass(frozen=True)
class CreateRoi:
    """Draw a new ROI."""

    name: ClassVar[str] = "create_roi"
    roi: RoiSpec

    def touches(self) -> set[Item]:
        """The new ROI."""
        return {("roi", self.roi.roi_id)}

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiCreated, if the ROI is valid and new."""
        frame.check_new_roi(self.roi, f"{where}.roi")
        return [ev.RoiCreated(self.roi.roi_id, self.roi.doc())]


@dataclass(frozen=True)
class PasteRois:
    """Paste copied ROIs (each gets a new id); `sources` names where each was copied from."""

    name: ClassVar[str] = "paste_rois"
    rois: tuple[RoiSpec, ...]
    sources: tuple[tuple[str, str, str], ...] = ()  # (version_id, frame_id, roi_id) per ROI, or empty

    def touches(self) -> set[Item]:
        """The new ROIs."""
        return {("roi", s.roi_id) for s in self.rois}

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """One RoiCreated per ROI (with where it was copied from)."""
        out: list[Event] = []
        seen: set[str] = set()
        for i, spec in enumerate(self.rois):
            frame.check_new_roi(spec, f"{where}.rois[{i}]", adding=i + 1)
            if spec.roi_id in seen:
                raise InvalidArgument(f"ROI id {spec.roi_id!r} appears twice", field=f"{where}.rois[{i}].roi_id")
            seen.add(spec.roi_id)
            origin = (
                dict(zip(("version_id", "frame_id", "roi_id"), self.sources[i], strict=True))
                if i < len(self.sources)
                else None
            )
            out.append(ev.RoiCreated(spec.roi_id, spec.doc(), origin))
        return out


@dataclass(frozen=True)
class MoveRoi(_RoiCommand):
    """Move a ROI by (dx, dy) source pixels."""

    name: ClassVar[str] = "move_roi"
    roi_id: str
    dx: float
    dy: float

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiMoved, unless it moves nothing; the moved points must stay inside the source."""
        roi = frame.roi(self.roi_id, where)
        moved = [[x + self.dx, y + self.dy] for x, y in roi["points"]]
        try:
            validate_points(RoiType(roi["type"]), moved, frame.sources, roi["source_id"], "points")
        except InvalidArgument as err:
            raise InvalidArgument(f"the move {err.message.split(': ', 1)[-1]}", field=f"{where}.dx") from err
        return [ev.RoiMoved(self.roi_id, self.dx, self.dy)] if self.dx or self.dy else []


@dataclass(frozen=True)
class ReshapeRoi(_RoiCommand):
    """Give a ROI new points (resize, reshape)."""

    name: ClassVar[str] = "reshape_roi"
    roi_id: str
    points: tuple[tuple[float, float], ...]

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiReshaped, if the points fit the ROI's type and source."""
        roi = frame.roi(self.roi_id, where)
        validate_points(RoiType(roi["type"]), self.points, frame.sources, roi["source_id"], f"{where}.points")
        return [ev.RoiReshaped(self.roi_id, [list(p) for p in self.points])]


@dataclass(frozen=True)
class AddRoiLabel(_RoiCommand):
    """Add a label to a ROI."""

    name: ClassVar[str] = "add_roi_label"
    roi_id: str
    label: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiLabelAdded, unless the ROI has it already."""
        roi = frame.roi(self.roi_id, where)
        validate_label(self.label, f"{where}.label")
        if self.label in roi["labels"]:
            return []
        if len(roi["labels"]) >= MAX_LABELS_PER_ROI:
            raise InvalidArgument(f"a ROI has at most {MAX_LABELS_PER_ROI} labels", field=f"{where}.label")
        return [ev.RoiLabelAdded(self.roi_id, self.label)]


@dataclass(frozen=True)
class RemoveRoiLabel(_RoiCommand):
    """Remove a label from a ROI ("delete label")."""

    name: ClassVar[str] = "remove_roi_label"
    roi_id: str
    label: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiLabelRemoved, if the ROI has the label."""
        roi = frame.roi(self.roi_id, where)
        return [ev.RoiLabelRemoved(self.roi_id, self.label)] if self.label in roi["labels"] else []


@dataclass(frozen=True)
class SetRoiMetadata(_RoiCommand):
    """Replace a ROI's metadata (a JSON object)."""

    name: ClassVar[str] = "set_roi_metadata"
    roi_id: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiMetadataSet."""
        frame.roi(self.roi_id, where)
        validate_metadata(self.metadata, f"{where}.metadata")
        return [ev.RoiMetadataSet(self.roi_id, self.metadata)]


@dataclass(frozen=True)
class LockRoi(_RoiCommand):
    """Make a ROI uneditable."""

    name: ClassVar[str] = "lock_roi"
    roi_id: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiLocked, unless locked already."""
        roi = frame.roi(self.roi_id, where, unlocking=True)
        return [] if roi["locked"] else [ev.RoiLocked(self.roi_id)]


@dataclass(frozen=True)
class UnlockRoi(_RoiCommand):
    """Make a ROI editable again."""

    name: ClassVar[str] = "unlock_roi"
    roi_id: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiUnlocked, if locked."""
        roi = frame.roi(self.roi_id, where, unlocking=True)
        return [ev.RoiUnlocked(self.roi_id)] if roi["locked"] else []


@dataclass(frozen=True)
class LockAllRois(_AllRoisCommand):
    """Lock every ROI of the frame."""

    name: ClassVar[str] = "lock_all_rois"

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiLocked for every unlocked ROI."""
        return [ev.RoiLocked(rid) for rid, r in frame.rois.items() if not r["locked"]]


@dataclass(frozen=True)
class UnlockAllRois(_AllRoisCommand):
    """Unlock every ROI of the frame."""

    name: ClassVar[str] = "unlock_all_rois"

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiUnlocked for every locked ROI."""
        return [ev.RoiUnlocked(rid) for rid, r in frame.rois.items() if r["locked"]]


@dataclass(frozen=True)
class DeleteRoi(_RoiCommand):
    """Delete a ROI."""

    name: ClassVar[str] = "delete_roi"
    roi_id: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """RoiDeleted (with its labels)."""
        roi = frame.roi(self.roi_id, where)
        return [ev.RoiDeleted(self.roi_id, list(roi["labels"]))]


@dataclass(frozen=True)
class AddFrameLabel(_FrameLabelCommand):
    """Add a label describing the whole frame."""

    name: ClassVar[str] = "add_frame_label"
    label: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """FrameLabelAdded, unless the frame has it already."""
        validate_label(self.label, f"{where}.label")
        if self.label in frame.frame_labels:
            return []
        if len(frame.frame_labels) >= MAX_FRAME_LABELS:
            raise InvalidArgument(f"a frame has at most {MAX_FRAME_LABELS} labels", field=f"{where}.label")
        return [ev.FrameLabelAdded(self.label)]


@dataclass(frozen=True)
class RemoveFrameLabel(_FrameLabelCommand):
    """Remove a frame label."""

    name: ClassVar[str] = "remove_frame_label"
    label: str

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """FrameLabelRemoved, if the frame has the label."""
        return [ev.FrameLabelRemoved(self.label)] if self.label in frame.frame_labels else []


@dataclass(frozen=True)
class SetFrameMetadata:
    """Replace the frame's metadata (a JSON object)."""

    name: ClassVar[str] = "set_frame_metadata"
    metadata: dict[str, Any] = field(default_factory=dict)

    def touches(self) -> set[Item]:
        """The frame's metadata."""
        return {("frame_metadata", "")}

    def decide(self, frame: Frame, where: str) -> list[Event]:
        """FrameMetadataSet."""
        validate_metadata(self.metadata, f"{where}.metadata")
        return [ev.FrameMetadataSet(self.metadata)]


Command = (
    CreateRoi
    | PasteRois
    | MoveRoi
    | ReshapeRoi
    | AddRoiLabel
    | RemoveRoiLabel
    | SetRoiMetadata
    | LockRoi
    | UnlockRoi
    | LockAllRois
    | UnlockAllRois
    | DeleteRoi
    | AddFrameLabel
    | RemoveFrameLabel
    | SetFrameMetadata
)

COMMAND_TYPES: tuple[type[Command], ...] = Command.__args__
"""Every command, in declaration order."""
COMMAND_NAMES: dict[type, str] = {cls: cls.name for cls in COMMAND_TYPES}
"""The wire name of each command (the oneof field in the API), used in error field paths."""
