"""Event schema evolution: stored events keep the schema version they were written with; readers upcast.

Registry: (event type, from version) → function turning a payload of that version into the next version.
Worked example: RoiMetadataSet v1 (pre-release) carried metadata as a JSON string (`RoiMetadataSetV1`);
v2 carries a google.protobuf.Struct. Events written as v1 stay v1 in the table and on JetStream (the
envelope says `schema_version: 1`); the annotation service reads them as v2.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from google.protobuf import struct_pb2

from annostream_protos.events.v1 import annotation_legacy_pb2 as legacy
from annostream_protos.events.v1 import annotation_pb2 as ev

CURRENT_VERSIONS: dict[str, int] = {"RoiMetadataSet": 2}


def current_schema_version(event_type: str) -> int:
    """The schema version new events of this type are written with (1 unless registered)."""
    return CURRENT_VERSIONS.get(event_type, 1)


def _roi_metadata_set_v1_to_v2(payload: bytes) -> bytes:
    old = legacy.RoiMetadataSetV1.FromString(payload)
    metadata = struct_pb2.Struct()
    metadata.update(json.loads(old.metadata_json or "{}"))
    return ev.RoiMetadataSet(frame=old.frame, roi_id=old.roi_id, metadata=metadata).SerializeToString()


UPCASTERS: dict[tuple[str, int], Callable[[bytes], bytes]] = {
    ("RoiMetadataSet", 1): _roi_metadata_set_v1_to_v2,
}
