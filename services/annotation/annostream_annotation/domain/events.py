"""Domain events (past tense): a kind, the ROI it is about, and its data; mirrored 1:1 by protobuf messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROI_EVENTS = frozenset(
    {
        "RoiCreated",
        "RoiMoved",
        "RoiReshaped",
        "RoiLabelAdded",
        "RoiLabelRemoved",
        "RoiMetadataSet",
        "RoiLocked",
        "RoiUnlocked",
        "RoiDeleted",
        "RoiRestored",
    }
)
FRAME_EVENTS = frozenset({"FrameLabelAdded", "FrameLabelRemoved", "FrameMetadataSet"})
# First event of a child version's frame stream: the state inherited from the parent (copy-on-write).
INHERITED = "FrameInherited"
KINDS = ROI_EVENTS | FRAME_EVENTS | {INHERITED}


@dataclass(frozen=True)
class Event:
    """One state change of a frame.

    data by kind: RoiCreated {roi, copied_from?}; RoiMoved {dx, dy}; RoiReshaped {points};
    RoiLabelAdded/Removed {label}; RoiMetadataSet {metadata}; RoiDeleted {labels};
    RoiRestored {roi, previous_labels}; FrameLabelAdded/Removed {label}; FrameMetadataSet {metadata};
    FrameInherited {snapshot: doc, parent_version_id}.
    """

    kind: str
    roi_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")

    def touches(self) -> tuple[str, str]:
        """What it changes, for conflict detection: ("roi", id), ("frame_label", label), ("frame_metadata", "")
        or ("inherited", "") — the state every editor of the frame already saw."""
        if self.kind == INHERITED:
            return ("inherited", "")
        if self.kind in ROI_EVENTS:
            return ("roi", self.roi_id)
        if self.kind == "FrameMetadataSet":
            return ("frame_metadata", "")
        return ("frame_label", str(self.data["label"]))
