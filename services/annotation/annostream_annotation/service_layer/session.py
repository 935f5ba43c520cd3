"""FrameSession: one frame read in one round trip; a change written in one conditional statement."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import orjson

from annostream_kernel.context import current_actor
from annostream_kernel.db import Conn
from annostream_kernel.errors import Conflict, FailedPrecondition, NotFound
from annostream_kernel.events import NewEvent, event_arrays
from annostream_kernel.ids import new_id
from annostream_kernel.tracing import current_traceparent
from annostream_protos.types.v1 import frames_pb2 as t

from ..adapters import messages
from ..adapters.frame_sql import READ_FRAME, WRITE_FRAME
from ..adapters.messages import decode
from ..adapters.postgres import AnnotationStore
from ..domain.conflicts import NewerEvent
from ..domain.events import Event, FrameInherited, RoiCreated, RoiRestored
from ..domain.history import replay
from ..domain.model import FrameAggregate
from ..wire import projection_json
from .access import DeletedVersion
from .frame_cache import CachedFrame

MAX_ATTEMPTS = 20
T = TypeVar("T")


class StaleWrite(Exception):
    """The frame changed between the read and the write; the operation re-reads and tries again."""


async def retrying(op: Callable[[], Awaitable[T]]) -> T:
    """Run a read-decide-write operation until its write lands (bounded)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await op()
        except StaleWrite:
            if attempt:  # writers racing again and again (other processes): spread them out, with jitter
                await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
    raise Conflict("the frame is changing too fast; try again", field="frame")


@dataclass(frozen=True)
class PreparedWrite:
    """A change ready to write: its outbox events (the frame's, then FrameSaved), their ids, the save record."""

    outbox: list[NewEvent]
    event_ids: list[str]
    save_id: str
    kind: str
    new_version: int
    doc_json: str
    rois: dict[str, t.Roi] = field(default_factory=dict)  # ROI id → its message, for ROIs the write created as is


def _created_as_is(events: list[Event], outbox: list[NewEvent]) -> dict[str, t.Roi]:
    """ROI id → the Roi message of its RoiCreated/RoiRestored event, for ROIs no later event of the same write
    changed: the frame's state holds exactly that ROI, so its answer reuses the message instead of building it
    again from the document."""
    out: dict[str, t.Roi] = {}
    for e, new in zip(events, outbox, strict=False):  # outbox ends with FrameSaved, which has no domain event
        if isinstance(e, RoiCreated | RoiRestored):
            out[e.roi_id] = new.payload.roi  # type: ignore[attr-defined]
        elif isinstance(e, FrameInherited):
            out.clear()
        elif e.roi_id:
            out.pop(e.roi_id, None)
    return out


