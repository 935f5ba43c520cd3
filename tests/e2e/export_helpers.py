"""Shared by the export/import tests: a version with every kind of ROI, polling, archives, tiny PNG images."""

from __future__ import annotations

import io
import struct
import time
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import httpx

W, H = 640, 480
SKELETON_META = {"keypoint_names": ["head", "hand", "foot"], "skeleton": [[1, 2], [2, 3]], "visibility": [2, 1, 0]}


def src(uri: str, sid: str = "cam") -> dict[str, Any]:
    return {"id": sid, "uri": uri, "width": W, "height": H}


def sample_frames(n_plain: int = 3) -> list[dict[str, Any]]:
    """Frames covering every shape, an unlabelled ROI, two labels, metadata, frame labels and two sources."""
    frames: list[dict[str, Any]] = [
        {
            "id": "f-shapes",
            "sources": [src("file:///data/f-shapes.png")],
            "metadata": {"city": "bremen", "speed": 30, "frame_no": 2**53 + 1},  # integers stay exact (JSON text)
            "frame_labels": ["day"],
            "rois": [
                {"roi_id": "r1", "type": "rectangle", "points": [[10, 20], [110, 70]], "labels": ["car", "red"]},
                {"roi_id": "r2", "type": "polygon", "points": [[200, 200], [300, 200], [250, 280]], "labels": ["sign"]},
                {
                    "roi_id": "r3",
                    "type": "keypoints",
                    "points": [[400, 100], [420, 150], [0, 0]],
                    "labels": ["person"],
                    "metadata": SKELETON_META,
                },
                {"roi_id": "r4", "type": "ellipse", "points": [[500, 300], [560, 340]], "labels": ["ball"]},
                {"roi_id": "r5", "type": "rectangle", "points": [[1, 1], [5.5, 7.25]], "labels": []},
                {
                    "roi_id": "r6",
                    "type": "rectangle",
                    "points": [[300.5, 10], [350, 60.75]],
                    "labels": ["car"],
                    "confidence": 0.75,
                    "metadata": {"note": "parked"},
                    "locked": True,
                },
            ],
        },
        {
            "id": "f-two:sources",
            "context_id": "clip-1",
            "timestamp": 1700000000123,
            "sources": [src("file:///data/left.jpg", "left"), src("file:///data/right.jpg", "right")],
            "metadata": {"city": "paris"},
            "rois": [
                {
                    "roi_id": "a",
                    "type": "rectangle",
                    "points": [[1, 2], [30, 40]],
                    "labels": ["car"],
                    "source_id": "left",
                },
                {
                    "roi_id": "b",
                    "type": "polygon",
                    "points": [[5, 5], [50, 5], [50, 50], [5, 50]],
                    "labels": ["sign"],
                    "source_id": "right",
                },
            ],
        },
    ]
    for i in range(n_plain):
        frames.append({"id": f"plain-{i}", "sources": [src(f"file:///data/plain-{i}.jpg")], "metadata": {"i": i}})
    return frames


def new_version(c: httpx.Client, frames: list[dict[str, Any]], name: str = "exp") -> tuple[str, str]:
    """A Draft version holding `frames`, once the annotation service serves the last one's ROIs."""
    ds = c.post("/api/v1/datasets", json={"name": f"{name}-{uuid.uuid4().hex[:8]}"}).json()
    v = c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
    c.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}).raise_for_status()
    wait_frames(c, v["version_id"], frames)
    return ds["dataset_id"], v["version_id"]


def wait_frames(c: httpx.Client, version_id: str, frames: list[dict[str, Any]], *, rois: bool = True) -> None:
    """Until every frame is served (with as many ROIs as it was imported with, unless `rois` is False)."""
    for f in frames:
        want = len(f.get("rois", [])) if rois else None
        deadline = time.monotonic() + 20
        while True:
            r = c.get(f"/api/v1/versions/{version_id}/frames/{f['id']}")
            if r.status_code == 200 and want in (None, len(r.json()["rois"])):
                break
            assert time.monotonic() < deadline, f"frame {f['id']} not served: {r.status_code} {r.text[:200]}"
            time.sleep(0.05)


def unzip(body: bytes, into: Path) -> dict[str, bytes]:
    """Extract an archive (it must be complete) and return its files."""
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert z.testzip() is None
        z.extractall(into)
        return {n: z.read(n) for n in z.namelist()}


def png(path: Path, width: int = W, height: int = H) -> None:
    """A valid grey PNG of the given size (what YOLO readers measure images by)."""
    raw = b"".join(b"\x00" + bytes(width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )
