"""What every reader shares: the frames it yields (with where each came from), what it skipped, names → ids."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote


class FormatError(Exception):
    """A file that does not follow its format; the message names the file, line or entry, and the field."""


@dataclass
class Item:
    """One frame to import, with where it and each of its ROIs came from (for error messages)."""

    frame: dict[str, Any]
    origin: str
    roi_origins: list[str] = field(default_factory=list)
    size: int = 0  # bytes of input it stands for (progress)


@dataclass
class Skipped:
    """What a reader could not turn into ROIs, by reason (reported, never silent)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, n: int = 1) -> None:
        """Count `n` left out for `reason`."""
        self.counts[reason] += n


def frame_of(stem: str) -> tuple[str, str]:
    """(frame id, source id) of an image stem: `<frame>` or `<frame>@<source>`, percent-decoded (the names
    annostream's exports give images; any other name is its own frame)."""
    frame, _, source = stem.partition("@")
    return unquote(frame), unquote(source)


def stem_of(file_name: str) -> str:
    """An image file name without its extension (directories kept)."""
    return posixpath.splitext(file_name)[0]


def media_uri(prefix: str, relative: str) -> str:
    """A source URI: the prefix (a URL or a directory) joined with the image's relative path."""
    if "://" in prefix:
        return prefix.rstrip("/") + "/" + relative
    return (Path(prefix) / relative).resolve().as_uri()


def add_source(frames: dict[str, dict[str, Any]], frame_id: str, source: dict[str, Any]) -> dict[str, Any]:
    """The frame with that id (created on first sight) after adding `source` to it."""
    f = frames.setdefault(frame_id, {"id": frame_id, "sources": [], "rois": []})
    f["sources"].append(source)
    return f


def number(v: Any, where: str) -> float:
    """A JSON number or FormatError naming `where`."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise FormatError(f"{where}: must be a number, got {v!r}")
    return float(v)
