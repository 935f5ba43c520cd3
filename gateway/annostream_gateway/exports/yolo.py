"""YOLO (Ultralytics layout): a label file per image with normalised coordinates, data.yaml with the class names.

Three layouts: detect (`class cx cy w h`: rectangles), segment (`class x1 y1 x2 y2 ...`: polygons, and rectangles as
their four corners), pose (`class cx cy w h x1 y1 v1 ...`: key points, one kpt_shape per export). sources.csv maps
each image back to its frame, source, URI and size (YOLO files carry neither).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .archive import Spool, ZipStream
from .geometry import box, keypoint_box, visibility
from .model import Frame, Labels, Report, Source, extension

TASKS = {"yolo": "detect", "yolo-segment": "segment", "yolo-pose": "pose"}
ACCEPTS = {"detect": ("rectangle",), "segment": ("rectangle", "polygon"), "pose": ("keypoints",)}


def _n(v: float) -> str:
    return f"{v:.6f}"


class YoloWriter:
    """Writes labels/<image>.txt, train.txt, sources.csv and data.yaml."""

    def __init__(self, z: ZipStream, report: Report, task: str) -> None:
        self.z, self.report, self.task, self.labels = z, report, task, Labels()
        self.kpt: int | None = None
        self.index, self.sources = Spool(), Spool()
        self.sources.write("image,frame_id,source_id,uri,width,height\r\n")

    def frame(self, f: Frame) -> None:
        """One label file per source of the frame (empty when nothing on it can be written)."""
        for stem, src in f.images():
            self.report.images += 1
            image = f"images/{stem}{extension(src.uri)}"
            lines = [line for r in f.rois_on(src) if (line := self._line(r, src))]
            self.z.add(f"labels/{stem}.txt", "".join(lines).encode())
            self.index.write(f"./{image}\n")
            row = io.StringIO()
            csv.writer(row).writerow([image, f.frame_id, src.id, src.uri, src.width, src.height])
            self.sources.write(row.getvalue())

    def _line(self, roi: dict[str, Any], src: Source) -> str:
        kind, labels = roi["type"], roi["labels"]
        if kind not in ACCEPTS[self.task]:
            self.report.skip(roi, f"YOLO {self.task} does not hold this shape")
            return ""
        if not labels:
            self.report.skip(roi, "no label (a YOLO line needs a class)")
            return ""
        if not (src.width and src.height):
            self.report.skip(roi, "its source has no size to normalise by")
            return ""
        w, h, pts = src.width, src.height, roi["points"]
        if kind == "keypoints":
            self.kpt = self.kpt or len(pts)
            if len(pts) != self.kpt:
                self.report.skip(roi, f"key point count differs from the export's kpt_shape ({self.kpt})")
                return ""
        if len(labels) > 1:
            self.report.skipped["labels after the first (a YOLO line has one class)"] += len(labels) - 1
        cls = str(self.labels.of(labels[0]))
        self.report.exported += 1
        if self.task == "segment":
            if kind == "rectangle":
                x1, y1, x2, y2 = box(pts)
                pts = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]
            return cls + "".join(f" {_n(x / w)} {_n(y / h)}" for x, y in pts) + "\n"
        x1, y1, x2, y2 = box(pts) if kind == "rectangle" else keypoint_box(roi)
        line = f"{cls} {_n((x1 + x2) / 2 / w)} {_n((y1 + y2) / 2 / h)} {_n((x2 - x1) / w)} {_n((y2 - y1) / h)}"
        if kind == "keypoints":
            vis = visibility(roi)
            line += "".join(f" {_n(x / w)} {_n(y / h)} {v}" for (x, y), v in zip(pts, vis, strict=True))
        return line + "\n"

    def close(self, z: ZipStream) -> None:
        """The image list, sources.csv and data.yaml (class names by index)."""
        z.add("train.txt", self.index.read_all())
        z.add("sources.csv", self.sources.read_all())
        names = "".join(f"  {i}: {json.dumps(n, ensure_ascii=False)}\n" for i, n in enumerate(self.labels.names))
        yaml = f"# annostream export (YOLO {self.task})\npath: .\ntrain: train.txt\nval: train.txt\n"
        yaml += f"nc: {len(self.labels.names)}\nnames:\n{names}" if names else "nc: 0\nnames: {}\n"
        if self.task == "pose":
            yaml += f"kpt_shape: [{self.kpt or 0}, 3]\n"
        z.add("data.yaml", yaml.encode())
