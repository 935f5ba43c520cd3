"""Small protobuf conversions every component needs (timestamps, JSON objects as Struct)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, overload

from google.protobuf import json_format, struct_pb2, timestamp_pb2


@overload
def timestamp(dt: datetime) -> timestamp_pb2.Timestamp: ...
@overload
def timestamp(dt: None) -> None: ...
def timestamp(dt: datetime | None) -> timestamp_pb2.Timestamp | None:
    """datetime → google.protobuf.Timestamp (None stays None)."""
    if dt is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def struct(d: dict[str, Any]) -> struct_pb2.Struct:
    """A JSON object → google.protobuf.Struct."""
    s = struct_pb2.Struct()
    s.update(d)
    return s


def struct_dict(s: struct_pb2.Struct) -> dict[str, Any]:
    """google.protobuf.Struct → a JSON object (numbers become floats, as in JSON)."""
    return dict(json_format.MessageToDict(s))
