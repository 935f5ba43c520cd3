"""COCO instances (detection boxes, polygon segmentation, key points with a skeleton per label), one JSON file.

The file is written in one pass: annotations stream straight into the archive while the (much smaller) image
entries are spooled aside and follow them; categories come last, when every label has been seen. JSON object key
order carries no meaning, and pycocotools, Datumaro and globox read the keys in any order.
"""

from __future__ import annotations

from typing import IO, Any

import orjson

from .archive import Spool, ZipStream
from .geometry import box, keypoint_box, polygon_area, visibility
from .model import Frame, Labels, Report, extension

PATH = "annotations/instances_default.json"
KEYPOINT_KEYS = ("visibility", "keypoint_names", "skeleton")
_dumps = orjson.dumps


class KeypointSpec:
    """A label's key points: count, names and skeleton, from the first key-point ROI with that label."""

    def __init__(self, roi: dict[str, Any]) -> None:
        meta = roi.get("metadata") or {}
        self.count = len(roi["points"])
        names = meta.get("keypoint_names")
        if isinstance(names, list) and len(names) == self.count and all(isinstance(n, str) for n in names):
            self.names = [str(n) for n in names]
        else:
            self.names = [str(i + 1) for i in range(self.count)]
        skeleton = meta.get("skeleton")
        self.skeleton: list[list[int]] = []
        if isinstance(skeleton, list) and all(_edge(e, self.count) for e in skeleton):
            self.skeleton = [[int(i) for i in e] for e in skeleton]


def _edge(e: Any, n: int) -> bool:
    """A pair of 1-based point numbers (integral floats too: metadata numbers may arrive as floats)."""
    return (
        isinstance(e, list)
        and len(e) == 2
        and all(isinstance(i, int | float) and i == int(i) and 1 <= i <= n for i in e)
    )


class CocoWriter:
    """Writes annotations/instances_default.json."""

    def __init__(self, z: ZipStream, report: Report) -> None:
        self.report, self.labels = report, Labels()
        self.keypoints: dict[str, KeypointSpec] = {}
        self.images = Spool()
        self.out: IO[bytes] = z.open(PATH)
        self.out.write(b'{"info":{"description":"annostream export"},"licenses":[],"annotations":[')
        self.image_id = self.ann_id = 0

    def frame(self, f: Frame) -> None:
        """The frame's images and annotations."""
        anns: list[dict[str, Any]] = []
        for stem, src in f.images():
            self.image_id += 1
            image = {
                "id": self.image_id,
                "file_name": stem + extension(src.uri),
                "width": src.width,
                "height": src.height,
                "coco_url": src.uri,
                "frame_id": f.frame_id,
                "source_id": src.id,
            }
            self.images.write_bytes((b"," if self.image_id > 1 else b"") + _dumps(image))
            for roi in f.rois_on(src):
                ann = self._annotation(roi)
                if ann is not None:
                    anns.append(ann)
        if anns:
            self.out.write((b"," if self.ann_id > len(anns) else b"") + _dumps(anns)[1:-1])

    def _annotation(self, roi: dict[str, Any]) -> dict[str, Any] | None:
        kind, labels, pts = roi["type"], roi["labels"], roi["points"]
        if not labels:
            self.report.skip(roi, "no label (a COCO annotation needs a category)")
            return None
        if kind == "rectangle":
            (ax, ay), (bx, by) = pts
            x1, x2 = (ax, bx) if ax < bx else (bx, ax)
            y1, y2 = (ay, by) if ay < by else (by, ay)
            w, h = x2 - x1, y2 - y1
            ann: dict[str, Any] = {"bbox": [x1, y1, w, h], "area": w * h, "segmentation": []}
        elif kind == "polygon":
            x1, y1, x2, y2 = box(pts)
            flat = [c for p in pts for c in p]
            ann = {"bbox": [x1, y1, x2 - x1, y2 - y1], "area": polygon_area(pts), "segmentation": [flat]}
        elif kind == "keypoints":
            spec = self.keypoints.get(labels[0]) or self.keypoints.setdefault(labels[0], KeypointSpec(roi))
            if len(pts) != spec.count:
                self.report.skip(roi, f"key point count differs from the label's first ({spec.count})")
                return None
            vis = visibility(roi)
            x1, y1, x2, y2 = keypoint_box(roi)
            ann = {
                "bbox": [x1, y1, x2 - x1, y2 - y1],
                "area": (x2 - x1) * (y2 - y1),
                "segmentation": [],
                "keypoints": [c for (x, y), v in zip(pts, vis, strict=True) for c in (x, y, v)],
                "num_keypoints": sum(1 for v in vis if v > 0),
            }
        else:
            self.report.skip(roi, "COCO has no ellipses")
            return None
        self.ann_id += 1
        category = self.labels.index.get(labels[0])
        ann["id"], ann["image_id"], ann["iscrowd"] = self.ann_id, self.image_id, 0
        ann["category_id"] = (category if category is not None else self.labels.of(labels[0])) + 1
        if roi.get("confidence") is not None:
            ann["score"] = roi["confidence"]
        attributes: dict[str, Any] = {"roi_id": roi["roi_id"]}
        if len(labels) > 1:
            attributes["labels"] = labels
        if meta := roi.get("metadata"):
            if kind == "keypoints":
                meta = {k: v for k, v in meta.items() if k not in KEYPOINT_KEYS}
            if meta:
                attributes["metadata"] = meta
        ann["attributes"] = attributes
        self.report.exported += 1
        return ann

    def close(self, z: ZipStream) -> None:
        """Images and categories after the annotations; then the file is complete."""
        self.out.write(b'],"images":[')
        self.images.copy_to(self.out)
        categories = []
        for name, i in self.labels.index.items():
            cat: dict[str, Any] = {"id": i + 1, "name": name, "supercategory": ""}
            if spec := self.keypoints.get(name):
                cat.update(keypoints=spec.names, skeleton=spec.skeleton)
            categories.append(cat)
        self.out.write(b'],"categories":' + _dumps(categories) + b"}")
        self.out.close()
        self.report.images = self.image_id
