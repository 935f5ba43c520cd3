"""uuid7(): standard `uuid.UUID`s of version 7, time-ordered within a process, usable wherever a UUID is."""

from __future__ import annotations

import pickle
import uuid

from annostream_kernel.ids import new_id, uuid7


def test_uuid7_is_a_standard_time_ordered_version_7_uuid() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert all(type(u) is uuid.UUID and u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # monotonic within the process, no repeat
    u = ids[0]
    assert uuid.UUID(str(u)) == u and uuid.UUID(bytes=u.bytes) == u and hash(uuid.UUID(u.hex)) == hash(u)
    assert pickle.loads(pickle.dumps(u)) == u and u.is_safe is uuid.SafeUUID.unknown


def test_new_id_is_the_prefix_and_a_uuid7_hex() -> None:
    v = new_id("roi_")
    assert v.startswith("roi_") and uuid.UUID(v.removeprefix("roi_")).version == 7
