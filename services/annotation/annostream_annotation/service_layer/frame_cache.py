"""What a process keeps between saves of a frame: a lock per frame its writers take turns on, and the frame as
this process last wrote it (FrameCache), with the ROIs of its answer that the next answer reuses when untouched."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from annostream_protos.types.v1 import frames_pb2 as t

from ..domain.events import Event, FrameInherited


class FrameLocks:
    """Writers of one frame in this process take turns (only other processes' writers can race a save)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the frame's lock for the block (locks of frames nobody waits for are dropped)."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


@dataclass(frozen=True)
class CachedFrame:
    """What this process last wrote of a frame: enough to decide and write the next save without a read, and the
    ROI messages its answer carried (none once dropped: see FrameCache), which the next answer may reuse."""

    ref: t.FrameRef
    base: dict[str, Any]
    version: int
    doc_json: str
    rois: Sequence[t.Roi] = ()
    rois_size: int = 0  # the serialized size of the answer's frame state (what FrameCache counts against its budget)


class FrameCache:
    """The last state this process wrote of recently saved frames (least recently used dropped first).

    A save made against exactly the cached version skips its read. That is safe because the write is
    conditional: it lands only if the frame is still at that version and its version still a Draft. A write
    by anyone else (another process, an undo) makes it miss; the save then re-reads, like a save that lost a
    race. Base frames never change once imported; a save against an older version (a rebase, or a retry
    whose first attempt landed) always reads, so a retried idempotency key gets its first answer. Entries
    are taken out while a save uses them and put back only after a successful write, so a failed attempt
    never leaves a stale entry behind. The most recently written entries keep their answer's ROIs while their
    states' serialized sizes add up to at most `answers_bytes` (in memory ≈ 4x that: ≈ 27 KB for 50 ROIs);
    older ones lose them, and their next answer builds every ROI again.
    """

    def __init__(self, size: int = 10_000, answers_bytes: int = 4 * 1024 * 1024) -> None:
        self._size, self._answers_bytes, self._held = size, answers_bytes, 0
        self._frames: OrderedDict[str, CachedFrame] = OrderedDict()
        self._with_rois: OrderedDict[str, int] = OrderedDict()  # entries holding ROIs → size, least recent first

    def take(self, stream_id: str) -> CachedFrame | None:
        """Remove and return the frame's entry, if any."""
        self._held -= self._with_rois.pop(stream_id, 0)
        return self._frames.pop(stream_id, None)

    def put(self, stream_id: str, frame: CachedFrame) -> None:
        """Remember a frame as just written."""
        self._held -= self._with_rois.pop(stream_id, 0)
        if frame.rois and frame.rois_size > self._answers_bytes:
            frame = replace(frame, rois=(), rois_size=0)
        self._frames[stream_id] = frame
        self._frames.move_to_end(stream_id)
        if frame.rois:
            self._with_rois[stream_id] = frame.rois_size
            self._held += frame.rois_size
            while self._held > self._answers_bytes:
                older, size = self._with_rois.popitem(last=False)
                self._held -= size
                self._frames[older] = replace(self._frames[older], rois=(), rois_size=0)  # keeps its place
        if len(self._frames) > self._size:
            oldest, _ = self._frames.popitem(last=False)
            self._held -= self._with_rois.pop(oldest, 0)


def untouched(rois: Iterable[t.Roi], events: list[Event]) -> dict[str, t.Roi]:
    """ROI id → its message among `rois` (a frame's ROIs before `events`), for the ROIs no event changed: a ROI
    event changes its ROI, FrameInherited every one (the other events that name no ROI change none)."""
    touched: set[str] = set()
    for e in events:
        if isinstance(e, FrameInherited):
            return {}
        if e.roi_id:
            touched.add(e.roi_id)
    return {r.roi_id: r for r in rois if r.roi_id not in touched}
