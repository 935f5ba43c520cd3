"""The field of a serialized message that protobuf refused to parse: a small scanner of the wire format."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor as F


def undecodable_field(desc: Any, data: bytes, prefix: str = "") -> str | None:
    """The path of the first string field in `data` (a serialized `desc` message) that is not valid UTF-8,
    or None when none is found (the message is malformed some other way)."""
    try:
        return _scan(desc, memoryview(data), prefix)
    except (IndexError, ValueError):
        return None


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _scan(desc: Any, buf: memoryview, prefix: str) -> str | None:
    counts: dict[int, int] = {}
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
            continue
        if wire in (1, 5):
            pos += 8 if wire == 1 else 4
            continue
        if wire != 2:
            raise ValueError(f"wire type {wire}")
        size, pos = _varint(buf, pos)
        chunk, pos = buf[pos : pos + size], pos + size
        field = desc.fields_by_number.get(number)
        if field is None:
            continue
        index = counts.get(number, 0)
        counts[number] = index + 1
        repeated = getattr(field, "is_repeated", None)
        if repeated is None:  # protobuf < 5.28
            repeated = field.label == F.LABEL_REPEATED
        path = (f"{prefix}.{field.name}" if prefix else field.name) + (f"[{index}]" if repeated else "")
        if field.type == F.TYPE_STRING:
            try:
                str(chunk, "utf-8")
            except UnicodeDecodeError:
                return path
        elif field.type == F.TYPE_MESSAGE and (found := _scan(field.message_type, chunk, path)) is not None:
            return found
    return None
