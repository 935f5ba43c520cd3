"""Which product limits a stored frame state breaks (older data, stored before a limit existed)."""

from __future__ import annotations

from typing import Any

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import (
    MAX_FRAME_LABELS,
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_LABELS_PER_ROI,
    MAX_POINTS_PER_SHAPE,
    MAX_ROIS_PER_FRAME,
    check_metadata,
)


def _metadata(value: Any, where: str) -> list[str]:
    try:
        check_metadata(value or {}, where)
    except InvalidArgument as err:
        return [err.message]
    return []


def _labels(labels: list[str], where: str, most: int, limit_name: str) -> list[str]:
    out = [f"{where}: {len(labels)} labels ({limit_name} = {most})"] if len(labels) > most else []
    long = [label for label in labels if len(label) > MAX_LABEL_LENGTH]
    if long:
        out.append(f"{where}: {len(long)} labels longer than {MAX_LABEL_LENGTH} characters (MAX_LABEL_LENGTH)")
    return out


def violations(doc: dict[str, Any]) -> list[str]:
    """Each limit the frame document (a projection's `doc`) breaks, naming the limit; empty when none."""
    rois = doc.get("rois", [])
    out = [f"{len(rois)} ROIs (MAX_ROIS_PER_FRAME = {MAX_ROIS_PER_FRAME})"] if len(rois) > MAX_ROIS_PER_FRAME else []
    for roi in rois:
        where = f"ROI {str(roi.get('roi_id', ''))[:80]!r}"
        if len(roi.get("roi_id", "")) > MAX_ID_LENGTH:
            out.append(f"{where}: id longer than {MAX_ID_LENGTH} characters (MAX_ID_LENGTH)")
        if (n := len(roi.get("points", []))) > MAX_POINTS_PER_SHAPE:
            out.append(f"{where}: {n} points (MAX_POINTS_PER_SHAPE = {MAX_POINTS_PER_SHAPE})")
        out += _labels(roi.get("labels", []), where, MAX_LABELS_PER_ROI, "MAX_LABELS_PER_ROI")
        out += _metadata(roi.get("metadata"), f"{where} metadata")
    out += _labels(doc.get("frame_labels", []), "frame labels", MAX_FRAME_LABELS, "MAX_FRAME_LABELS")
    out += _metadata(doc.get("metadata"), "frame metadata")
    return out
