"""YOLO (Ultralytics layout: data.yaml, labels/*.txt; detect, segment or pose lines) → frames with ROIs.

Coordinates are normalised, so each image's size is needed: from sources.csv (annostream's exports write it),
else from the image file itself (images/<name>.<ext>, read by its header).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import FormatError, Item, Skipped, frame_of, media_uri

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def _names(data_yaml: Path) -> tuple[list[str], int]:
    """Class names by index and the key points per object (kpt_shape), from data.yaml."""
    import yaml  # pyyaml: data.yaml is YAML

    try:
        doc = yaml.safe_load(data_yaml.read_text())
    except yaml.YAMLError as exc:
        raise FormatError(f"data.yaml: not valid YAML ({exc})") from exc
    names = doc.get("names") if isinstance(doc, dict) else None
    if isinstance(names, dict):
        names = [str(names[k]) for k in sorted(names)]
    if not isinstance(names, list):
        raise FormatError("data.yaml: names: must be a list or a mapping of class index to name")
    kpt = doc.get("kpt_shape") or [0, 3]
    return [str(n) for n in names], int(kpt[0])


def _sizes(root: Path) -> dict[str, dict[str, Any]]:
    """stem → {frame_id, source_id, uri, width, height} from sources.csv (empty without it)."""
    path = root / "sources.csv"
    if not path.is_file():
        return {}
    out = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            out[Path(row["image"]).stem] = row
    return out


def _image_size(root: Path, stem: str, where: str) -> tuple[str, int, int]:
    import imagesize  # reads only the header of the image file

    for ext in IMAGE_EXTENSIONS:
        p = root / "images" / f"{stem}{ext}"
        if p.is_file():
            w, h = imagesize.get(p)
            if w > 0 and h > 0:
                return f"images/{stem}{ext}", int(w), int(h)
    raise FormatError(f"{where}: no image images/{stem}.* to take its size from (and no sources.csv)")


def _roi(values: list[float], names: list[str], kpt: int, w: int, h: int, where: str) -> dict[str, Any]:
    cls = values[0]
    if cls != int(cls) or not 0 <= cls < len(names):
        raise FormatError(f"{where}: class {values[0]:g} is not in data.yaml names (0..{len(names) - 1})")
    rest, labels = values[1:], [names[int(cls)]]
    if kpt and len(rest) == 4 + 3 * kpt:
        kps = rest[4:]
        pts = [[kps[i] * w, kps[i + 1] * h] for i in range(0, len(kps), 3)]
        vis = [int(kps[i + 2]) for i in range(0, len(kps), 3)]
        return {"type": "keypoints", "points": pts, "labels": labels, "metadata": {"visibility": vis}}
    if len(rest) == 4:
        cx, cy, bw, bh = rest
        return {
            "type": "rectangle",
            "points": [[(cx - bw / 2) * w, (cy - bh / 2) * h], [(cx + bw / 2) * w, (cy + bh / 2) * h]],
            "labels": labels,
        }
    if len(rest) >= 6 and len(rest) % 2 == 0:
        return {
            "type": "polygon",
            "points": [[rest[i] * w, rest[i + 1] * h] for i in range(0, len(rest), 2)],
            "labels": labels,
        }
    raise FormatError(
        f"{where}: expected class + 4 box numbers, class + x y pairs, or a pose line; found {len(values)} numbers"
    )


def read(root: Path, media: str | None, skipped: Skipped) -> Iterator[Item]:
    """Frames of a YOLO dataset directory, by label file name; `<name>@<source>` files are sources of one frame."""
    if not (root / "data.yaml").is_file():
        raise FormatError(f"{root}: no data.yaml (a YOLO dataset names its classes there)")
    names, kpt = _names(root / "data.yaml")
    known = _sizes(root)
    media = media or str(root)
    current: Item | None = None
    for path in sorted((root / "labels").rglob("*.txt")):
        rel = path.relative_to(root / "labels").with_suffix("").as_posix()
        where = f"labels/{path.name}"
        frame_id, source_id = frame_of(rel)
        if row := known.get(path.stem):
            image, w, h = row["image"], int(row["width"]), int(row["height"])
            frame_id, source_id, uri = row["frame_id"], row["source_id"], row["uri"] or media_uri(media, image)
        else:
            image, w, h = _image_size(root, rel, where)
            uri = media_uri(media, image)
        if current is not None and current.frame["id"] != frame_id:
            yield current
            current = None
        if current is None:
            current = Item({"id": frame_id, "sources": [], "rois": []}, where)
        current.frame["sources"].append({"id": source_id or None, "uri": uri, "width": w, "height": h})
        current.size += path.stat().st_size
        for n, raw in enumerate(path.read_text().splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                values = [float(v) for v in re.split(r"\s+", raw.strip())]
            except ValueError:
                raise FormatError(f"{where} line {n}: not a line of numbers: {raw[:80]!r}") from None
            roi = _roi(values, names, kpt, w, h, f"{where} line {n}")
            if source_id:
                roi["source_id"] = source_id
            current.frame["rois"].append(roi)
            current.roi_origins.append(f"{where} line {n}")
    if current is not None:
        yield current
