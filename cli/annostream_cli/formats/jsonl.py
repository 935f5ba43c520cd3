"""annostream's JSON lines (one frame object per line): what `annostream import` always read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from .common import FormatError, Item, Skipped


def read(path: Path, media: str | None, skipped: Skipped) -> Iterator[Item]:
    """One frame per non-blank line; a line that is not JSON stops the import with its number."""
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                frame = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise FormatError(f"line {n}: not valid JSON ({exc})") from exc
            rois = frame.get("rois") if isinstance(frame, dict) else None
            yield Item(frame, f"line {n}", [f"line {n}"] * len(rois if isinstance(rois, list) else []), len(raw))
