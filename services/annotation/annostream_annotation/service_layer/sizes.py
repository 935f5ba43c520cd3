"""The frame state size limit: checked before a change is stored, and before a frame is served.

A frame's state is measured as the FrameState message clients read (ROIs, labels, metadata and the base frame
with its sources). A change that would take it over MAX_FRAME_STATE_BYTES is refused before anything is
stored, so every stored state can be read back (GRPC_MAX_MESSAGE_BYTES is well above the limit). Frames over
the limit can only come from older data (`annostream admin check-frames` lists them): reading one answers
FAILED_PRECONDITION naming the limit, and changes that only shrink it (deleting ROIs or labels, a revert to
a smaller version) are still accepted, so it can be repaired.
"""

from __future__ import annotations

from collections.abc import Sequence

from annostream_kernel.errors import FailedPrecondition, InvalidArgument
from annostream_kernel.limits import MAX_FRAME_STATE_BYTES, MAX_STORED_RESPONSE_BYTES
from annostream_protos.annotation.v1 import annotation_service_pb2 as api

from ..domain import events as ev
from ..domain.events import Event

LIMIT_NAME = "MAX_FRAME_STATE_BYTES"
SHRINKING = (ev.RoiDeleted, ev.RoiLabelRemoved, ev.FrameLabelRemoved, ev.RoiLocked, ev.RoiUnlocked, ev.RoiMoved)


def _details(size: int) -> dict[str, object]:
    return {"limit": LIMIT_NAME, "limit_bytes": MAX_FRAME_STATE_BYTES, "bytes": size}


def check_change(state: api.FrameState, events: Sequence[Event], field: str, before: int | None = None) -> int:
    """The size of the state a change leads to; InvalidArgument naming `field` when it is over the limit,
    unless the change only shrinks the frame (its events are all of SHRINKING kinds, or the state is no
    larger than `before`, the size it had)."""
    size = state.ByteSize()
    if size <= MAX_FRAME_STATE_BYTES or not events:
        return size
    if all(isinstance(e, SHRINKING) for e in events) or (before is not None and size <= before):
        return size
    raise InvalidArgument(
        f"the frame would hold {size} bytes, over the limit of {MAX_FRAME_STATE_BYTES} bytes ({LIMIT_NAME}):"
        " nothing was stored",
        field=field,
        details=_details(size),
    )


def readable(state: api.FrameState) -> api.FrameState:
    """The state, if it is within the limit; else FailedPrecondition naming the limit (older data)."""
    size = state.ByteSize()
    if size > MAX_FRAME_STATE_BYTES:
        raise FailedPrecondition(
            f"the frame holds {size} bytes, over the limit of {MAX_FRAME_STATE_BYTES} bytes ({LIMIT_NAME}; stored"
            " before the limit existed, see `annostream admin check-frames`): its history and earlier versions"
            " stay readable; delete ROIs or revert to shrink it",
            field="frame",
            details=_details(size),
        )
    return state


def inline(state: api.FrameState, size: int) -> tuple[api.FrameState | None, bool]:
    """What a change's answer carries of the frame: the state, or nothing and `frame_omitted` when it is over
    the limit (a repair of an over-limit frame): the change is stored either way."""
    return (state, False) if size <= MAX_FRAME_STATE_BYTES else (None, True)


def storable(response: api.SaveFrameResponse) -> bytes:
    """The answer kept under an idempotency key: as sent, or without the frame (frame_omitted) when larger
    than MAX_STORED_RESPONSE_BYTES, so a retry says what was stored and the client re-reads the frame."""
    if response.ByteSize() <= MAX_STORED_RESPONSE_BYTES:
        return bytes(response.SerializeToString())
    compact = api.SaveFrameResponse()
    compact.CopyFrom(response)
    compact.ClearField("frame")
    compact.frame_omitted = True
    return bytes(compact.SerializeToString())
