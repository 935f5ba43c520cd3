"""Editor commands (imperative), one per action of the frame editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .roi import RoiSpec


@dataclass(frozen=True)
class CreateRoi:
    """Draw a new ROI."""

    roi: RoiSpec


@dataclass(frozen=True)
class PasteRois:
    """Paste copied ROIs (each gets a new id); `sources` names where each was copied from."""

    rois: tuple[RoiSpec, ...]
    sources: tuple[tuple[str, str, str], ...] = ()  # (version_id, frame_id, roi_id) per ROI, or empty


@dataclass(frozen=True)
class MoveRoi:
    """Move a ROI by (dx, dy) source pixels."""

    roi_id: str
    dx: float
    dy: float


@dataclass(frozen=True)
class ReshapeRoi:
    """Give a ROI new points (resize, reshape)."""

    roi_id: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class AddRoiLabel:
    """Add a label to a ROI."""

    roi_id: str
    label: str


@dataclass(frozen=True)
class RemoveRoiLabel:
    """Remove a label from a ROI ("delete label")."""

    roi_id: str
    label: str


@dataclass(frozen=True)
class SetRoiMetadata:
    """Replace a ROI's metadata (a JSON object)."""

    roi_id: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LockRoi:
    """Make a ROI uneditable."""

    roi_id: str


@dataclass(frozen=True)
class UnlockRoi:
    """Make a ROI editable again."""

    roi_id: str


@dataclass(frozen=True)
class LockAllRois:
    """Lock every ROI of the frame."""


@dataclass(frozen=True)
class UnlockAllRois:
    """Unlock every ROI of the frame."""


@dataclass(frozen=True)
class DeleteRoi:
    """Delete a ROI."""

    roi_id: str


@dataclass(frozen=True)
class AddFrameLabel:
    """Add a label describing the whole frame."""

    label: str


@dataclass(frozen=True)
class RemoveFrameLabel:
    """Remove a frame label."""

    label: str


@dataclass(frozen=True)
class SetFrameMetadata:
    """Replace the frame's metadata (a JSON object)."""

    metadata: dict[str, Any] = field(default_factory=dict)


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

COMMAND_NAMES: dict[type, str] = {
    CreateRoi: "create_roi",
    PasteRois: "paste_rois",
    MoveRoi: "move_roi",
    ReshapeRoi: "reshape_roi",
    AddRoiLabel: "add_roi_label",
    RemoveRoiLabel: "remove_roi_label",
    SetRoiMetadata: "set_roi_metadata",
    LockRoi: "lock_roi",
    UnlockRoi: "unlock_roi",
    LockAllRois: "lock_all_rois",
    UnlockAllRois: "unlock_all_rois",
    DeleteRoi: "delete_roi",
    AddFrameLabel: "add_frame_label",
    RemoveFrameLabel: "remove_frame_label",
    SetFrameMetadata: "set_frame_metadata",
}
"""The wire name of each command (the oneof field in the API), used in error field paths."""
