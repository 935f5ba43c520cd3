"""Annotation handlers: save a batch of edits to one frame, read a frame, consume datasets events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from google.protobuf import json_format

from annostream_kernel.db import Conn
from annostream_kernel.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound
from annostream_kernel.events import append_events, unpack
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2
from annostream_protos.types.v1 import frames_pb2 as t

from ..adapters import messages
from ..adapters.postgres import AnnotationStore
from ..domain.model import Command, FrameAggregate

MAX_BATCH = 1000
MAX_KEY = 200


@dataclass(frozen=True)
class SaveFrame:
    """An ordered batch of commands for one frame, with the version the editor last saw."""

    version_id: str
    frame_id: str
    expected_version: int
    idempotency_key: str
    commands: tuple[Command, ...]
    task_id: str = ""

    def __post_init__(self) -> None:
        if not self.version_id:
            raise InvalidArgument("is required", field="frame.version_id")
        if not self.frame_id:
            raise InvalidArgument("is required", field="frame.frame_id")
        if not self.commands:
            raise InvalidArgument("must contain at least one command", field="commands")
        if len(self.commands) > MAX_BATCH:
            raise InvalidArgument(f"at most {MAX_BATCH} commands per save", field="commands")
        if len(self.idempotency_key) > MAX_KEY:
            raise InvalidArgument(f"at most {MAX_KEY} characters", field="idempotency_key")


def _sources(base: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {s.get("id", ""): (int(s.get("width", 0)), int(s.get("height", 0))) for s in base.get("sources", [])}


async def _frame_context(
    store: AnnotationStore, version_id: str, frame_id: str
) -> tuple[asyncpg.Record, dict[str, Any]]:
    version = await store.version(version_id)
    if version is None:
        raise NotFound(
            f"no version {version_id!r} (or not yet known to the annotation service)",
            field="frame.version_id",
        )
    base = await store.base_frame(version_id, frame_id)
    if base is None:
        raise NotFound(f"version {version_id!r} has no frame {frame_id!r}", field="frame.frame_id")
    return version, base


async def save_frame(pool: asyncpg.Pool, cmd: SaveFrame, notify_channel: str) -> api.SaveFrameResponse:
    """Apply the batch atomically: events appended with optimistic concurrency and the projection
    updated in the same transaction. A retried idempotency key returns the first response."""
    async with pool.acquire() as conn, conn.transaction():
        store = AnnotationStore(conn)
        version, base = await _frame_context(store, cmd.version_id, cmd.frame_id)
        if version["status"] != "draft":
            raise FailedPrecondition(f"version {cmd.version_id} is Published (read-only)", field="frame.version_id")
        current = await store.projection(cmd.version_id, cmd.frame_id, for_update=True)
        if current is None:  # first edit in this version: start from the inherited state (copy-on-write)
            inherited = await store.inherited_doc(cmd.version_id, cmd.frame_id)
            await store.create_projection(cmd.version_id, cmd.frame_id, inherited or {})
            current = await store.projection(cmd.version_id, cmd.frame_id, for_update=True)
            assert current is not None
        # Checked under the projection's row lock, so two retries of one key cannot both append.
        if cmd.idempotency_key and (prior := await store.idempotent_response(cmd.idempotency_key)):
            return api.SaveFrameResponse.FromString(prior)
        stream_version, doc = current
        agg = FrameAggregate(doc, stream_version, _sources(base))
        if stream_version != cmd.expected_version:
            raise _stale(cmd, stream_version)
        ref = t.FrameRef(dataset_id=version["dataset_id"], version_id=cmd.version_id, frame_id=cmd.frame_id)
        new_events = [
            messages.to_event(e, ref, cmd.task_id) for i, c in enumerate(cmd.commands) for e in agg.decide(c, i)
        ]
        await append_events(conn, new_events, expected_version=stream_version, notify_channel=notify_channel)
        await store.save_projection(cmd.version_id, cmd.frame_id, agg.version, agg.doc)
        response = api.SaveFrameResponse(
            frame=messages.frame_state(ref, agg.version, base, agg.doc),
            event_ids=[str(e.event_id) for e in new_events],
        )
        if cmd.idempotency_key:
            await store.remember(
                cmd.idempotency_key,
                messages.stream_id(cmd.version_id, cmd.frame_id),
                response.SerializeToString(),
            )
    return response


def _stale(cmd: SaveFrame, current: int) -> Conflict:
    return Conflict(
        f"frame changed since version {cmd.expected_version} (now {current}); reload and retry",
        field="expected_version",
        details={"current_version": current},
    )


async def get_frame(pool: asyncpg.Pool, version_id: str, frame_id: str) -> api.FrameState:
    """The frame as annotated now (its own projection, or the inherited one)."""
    async with pool.acquire() as conn:
        store = AnnotationStore(conn)
        version, base = await _frame_context(store, version_id, frame_id)
        own = await store.projection(version_id, frame_id)
        stream_version, doc = own if own else (0, await store.inherited_doc(version_id, frame_id) or {})
    ref = t.FrameRef(dataset_id=version["dataset_id"], version_id=version_id, frame_id=frame_id)
    return messages.frame_state(ref, stream_version, base, doc)


async def on_datasets_event(conn: Conn, envelope: envelope_pb2.EventEnvelope) -> None:
    """Keep versions (lineage, status) and base frame data current from the datasets stream."""
    store = AnnotationStore(conn)
    if vc := unpack(envelope, datasets_pb2.VersionCreated):
        await store.upsert_version(vc.version_id, vc.dataset_id, vc.parent_version_id or None)
    elif vp := unpack(envelope, datasets_pb2.VersionPublished):
        await store.publish_version(vp.version_id)
    elif fi := unpack(envelope, datasets_pb2.FramesImported):
        docs = [json_format.MessageToDict(f, preserving_proto_field_name=True) for f in fi.frames]
        await store.add_base_frames(fi.version_id, docs)
