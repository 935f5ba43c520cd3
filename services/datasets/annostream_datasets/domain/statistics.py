"""The keys and kinds of per-version statistics (frames annotated, ROIs, label counts)."""

from __future__ import annotations

from dataclasses import dataclass

FrameKey = tuple[str, str]  # (version, frame)
RoiKey = tuple[str, str, str]  # (version, frame, ROI)
ROI, FRAME = "roi", "frame"  # what a label count is about


@dataclass(frozen=True)
class Stats:
    """Summed statistics of a version's lineage."""

    annotated_frames: int
    rois: int
    roi_labels: list[tuple[str, int]]
    frame_labels: list[tuple[str, int]]
    rois_per_frame: list[tuple[int, int]] | None = None  # (ROIs, frames) for frames with ROIs, when asked