def sources_of(base: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Source id → (width, height) from a base frame document."""
    return {s.get("id", ""): (int(s.get("width", 0)), int(s.get("height", 0))) for s in base.get("sources", [])}


@dataclass
class FrameSession:
    """A frame as read, ready to decide commands and write their events."""

    store: AnnotationStore
    ref: t.FrameRef
    base: dict[str, Any]
    agg: FrameAggregate
    stored_version: int
    prior_response: bytes | None = None
    prior_hash: bytes | None = None  # the request hash kept with the idempotency key (None: kept before hashes)
    pending: list[Event] = field(default_factory=list)
    doc_json: str = ""  # the projection document as last written by this session

    @property
    def stream_id(self) -> str:
        """The frame's event stream."""
        return messages.stream_id(self.ref.version_id, self.ref.frame_id)

    @property
    def version(self) -> int:
        """The version clients see (a not yet written inherited state counts as version 0)."""
        return self.stored_version

    @classmethod
    def from_cache(cls, conn: Conn, cached: CachedFrame) -> FrameSession:
        """A session on a frame as this process last wrote it (no read; the write checks it is still so)."""
        agg = FrameAggregate(orjson.loads(cached.doc_json), cached.version, sources_of(cached.base), owned=True)
        return cls(AnnotationStore(conn), cached.ref, cached.base, agg, cached.version)

    def cached(self, rois: Sequence[t.Roi] = (), rois_size: int = 0) -> CachedFrame | None:
        """This session's frame for the cache, once it has written its own state (`rois`: the messages of exactly
        that state's ROIs, its answer's; `rois_size`: that answer's frame state serialized)."""
        if not self.doc_json or self.pending:
            return None
        return CachedFrame(self.ref, self.base, self.stored_version, self.doc_json, rois, rois_size)

    @classmethod
    async def open(
        cls, conn: Conn, version_id: str, frame_id: str, *, write: bool, idempotency_key: str = ""
    ) -> FrameSession:
        """Read a frame; NotFound for an unknown or deleted version or an unknown frame, FailedPrecondition to
        write a Published one."""
        row = await conn.fetchrow(READ_FRAME, version_id, frame_id, idempotency_key)
        if row is None:
            raise NotFound(
                f"no version {version_id!r} (or not yet known to the annotation service)", field="frame.version_id"
            )
        if row["status"] == "deleted":
            raise DeletedVersion(version_id)
        if row["base"] is None:
            raise NotFound(f"version {version_id!r} has no frame {frame_id!r}", field="frame.frame_id")
        if write and row["status"] != "draft":
            raise FailedPrecondition(f"version {version_id} is Published (read-only)", field="frame.version_id")
        base = orjson.loads(row["base"])
        ref = t.FrameRef(dataset_id=row["dataset_id"], version_id=version_id, frame_id=frame_id)
        store, sources = AnnotationStore(conn), sources_of(base)
        prior = bytes(row["prior"]) if row["prior"] is not None else None
        prior_hash = bytes(row["prior_hash"]) if row["prior_hash"] is not None else None
        version = row["own_version"] or 0
        if version > 0:
            return cls(
                store,
                ref,
                base,
                FrameAggregate(orjson.loads(row["own_doc"]), version, sources, owned=True),
                version,
                prior,
                prior_hash,
            )
        session = cls(store, ref, base, FrameAggregate(None, 0, sources), 0, prior, prior_hash)
        if row["inherited"] is not None:
            # Copy-on-write: the parent's state becomes the first event of this version's stream when the
            # frame is first written here; until then readers see it as version 0.
            event = FrameInherited(row["parent_version_id"] or "", orjson.loads(row["inherited"]))
            session.agg.apply(event)
            session.pending.append(event)
        return session

    async def newer_than(self, expected: int) -> list[NewerEvent]:
        """Events after `expected` (plus the not yet stored inherited state), with their authors."""
        rows = await self.store.stream_events(self.stream_id, expected)
        newer = [
            NewerEvent(
                decode(r["type"], r["schema_version"], r["payload"]),
                r["stream_version"],
                str(r["event_id"]),
                r["actor"],
            )
            for r in rows
        ]
        return [*(NewerEvent(e, 0, "", "") for e in self.pending), *newer]

    async def state_at(self, version: int) -> FrameAggregate:
        """The frame's state at a stored stream version; version 0 is what the frame inherited from its parent
        version (the FrameInherited event its first write recorded), before any edit in this version."""
        rows = await self.store.stream_events(self.stream_id, 0, max(version, 1))
        events = [decode(r["type"], r["schema_version"], r["payload"]) for r in rows]
        if version == 0:
            events = [e for e in events if isinstance(e, FrameInherited)]
        return replay(events, self.agg.sources)

    def prepare(self, events: list[Event], *, task_id: str, kind: str) -> PreparedWrite | None:
        """The write of pending + new events (already applied to `agg`): outbox events with their ids, the save
        record's id and the projection document; None when there is nothing to write."""
        if not events:
            return None
        written_events = [*self.pending, *events]
        outbox = [messages.outbox_event(e, self.ref, task_id) for e in written_events]
        new_version = self.stored_version + len(outbox)
        ids = [str(e.event_id) for e in outbox]
        save_id = new_id("save_")
        outbox.append(messages.saved_event(self.ref, save_id, kind, self.stored_version, written_events, task_id))
        doc_json = projection_json(self.agg.doc)
        return PreparedWrite(outbox, ids, save_id, kind, new_version, doc_json, _created_as_is(written_events, outbox))

    async def commit(
        self,
        prepared: PreparedWrite | None,
        *,
        notify: str,
        ref_save: str | None = None,
        idempotency_key: str = "",
        request_hash: bytes = b"",
        answer: bytes = b"",
        imported: bool = False,
    ) -> list[str]:
        """Write a prepared change — events, projection, save record and the idempotency key with its `answer`
        (bytes the caller built: storage knows no API type) — in one statement, if the frame is still at the
        version read and its version is not sealed (`imported` annotations, accepted before any publish, are
        written either way); else StaleWrite."""
        if prepared is None:
            return []
        p = prepared
        versions = [*range(self.stored_version + 1, p.new_version + 1), p.new_version]
        args = [
            self.ref.version_id,
            self.ref.frame_id,
            p.new_version,
            p.doc_json,
            self.stored_version,
            *event_arrays(p.outbox, versions=versions),
            p.save_id,
            self.stream_id,
            current_actor(),
            p.kind,
            self.stored_version + len(self.pending),
            ref_save,
            idempotency_key,
            answer if idempotency_key else b"",
            notify,
            imported,
            request_hash or None,
            current_traceparent(),
        ]
        try:
            written = await self.store.conn.fetchval(WRITE_FRAME, *args)
        except asyncpg.UniqueViolationError as exc:  # a racing writer (or a reused key): re-read
            raise StaleWrite from exc
        if not written:
            raise StaleWrite
        self.stored_version, self.pending, self.doc_json = p.new_version, [], p.doc_json
        return p.event_ids

    async def write(
        self,
        events: list[Event],
        *,
        task_id: str,
        kind: str,
        notify: str,
        ref_save: str | None = None,
        imported: bool = False,
    ) -> list[str]:
        """prepare() and commit() a change that keeps no idempotent answer."""
        prepared = self.prepare(events, task_id=task_id, kind=kind)
        return await self.commit(prepared, notify=notify, ref_save=ref_save, imported=imported)
