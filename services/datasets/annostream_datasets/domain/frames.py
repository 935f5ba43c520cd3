"""Frame validation: turns loosely typed input into FrameData or raises InvalidArgument naming the field."""

from __future__ import annotations

import math
from typing import Any

from annostream_kernel.errors import InvalidArgument

from .commands import FrameData, SourceData

MAX_ID = 512
MAX_SOURCES = 32


def _text(value: Any, field: str, *, required: bool = True, max_len: int = MAX_ID) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidArgument("must be a string", field=field)
    if required and not value.strip():
        raise InvalidArgument("is required", field=field)
    if len(value) > max_len:
        raise InvalidArgument(f"must be at most {max_len} characters", field=field)
    return value


def _int(value: Any, field: str, *, minimum: int | None = None, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument("must be a number", field=field)
    if int(value) != value:
        raise InvalidArgument("must be a whole number", field=field)
    if minimum is not None and value < minimum:
        raise InvalidArgument(f"must be >= {minimum}", field=field)
    return int(value)


def parse_frame(raw: Any, field: str = "frame") -> FrameData:
    """Validate one frame given as a JSON-like dict."""
    if not isinstance(raw, dict):
        raise InvalidArgument("must be an object", field=field)
    frame_id = _text(raw.get("id", raw.get("frame_id")), f"{field}.id")
    sources_raw = raw.get("sources")
    if not isinstance(sources_raw, list) or not sources_raw:
        raise InvalidArgument("must be a non-empty list", field=f"{field}.sources")
    if len(sources_raw) > MAX_SOURCES:
        raise InvalidArgument(f"at most {MAX_SOURCES} sources", field=f"{field}.sources")
    sources: list[SourceData] = []
    seen: set[str] = set()
    for i, s in enumerate(sources_raw):
        sf = f"{field}.sources[{i}]"
        if not isinstance(s, dict):
            raise InvalidArgument("must be an object", field=sf)
        sid = _text(s.get("id") or ("default" if len(sources_raw) == 1 else None), f"{sf}.id")
        if sid in seen:
            raise InvalidArgument(f"duplicate source id {sid!r}", field=f"{sf}.id")
        seen.add(sid)
        sources.append(
            SourceData(
                id=sid,
                uri=_text(s.get("uri"), f"{sf}.uri", max_len=4096),
                width=_int(s.get("width"), f"{sf}.width", minimum=1),
                height=_int(s.get("height"), f"{sf}.height", minimum=1),
                timestamp=_int(s.get("timestamp"), f"{sf}.timestamp", minimum=0, default=0),
                preview_uri=_text(s.get("preview_uri"), f"{sf}.preview_uri", required=False, max_len=4096),
            )
        )
    metadata = raw.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidArgument("must be a JSON object", field=f"{field}.metadata")
    context_id = raw.get("context_id") or sources[0].uri
    return FrameData(
        frame_id=frame_id,
        context_id=_text(context_id, f"{field}.context_id", max_len=4096),
        timestamp=_int(raw.get("timestamp"), f"{field}.timestamp", minimum=0, default=0),
        sources=tuple(sources),
        metadata=metadata,
    )
