"""Product limits, in one place: what a request, a shape, a frame and its metadata may hold.

The gateway and the owning service both enforce them before anything is stored, and gRPC message sizes are
derived from them, so nothing can be stored that cannot be read back. docs/architecture.md ("Limits") lists
them with the reasons for each number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import InvalidArgument

MiB = 1024 * 1024

MAX_REQUEST_BYTES = 16 * MiB  # an HTTP body (413 above it)
MAX_POINTS_PER_SHAPE = 10_000  # a polygon of a 4k image traced pixel by pixel stays inside
MAX_ROIS_PER_FRAME = 10_000  # 5x the 2,000-polygon frames CVAT / Label Studio users report
MAX_LABELS_PER_ROI = 100
MAX_FRAME_LABELS = 1_000
MAX_LABEL_LENGTH = 256
MAX_ID_LENGTH = 512  # dataset, version, frame, task, ROI, source and lease ids; idempotency keys
MAX_NAME_LENGTH = 200
MAX_URI_LENGTH = 8_192
MAX_METADATA_BYTES = 64 * 1024  # one metadata object (a ROI's or a frame's), as compact JSON
MAX_METADATA_DEPTH = 16
MAX_FRAME_STATE_BYTES = 24 * MiB  # a frame's serialized state (ROIs, labels, metadata, sources)
GRPC_MAX_MESSAGE_BYTES = 64 * MiB  # > any frame state or request the limits above allow, with headroom

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT32_MAX = 2**32 - 1

GRPC_MESSAGE_OPTIONS = [
    ("grpc.max_send_message_length", GRPC_MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", GRPC_MAX_MESSAGE_BYTES),
]


def bad_text(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL or a lone surrogate), or None when it can."""
    if "\x00" in value:
        return "must not contain NUL (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


def check_text(value: str, field: str, *, max_length: int | None = None) -> str:
    """`value` if it is storable text within `max_length` characters; else InvalidArgument naming `field`."""
    if (why := bad_text(value)) is not None:
        raise InvalidArgument(why, field=field)
    if max_length is not None and len(value) > max_length:
        raise InvalidArgument(f"must be at most {max_length} characters", field=field)
    return value


def check_int(value: int, field: str, lo: int = INT64_MIN, hi: int = INT64_MAX) -> int:
    """`value` if lo <= value <= hi (64-bit signed by default); else InvalidArgument naming `field`."""
    if not lo <= value <= hi:
        raise InvalidArgument(f"must be between {lo} and {hi}", field=field)
    return value


def check_json(value: Any, field: str, *, max_depth: int = MAX_METADATA_DEPTH, _depth: int = 0) -> None:
    """A JSON value that can be stored and read back: storable text (keys too), finite numbers, 64-bit integers,
    at most `max_depth` levels of nesting; else InvalidArgument naming the path of the bad part."""
    if _depth > max_depth:
        raise InvalidArgument(f"nests deeper than {max_depth} levels", field=field)
    if isinstance(value, str):
        check_text(value, field)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        check_int(value, field)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgument("must be a finite number (no NaN or Infinity)", field=field)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidArgument("keys must be strings", field=field)
            check_text(k, f"{field}.{k}" if field else k)
            check_json(v, f"{field}.{k}" if field else k, max_depth=max_depth, _depth=_depth + 1)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_json(v, f"{field}[{i}]", max_depth=max_depth, _depth=_depth + 1)
    else:
        raise InvalidArgument(f"is not a JSON value ({type(value).__name__})", field=field)
