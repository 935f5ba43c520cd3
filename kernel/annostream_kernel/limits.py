"""Product limits, in one place: what a request, a shape, a frame and its metadata may hold.

The gateway and the owning service both enforce them before anything is stored, and gRPC message sizes are
derived from them, so nothing can be stored that cannot be read back. docs/architecture.md ("Limits") lists
them with the reasons for each number.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import InvalidArgument

MiB = 1024 * 1024

MAX_REQUEST_BYTES = 16 * MiB  # an HTTP body (413 above it)
MAX_POINTS_PER_SHAPE = 10_000  # a polygon of a 4k image traced pixel by pixel stays inside
MAX_ROIS_PER_FRAME = 10_000  # 5x the 2,000-polygon frames CVAT / Label Studio users report
MAX_LABELS_PER_ROI = 100
MAX_FRAME_LABELS = 1_000
MAX_LABELS_PER_TASK = 1_000  # a task's label set and its default labels
MAX_LABEL_LENGTH = 256
MAX_ID_LENGTH = 512  # dataset, version, frame, task, ROI, source and lease ids; idempotency keys
MAX_NAME_LENGTH = 200
MAX_URI_LENGTH = 8_192
MAX_METADATA_BYTES = 64 * 1024  # one metadata object (a ROI's or a frame's), as compact JSON
MAX_METADATA_DEPTH = 16
MAX_FRAME_STATE_BYTES = 24 * MiB  # a frame's serialized state (ROIs, labels, metadata, sources)
MAX_TEXT_LENGTH = 64 * 1024  # any other string field of a request (queries, page tokens, JSON text)
MAX_SOURCES_PER_FRAME = 32
MAX_MASKS_PER_SOURCE = 32
MAX_IMPORT_BATCH = 10_000  # frames per import request (or per message of a streaming import)
MAX_COMMANDS_PER_SAVE = 1_000
MAX_SAVE_REQUEST_BYTES = MAX_REQUEST_BYTES  # one serialized SaveFrame request
MAX_EVENT_BYTES = 30 * MiB  # one stored event's payload (FrameInherited carries a whole frame state)
NATS_MAX_PAYLOAD_BYTES = 32 * MiB  # the NATS server's max_payload; JetStream stores messages below 32 MiB
MAX_PAGE_BYTES = 16 * MiB  # a page of a list (events, frames, tasks) stops before this size
MAX_STORED_RESPONSE_BYTES = 1 * MiB  # a save's answer kept for its idempotency key (larger: without the frame)
GRPC_MAX_MESSAGE_BYTES = 64 * MiB  # > any frame state or request the limits above allow, with headroom

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT32_MAX = 2**32 - 1
INT32_MAX = 2**31 - 1

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


# C0 and C1 control characters and the Unicode line and paragraph separators: every export's label file (VOC XML,
# YOLO data.yaml, labelmap.txt) and a source's URI in VOC XML cannot hold them, so labels and URIs refuse them.
CONTROL_OR_LINE_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def bad_label(value: str) -> str | None:
    """Why `value` cannot be stored as a label or URI (what bad_text refuses, a control character or a line
    break), or None when it can."""
    if value.isprintable():  # the common case; printable text holds none of them
        return bad_text(value)
    if (why := bad_text(value)) is not None:
        return why
    if (found := CONTROL_OR_LINE_BREAK.search(value)) is not None:
        return f"must not contain control characters or line breaks (has U+{ord(found.group()):04X})"
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


def check_json(
    value: Any, field: str, *, max_depth: int = MAX_METADATA_DEPTH, empty_keys: bool = True, _depth: int = 0
) -> None:
    """A JSON value that can be stored and read back: storable text (keys too, non-empty unless `empty_keys`),
    finite numbers, 64-bit integers, at most `max_depth` levels of nesting; else InvalidArgument naming the path
    of the bad part."""
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
            _check_key(k, field, empty_keys)
            check_json(v, f"{field}.{k}" if field else k, max_depth=max_depth, empty_keys=empty_keys, _depth=_depth + 1)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_json(v, f"{field}[{i}]", max_depth=max_depth, empty_keys=empty_keys, _depth=_depth + 1)
    else:
        raise InvalidArgument(f"is not a JSON value ({type(value).__name__})", field=field)


def _check_key(key: Any, field: str, empty_keys: bool) -> None:
    if not isinstance(key, str):
        raise InvalidArgument("keys must be strings", field=field)
    if not key and not empty_keys:
        raise InvalidArgument('has an empty key "" (a filter cannot name it)', field=field)
    check_text(key, f"{field}.{key}" if field else key)


def dump_json(value: Any) -> str:
    """Compact JSON text of a checked value (what metadata_json fields and jsonb columns hold)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def check_metadata(value: Any, field: str) -> dict[str, Any]:
    """A metadata object: a JSON object within MAX_METADATA_DEPTH levels and MAX_METADATA_BYTES of compact
    JSON, storable text, no empty key (the frame filters' meta.<key> cannot name one), finite numbers, 64-bit
    integers; else InvalidArgument naming the bad part."""
    if not isinstance(value, dict):
        raise InvalidArgument("must be a JSON object", field=field)
    check_json(value, field, empty_keys=False)
    size = len(dump_json(value).encode())
    if size > MAX_METADATA_BYTES:
        raise InvalidArgument(f"is {size} bytes of JSON, over the limit of {MAX_METADATA_BYTES}", field=field)
    return value


def parse_metadata(text: str, field: str) -> dict[str, Any]:
    """Metadata given as JSON text → the checked object (integers stay integers); InvalidArgument naming
    `field` for text that is not JSON or breaks a limit. Empty text is the empty object."""
    if not text:
        return {}
    if len(text) > MAX_METADATA_BYTES:  # characters <= bytes: over the byte limit for sure
        raise InvalidArgument(f"is over the limit of {MAX_METADATA_BYTES} bytes of JSON", field=field)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidArgument(f"is not valid JSON ({exc})", field=field) from exc
    return check_metadata(value, field)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
