"""FrameSession: one frame inside one transaction — context checks, current state, newer events, commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annostream_kernel.context import current_actor
from annostream_kernel.db import Conn
from annostream_kernel.errors import FailedPrecondition, NotFound
from annostream_kernel.events import append_events
from annostream_kernel.ids import new_id
from annostream_protos.types.v1 import frames_pb2 as t

from ..adapters import messages
from ..adapters.codec import decode
from ..adapters.postgres import AnnotationStore
from ..domain.conflicts import NewerEvent
from ..domain.events import Event
from ..domain.frame import FrameAggregate
from ..domain.history import replay


def sources_of(base: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Source id → (width, height) from a base frame document."""
    return {s.get("id", ""): (int(s.get("width", 0)), int(s.get("height", 0))) for s in base.get("sources", [])}


@dataclass
class FrameSession:
    """A frame opened for reading or writing in the caller's transaction (the projection row is locked
    FOR UPDATE when writing, which serialises writers of one frame across service processes)."""

    store: AnnotationStore
    ref: t.FrameRef
    base: dict[str, Any]
    agg: FrameAggregate
    stored_version: int
    pending: list[Event] = field(default_factory=list)

    @property
    def stream_id(self) -> str:
        """The frame's event stream."""
        return messages.stream_id(self.ref.version_id, self.ref.frame_id)

    @classmethod
    async def open(cls, conn: Conn, version_id: str, frame_id: str, *, write: bool) -> FrameSession:
        """Load a frame; NotFound for unknown version/frame, FailedPrecondition when writing a Published one."""
        store = AnnotationStore(conn)
        version = await store.version(version_id)
        if version is None:
            raise NotFound(
                f"no version {version_id!r} (or not yet known to the annotation service)", field="frame.version_id"
            )
        base = await store.base_frame(version_id, frame_id)
        if base is None:
            raise NotFound(f"version {version_id!r} has no frame {frame_id!r}", field="frame.frame_id")
        if write and version["status"] != "draft":
            raise FailedPrecondition(f"version {version_id} is Published (read-only)", field="frame.version_id")
        ref = t.FrameRef(dataset_id=version["dataset_id"], version_id=version_id, frame_id=frame_id)
        own = await store.projection(version_id, frame_id, for_update=write)
        if own is None and write:
            await store.create_projection(version_id, frame_id, {})
            own = await store.projection(version_id, frame_id, for_update=True)
        sources = sources_of(base)
        if own is not None and own[0] > 0:
            return cls(store, ref, base, FrameAggregate(own[1], own[0], sources), own[0])
        agg = FrameAggregate(None, 0, sources)
        session = cls(store, ref, base, agg, 0)
        inherited = await store.inherited_doc(version_id, frame_id)
        if inherited and (inherited.get("rois") or inherited.get("frame_labels") or inherited.get("metadata")):
            # Copy-on-write: the parent's state becomes the first event of this version's stream when
            # the frame is first written; until then readers see it as version 0.
            event = Event(
                "FrameInherited", data={"snapshot": inherited, "parent_version_id": version["parent_version_id"] or ""}
            )
            agg.apply(event)
            session.pending.append(event)
        return session

    @property
    def version(self) -> int:
        """The version clients see (pending inherited state counts as version 0)."""
        return self.stored_version

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
        """The frame's state at a stored stream version."""
        rows = await self.store.stream_events(self.stream_id, 0, version)
        return replay((decode(r["type"], r["schema_version"], r["payload"]) for r in rows), self.agg.sources)

    async def commit(
        self, events: list[Event], *, task_id: str, kind: str, notify: str, ref_save: str | None = None
    ) -> tuple[list[str], str | None]:
        """Append pending + new events (already applied to `agg`), update the projection, record the save.

        Returns the event ids and the save id (None when nothing changed)."""
        if not events:
            return [], None
        outbox = [messages.outbox_event(e, self.ref, task_id) for e in [*self.pending, *events]]
        await append_events(self.store.conn, outbox, expected_version=self.stored_version, notify_channel=notify)
        start = self.stored_version + len(self.pending)
        self.stored_version += len(outbox)
        self.pending = []
        await self.store.save_projection(self.ref.version_id, self.ref.frame_id, self.stored_version, self.agg.doc)
        save_id = new_id("save_")
        await self.store.record_save(
            save_id, self.stream_id, current_actor(), kind, (start, self.stored_version), ref_save
        )
        return [str(e.event_id) for e in outbox], save_id
