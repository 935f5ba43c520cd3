"""Event schema evolution: stored events keep the schema version they were written with; readers upcast.

Registry: (event type, from version) → function turning a payload of that version into the next version.
Worked examples:
- RoiMetadataSet v1 (pre-release) carried metadata as a JSON string (`RoiMetadataSetV1`); v2 carried a
  google.protobuf.Struct; v3 carries JSON text again (`metadata_json`), because a Struct holds every number
  as a double (12 came back as 12.0, and integers above 2**53 lost digits).
- Every other event with metadata moved from the Struct to JSON text in the same change: FrameMetadataSet
  and FrameInherited (v1 → v2), RoiCreated and RoiRestored (their Roi's metadata, v1 → v2).
Events written in an older version stay so in the table and on JetStream (the envelope says which); the
annotation service reads them as the current version. A Struct's whole numbers become integers again when
upcast (annostream_kernel.protobuf.json_value), which is what they were when sent as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from google.protobuf import struct_pb2

from annostream_kernel.limits import dump_json
from annostream_kernel.protobuf import json_value
from annostream_protos.events.v1 import annotation_legacy_pb2 as legacy
from annostream_protos.events.v1 import annotation_pb2 as ev

CURRENT_VERSIONS: dict[str, int] = {
    "RoiMetadataSet": 3,
    "FrameMetadataSet": 2,
    "FrameInherited": 2,
    "RoiCreated": 2,
    "RoiRestored": 2,
}


def current_schema_version(event_type: str) -> int:
    """The schema version new events of this type are written with (1 unless registered)."""
    return CURRENT_VERSIONS.get(event_type, 1)


def _roi_metadata_set_v1_to_v2(payload: bytes) -> bytes:
    old = legacy.RoiMetadataSetV1.FromString(payload)
    metadata = struct_pb2.Struct()
    metadata.update(json.loads(old.metadata_json or "{}"))
    # The original text rides along (a v2 reader ignores it), so v3 keeps its integers exact.
    return ev.RoiMetadataSet(
        frame=old.frame, roi_id=old.roi_id, metadata=metadata, metadata_json=old.metadata_json
    ).SerializeToString()


def _to_json(msg: Any) -> bool:
    """Move a message's Struct `metadata` into `metadata_json` (unless the text is there already); whether
    anything moved."""
    if not msg.HasField("metadata"):
        return False
    if not msg.metadata_json:
        msg.metadata_json = dump_json(json_value(msg.metadata))
    msg.ClearField("metadata")
    return True


def _struct_to_json(cls: type[Any], rois: Callable[[Any], list[Any]]) -> Callable[[bytes], bytes]:
    """An upcaster moving the Struct metadata of a `cls` payload (and of its ROIs) to JSON text."""

    own = "metadata" in cls.DESCRIPTOR.fields_by_name

    def upcast(payload: bytes) -> bytes:
        msg = cls.FromString(payload)
        moved = [_to_json(target) for target in ([msg] if own else []) + rois(msg)]
        return bytes(msg.SerializeToString()) if any(moved) else payload  # no metadata: the same bytes

    return upcast


UPCASTERS: dict[tuple[str, int], Callable[[bytes], bytes]] = {
    ("RoiMetadataSet", 1): _roi_metadata_set_v1_to_v2,
    ("RoiMetadataSet", 2): _struct_to_json(ev.RoiMetadataSet, lambda m: []),
    ("FrameMetadataSet", 1): _struct_to_json(ev.FrameMetadataSet, lambda m: []),
    ("FrameInherited", 1): _struct_to_json(ev.FrameInherited, lambda m: list(m.rois)),
    ("RoiCreated", 1): _struct_to_json(ev.RoiCreated, lambda m: [m.roi]),
    ("RoiRestored", 1): _struct_to_json(ev.RoiRestored, lambda m: [m.roi]),
}
