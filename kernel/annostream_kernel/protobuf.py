"""Small protobuf conversions every component needs (timestamps, JSON objects as Struct or JSON text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, overload

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from .errors import InvalidArgument
from .limits import check_metadata, parse_metadata


@overload
def timestamp(dt: datetime) -> timestamp_pb2.Timestamp: ...
@overload
def timestamp(dt: None) -> None: ...
def timestamp(dt: datetime | None) -> timestamp_pb2.Timestamp | None:
    """datetime → google.protobuf.Timestamp (None stays None; a naive datetime is taken as UTC)."""
    if dt is None:
        return None
    # The epoch difference is exact and ~10x cheaper than Timestamp.FromDatetime (hot in every response).
    since = (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)) - EPOCH
    return timestamp_pb2.Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def struct(d: dict[str, Any]) -> struct_pb2.Struct:
    """A JSON object → google.protobuf.Struct."""
    s = struct_pb2.Struct()
    s.update(d)
    return s


def struct_dict(s: struct_pb2.Struct) -> dict[str, Any]:
    """google.protobuf.Struct → a JSON object (numbers become floats, as in JSON)."""
    return dict(json_format.MessageToDict(s))


MAX_EXACT_FLOAT_INT = 2**53


def json_value(s: struct_pb2.Struct) -> dict[str, Any]:
    """google.protobuf.Struct → a JSON object whose whole numbers are integers again (a Struct carries every
    number as a double: 12 arrives as 12.0; only doubles up to 2**53 are whole numbers exactly)."""
    return dict(_ints(json_format.MessageToDict(s)))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_FLOAT_INT:
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def metadata_of(msg: Any, json_field: str = "metadata_json", struct_field: str = "metadata") -> dict[str, Any]:
    """The metadata a stored message carries: its JSON text when set (integers exact), else its older Struct."""
    text = getattr(msg, json_field)
    if text:
        return dict(json.loads(text))
    if msg.HasField(struct_field):
        return json_value(getattr(msg, struct_field))
    return {}


def request_metadata(
    msg: Any, field: str, json_field: str = "metadata_json", struct_field: str = "metadata"
) -> dict[str, Any]:
    """The metadata a request carries (JSON text, or the older Struct), checked against the metadata limits;
    InvalidArgument names `field` (the Struct's path; `field` + "_json" for the text)."""
    text = getattr(msg, json_field)
    has_struct = msg.HasField(struct_field)
    json_path = field.removesuffix("metadata") + json_field if field.endswith("metadata") else f"{field}_json"
    if text and has_struct:
        raise InvalidArgument(f"give {struct_field} or {json_field}, not both", field=json_path)
    if text:
        return parse_metadata(text, json_path)
    if has_struct:
        return check_metadata(json_value(getattr(msg, struct_field)), field)
    return {}
