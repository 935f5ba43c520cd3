"""Exported frames as the writers see them, image names, and the report of what a format could not take."""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class Source:
    """One image of a frame."""

    id: str
    uri: str
    width: int
    height: int


@dataclass
class Frame:
    """A frame with its current annotations: what every writer reads."""

    frame_id: str
    base: dict[str, Any]
    rois: list[dict[str, Any]]
    frame_labels: list[str]
    metadata: dict[str, Any]
    sources: list[Source]

    @classmethod
    def parse(cls, frame_id: str, base_json: str, annotations_json: str) -> Frame:
        """From ExportFrames' JSON documents; the metadata is the annotated one when set, else the imported."""
        base, state = orjson.loads(base_json), orjson.loads(annotations_json)
        sources = [
            Source(s.get("id", ""), s.get("uri", ""), int(s.get("width", 0)), int(s.get("height", 0)))
            for s in base.get("sources", [])
        ]
        meta = state.get("metadata") or base.get("metadata") or {}
        return cls(frame_id, base, state.get("rois", []), state.get("frame_labels", []), meta, sources)

    def source_of(self, roi: dict[str, Any]) -> Source | None:
        """The source a ROI lies on (the first when it names none)."""
        sid = roi.get("source_id") or ""
        if not sid:
            return self.sources[0] if self.sources else None
        return next((s for s in self.sources if s.id == sid), None)

    def images(self) -> list[tuple[str, Source]]:
        """(image stem, source) per source: the frame id (percent-encoded), `@source id` when it has several."""
        stem = quote(self.frame_id, safe="")
        if len(self.sources) == 1:
            return [(stem, self.sources[0])]
        return [(f"{stem}@{quote(s.id, safe='')}", s) for s in self.sources]

    def rois_on(self, source: Source) -> list[dict[str, Any]]:
        """The ROIs drawn on `source`."""
        if len(self.sources) == 1:  # the common case: every ROI is on the only source
            return [r for r in self.rois if not r.get("source_id") or r["source_id"] == source.id]
        return [r for r in self.rois if self.source_of(r) is source]


def extension(uri: str) -> str:
    """The image file extension of a URI's path (.jpg when it has no known one)."""
    path = uri.split("?", 1)[0].split("#", 1)[0]
    ext = posixpath.splitext(path.rsplit("/", 1)[-1])[1].lower()
    return ext if ext in IMAGE_EXTENSIONS else ".jpg"


@dataclass
class Report:
    """What an export wrote and what it left out (shapes a format cannot express), by reason."""

    format: str
    frames: int = 0
    images: int = 0
    rois: int = 0
    exported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, roi: dict[str, Any], reason: str) -> None:
        """Count a ROI left out: `<type>: <reason>`."""
        self.skipped[f"{roi.get('type', '?')}: {reason}"] += 1

    def as_json(self) -> bytes:
        """The report file of the archive."""
        body = {
            "format": self.format,
            "frames": self.frames,
            "images": self.images,
            "rois": self.rois,
            "exported_rois": self.exported,
            "skipped_rois": sum(self.skipped.values()),
            "skipped": dict(sorted(self.skipped.items())),
        }
        return json.dumps(body, indent=1).encode()


class Labels:
    """Label → 0-based class index, in first-seen order (categories, YOLO names, VOC labelmap)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def of(self, label: str) -> int:
        """The label's index (a new label gets the next one)."""
        i = self.index.get(label)
        if i is None:
            i = self.index[label] = len(self.index)
        return i

    @property
    def names(self) -> list[str]:
        """Labels by index."""
        return list(self.index)
