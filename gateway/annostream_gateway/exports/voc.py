"""Pascal VOC detection: one XML file per image (boxes), the image list and the label map."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from .archive import Spool, ZipStream
from .geometry import box, num
from .model import Frame, Labels, Report, Source, extension


class VocWriter:
    """Writes Annotations/<image>.xml, ImageSets/Main/default.txt, labelmap.txt and dataset_meta.json."""

    def __init__(self, z: ZipStream, report: Report) -> None:
        self.z, self.report, self.labels = z, report, Labels()
        self.index = Spool()

    def frame(self, f: Frame) -> None:
        """One XML file per source of the frame."""
        for stem, src in f.images():
            self.report.images += 1
            objects = "".join(self._object(r) for r in f.rois_on(src))
            self.z.add(f"Annotations/{stem}.xml", self._xml(stem, src, objects).encode())
            self.index.write(stem + "\n")

    def _object(self, roi: dict[str, Any]) -> str:
        if roi["type"] != "rectangle":
            self.report.skip(roi, "VOC detection holds boxes only")
            return ""
        if not roi["labels"]:
            self.report.skip(roi, "no label (a VOC object needs a name)")
            return ""
        if len(roi["labels"]) > 1:
            self.report.skipped["labels after the first (VOC objects have one name)"] += len(roi["labels"]) - 1
        self.labels.of(roi["labels"][0])
        x1, y1, x2, y2 = box(roi["points"])
        self.report.exported += 1
        return (
            f"<object><name>{escape(roi['labels'][0])}</name><pose>Unspecified</pose><truncated>0</truncated>"
            "<difficult>0</difficult><occluded>0</occluded>"
            f"<bndbox><xmin>{num(x1)}</xmin><ymin>{num(y1)}</ymin><xmax>{num(x2)}</xmax><ymax>{num(y2)}</ymax>"
            "</bndbox></object>"
        )

    @staticmethod
    def _xml(stem: str, src: Source, objects: str) -> str:
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<annotation><folder>JPEGImages</folder>'
            f"<filename>{escape(stem + extension(src.uri))}</filename><path>{escape(src.uri)}</path>"
            "<source><database>annostream</database></source>"
            f"<size><width>{src.width}</width><height>{src.height}</height><depth>3</depth></size>"
            f"<segmented>0</segmented>{objects}</annotation>\n"
        )

    def close(self, z: ZipStream) -> None:
        """The image list and the label map: labelmap.txt (Datumaro / CVAT layout) with every label it can hold, and
        dataset_meta.json (Datumaro's label list, read instead of labelmap.txt when present) with all of them."""
        z.add("ImageSets/Main/default.txt", self.index.read_all())
        names = self.labels.names
        held = [n for n in names if fits_labelmap(n)]
        lines = "# label:color_rgb:parts:actions\n" + "".join(f"{n}:::\n" for n in held)
        if left := len(names) - len(held):
            lines += f"# {left} label(s) holding ':' or starting with '#' or a space: in dataset_meta.json only\n"
        z.add("labelmap.txt", lines.encode())
        z.add("dataset_meta.json", json.dumps({"labels": names}, ensure_ascii=False, indent=1).encode())


def fits_labelmap(label: str) -> bool:
    """Whether a labelmap.txt line reads back as `label`: readers strip the line, skip '#' lines and split it into
    exactly four ':' fields, and the format has no escape."""
    return ":" not in label and not label.startswith("#") and label == label.lstrip()
