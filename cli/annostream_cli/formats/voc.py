"""Pascal VOC detection (Annotations/*.xml) → frames with rectangle ROIs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import FormatError, Item, Skipped, add_source, frame_of, media_uri, stem_of


def _num(node: ET.Element, path: str, where: str) -> float:
    text = node.findtext(path)
    try:
        return float(text or "")
    except ValueError:
        raise FormatError(f"{where}.{path.replace('/', '.')}: must be a number, got {text!r}") from None


def _size(root: ET.Element, where: str) -> tuple[int, int]:
    w, h = _num(root, "size/width", where), _num(root, "size/height", where)
    if w < 1 or h < 1 or w != int(w) or h != int(h):
        raise FormatError(f"{where}.size: width and height must be positive integers")
    return int(w), int(h)


def read(root_dir: Path, media: str | None, skipped: Skipped) -> Iterator[Item]:
    """Frames of a VOC dataset directory (Annotations/*.xml), by file name; `<name>@<source>` files are sources."""
    ann_dir = root_dir / "Annotations"
    if not ann_dir.is_dir():
        raise FormatError(f"{root_dir}: no Annotations directory (a Pascal VOC dataset has Annotations/*.xml)")
    media = media or str(root_dir / "JPEGImages")
    frames: dict[str, dict[str, Any]] = {}
    current: Item | None = None
    for path in sorted(ann_dir.glob("*.xml")):
        where = f"Annotations/{path.name}"
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise FormatError(f"{where} line {exc.position[0]}: not well-formed XML ({exc})") from exc
        if root.tag != "annotation":
            raise FormatError(f"{where}: the root element must be <annotation>, not <{root.tag}>")
        file_name = root.findtext("filename") or path.stem + ".jpg"
        frame_id, source_id = frame_of(stem_of(path.name))
        w, h = _size(root, where)
        source = {
            "id": source_id or None,
            "uri": root.findtext("path") or media_uri(media, file_name),
            "width": w,
            "height": h,
        }
        if current is not None and current.frame["id"] != frame_id:
            yield current
            current = None
            frames.clear()
        f = add_source(frames, frame_id, source)
        current = current or Item(f, where)
        current.size += path.stat().st_size
        for j, obj in enumerate(root.iter("object")):
            name = (obj.findtext("name") or "").strip()
            ow = f"{where}: object[{j}]"
            if obj.find("bndbox") is None:
                skipped.add("objects without a bndbox")
                continue
            x1, y1, x2, y2 = (_num(obj, f"bndbox/{k}", ow) for k in ("xmin", "ymin", "xmax", "ymax"))
            roi: dict[str, Any] = {
                "type": "rectangle",
                "points": [[x1, y1], [x2, y2]],
                "labels": [name] if name else [],
            }
            if source_id:
                roi["source_id"] = source_id
            f["rois"].append(roi)
            current.roi_origins.append(f"{path.name} object[{j}]")
    if current is not None:
        yield current
