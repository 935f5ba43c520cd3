"""The keys and kinds of per-version statistics (frames annotated, ROIs, label counts)."""

from __future__ import annotations

FrameKey = tuple[str, str]  # (version, frame)
RoiKey = tuple[str, str, str]  # (version, frame, ROI)
ROI, FRAME = "roi", "frame"  # what a label count is about
