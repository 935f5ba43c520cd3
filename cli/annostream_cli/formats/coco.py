"""COCO instances (boxes, polygon segmentation, key points) → frames with ROIs.

An annotation becomes: a key-point ROI when it has key points (with the category's names and skeleton and the
visibility flags in its metadata), a polygon ROI per polygon of its segmentation, else a rectangle from its bbox.
Crowd (RLE) masks are counted as skipped. annostream's own exports round-trip: frame and source ids, URIs, ROI
ids, all labels, confidence and metadata come back from the extra fields it writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import FormatError, Item, Skipped, add_source, frame_of, media_uri, number, stem_of


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path.name} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(doc, dict):
        raise FormatError(f"{path.name}: must be a JSON object with images, annotations and categories")
    for key in ("images", "annotations", "categories"):
        if not isinstance(doc.get(key, []), list):
            raise FormatError(f"{path.name}: {key}: must be a list")
    return doc


def _categories(doc: dict[str, Any], name: str) -> dict[Any, dict[str, Any]]:
    cats: dict[Any, dict[str, Any]] = {}
    for i, c in enumerate(doc.get("categories", [])):
        if not isinstance(c, dict) or "id" not in c or not isinstance(c.get("name"), str):
            raise FormatError(f"{name}: categories[{i}]: needs an id and a name")
        cats[c["id"]] = c
    return cats


def _image(img: Any, i: int, name: str, media: str) -> tuple[Any, str, dict[str, Any]]:
    where = f"{name}: images[{i}]"
    if not isinstance(img, dict) or not isinstance(img.get("file_name"), str):
        raise FormatError(f"{where}.file_name: is required")
    for k in ("width", "height"):
        if not isinstance(img.get(k), int) or img[k] < 1:
            raise FormatError(f"{where}.{k}: must be a positive integer, got {img.get(k)!r}")
    frame_id, source_id = frame_of(stem_of(img["file_name"]))
    frame_id = img.get("frame_id") or frame_id
    source = {
        "id": img.get("source_id", source_id) or None,
        "uri": img.get("coco_url") or media_uri(media, img["file_name"]),
        "width": img["width"],
        "height": img["height"],
    }
    return img.get("id"), frame_id, source


def _points(flat: Any, where: str) -> list[list[float]]:
    if not isinstance(flat, list) or len(flat) % 2:
        raise FormatError(f"{where}: must be a list of x, y numbers")
    return [
        [number(flat[j], f"{where}[{j}]"), number(flat[j + 1], f"{where}[{j + 1}]")] for j in range(0, len(flat), 2)
    ]


def _rois(ann: dict[str, Any], where: str, cat: dict[str, Any], skipped: Skipped) -> list[dict[str, Any]]:
    attrs: dict[str, Any] = ann["attributes"] if isinstance(ann.get("attributes"), dict) else {}
    labels = attrs.get("labels") if isinstance(attrs.get("labels"), list) else [cat["name"]]
    base: dict[str, Any] = {"labels": labels, "metadata": dict(attrs.get("metadata") or {})}
    if isinstance(ann.get("score"), int | float):
        base["confidence"] = float(ann["score"])
    roi_id = str(attrs.get("roi_id") or "")
    out: list[dict[str, Any]] = []
    kps = ann.get("keypoints")
    if isinstance(kps, list) and kps:
        if len(kps) % 3:
            raise FormatError(f"{where}.keypoints: must be x, y, visibility triples")
        pts = [
            [number(kps[j], f"{where}.keypoints[{j}]"), number(kps[j + 1], f"{where}.keypoints[{j + 1}]")]
            for j in range(0, len(kps), 3)
        ]
        meta = {
            **base["metadata"],
            "visibility": [int(number(kps[j + 2], f"{where}.keypoints[{j + 2}]")) for j in range(0, len(kps), 3)],
        }
        if cat.get("keypoints"):
            meta["keypoint_names"] = cat["keypoints"]
        if cat.get("skeleton"):
            meta["skeleton"] = cat["skeleton"]
        out.append({**base, "type": "keypoints", "points": pts, "metadata": meta})
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        skipped.add("crowd (RLE) masks: not imported")
    elif isinstance(seg, list) and seg:
        for k, part in enumerate(seg):
            out.append({**base, "type": "polygon", "points": _points(part, f"{where}.segmentation[{k}]")})
    elif not out:
        bbox = ann.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise FormatError(f"{where}.bbox: must be [x, y, width, height]")
        x, y, w, h = (number(v, f"{where}.bbox[{j}]") for j, v in enumerate(bbox))
        out.append({**base, "type": "rectangle", "points": [[x, y], [x + w, y + h]]})
    if roi_id:
        for k, roi in enumerate(out):
            roi["roi_id"] = roi_id if k == 0 else f"{roi_id}-{k}"
    return out


def read(path: Path, media: str | None, skipped: Skipped) -> Iterator[Item]:
    """Frames of a COCO instances file, in image order (images of one frame id are its sources)."""
    doc, name = _load(path), path.name
    cats = _categories(doc, name)
    media = media or str(path.parent.parent / "images")
    frames: dict[str, dict[str, Any]] = {}
    origins: dict[str, Item] = {}
    by_image: dict[Any, tuple[dict[str, Any], str, Item]] = {}
    for i, img in enumerate(doc.get("images", [])):
        image_id, frame_id, source = _image(img, i, name, media)
        f = add_source(frames, frame_id, source)
        item = origins.setdefault(frame_id, Item(f, f"{name}: images[{i}] ({img['file_name']})"))
        by_image[image_id] = (f, source["id"] or "", item)
    for k, ann in enumerate(doc.get("annotations", [])):
        where = f"{name}: annotations[{k}]"
        if not isinstance(ann, dict) or ann.get("image_id") not in by_image:
            raise FormatError(f"{where}.image_id: no image {ann.get('image_id') if isinstance(ann, dict) else ann!r}")
        cat = cats.get(ann.get("category_id"))
        if cat is None:
            raise FormatError(f"{where}.category_id: no category {ann.get('category_id')!r}")
        f, source_id, item = by_image[ann["image_id"]]
        for roi in _rois(ann, where, cat, skipped):
            if len(f["sources"]) > 1:
                roi["source_id"] = source_id
            f["rois"].append(roi)
            item.roi_origins.append(f"annotations[{k}] (id {ann.get('id')})")
    for item in origins.values():
        if len(item.frame["sources"]) == 1 and not item.frame["sources"][0]["id"]:
            item.frame["sources"][0].pop("id")
        yield item
