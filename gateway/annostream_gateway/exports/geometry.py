"""Shape arithmetic shared by the writers: boxes, areas, keypoint visibility, number formatting."""

from __future__ import annotations

from typing import Any

Points = list[list[float]]


def box(points: Points) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max) of points."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def polygon_area(points: Points) -> float:
    """Area of a simple polygon (shoelace)."""
    n = len(points)
    s = 0.0
    for i in range(n):
        x1, y1 = points[i]
        x2, y2 = points[(i + 1) % n]
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def num(v: float) -> str:
    """A coordinate as text: an integer when it is one, else the shortest exact decimal."""
    return str(int(v)) if v == int(v) else repr(float(v))


def visibility(roi: dict[str, Any]) -> list[int]:
    """Per key point: 0 (not labelled), 1 (occluded) or 2 (visible), from metadata["visibility"] when it holds one
    valid value per point, else 2 for every point."""
    n = len(roi["points"])
    vis = (roi.get("metadata") or {}).get("visibility")
    if isinstance(vis, list) and len(vis) == n and all(isinstance(v, int | float) and v in (0, 1, 2) for v in vis):
        return [int(v) for v in vis]
    return [2] * n


def keypoint_box(roi: dict[str, Any]) -> tuple[float, float, float, float]:
    """Box of the labelled key points (all points when none is labelled)."""
    pts = [p for p, v in zip(roi["points"], visibility(roi), strict=True) if v > 0] or roi["points"]
    return box(pts)
