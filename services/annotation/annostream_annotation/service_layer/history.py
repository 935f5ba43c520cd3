"""History and time travel: list events, state at a version or time, revert, undo and redo."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from annostream_kernel.context import current_actor
from annostream_kernel.db import Conn
from annostream_kernel.errors import Conflict, FailedPrecondition, InvalidArgument
from annostream_kernel.limits import INT64_MAX, MAX_PAGE_BYTES
from annostream_protos.annotation.v1 import annotation_service_pb2 as api

from .. import wire
from ..adapters.messages import decode
from ..domain.events import Event
from ..domain.history import compensate, items_of, restore
from . import sizes
from .session import FrameSession, retrying

MAX_PAGE = 1000


@dataclass(frozen=True)
class Changed:
    """What a revert, undo or redo answers: the frame (None when too large to carry: `frame_omitted`), the
    events it appended and the frame's version after it."""

    frame: api.FrameState | None
    event_ids: list[str]
    version: int
    frame_omitted: bool


def _state(session: FrameSession) -> api.FrameState:
    return wire.frame_state(session.ref, session.version, session.base, session.agg.doc)


async def _apply_and_write(
    session: FrameSession, events: list[Event], *, task_id: str, kind: str, notify: str, ref_save: str | None = None
) -> Changed:
    """Apply compensating events, refuse them if they grow the frame over its size limit, write them."""
    before = _state(session).ByteSize() if events else 0
    for e in events:
        session.agg.apply(e)
    version = session.version + (len(session.pending) + len(events) if events else 0)
    after = wire.frame_state(session.ref, version, session.base, session.agg.doc)
    field = "to_version" if kind == "revert" else "frame"
    frame, omitted = sizes.inline(after, sizes.check_change(after, events, field, before))
    ids = await session.write(events, task_id=task_id, kind=kind, notify=notify, ref_save=ref_save)
    return Changed(frame, ids, version, omitted)


async def list_events(
    pool: asyncpg.Pool, version_id: str, frame_id: str, after: int, page_size: int
) -> api.ListFrameEventsResponse:
    """The frame's events after a version: who, what, when."""
    if page_size < 0 or page_size > MAX_PAGE:
        raise InvalidArgument(f"must be between 0 and {MAX_PAGE}", field="page_size")
    size = page_size or 100
    async with pool.acquire() as conn:
        session = await FrameSession.open(conn, version_id, frame_id, write=False)
        rows = await session.store.stream_events(session.stream_id, after, min(after + size, INT64_MAX))
    events: list[api.FrameEvent] = []
    total = 0
    for r in rows:
        e = wire.frame_event(
            r["stream_version"],
            str(r["event_id"]),
            decode(r["type"], r["schema_version"], r["payload"]),
            r["actor"],
            r["occurred_at"],
            r["task_id"],
        )
        n = e.ByteSize()
        if n > MAX_PAGE_BYTES:  # alone larger than a page may be: its data stays out
            e.data_json, e.data_omitted = "", True
            n = e.ByteSize()
        if events and total + n > MAX_PAGE_BYTES:
            break
        events.append(e)
        total += n
    last = events[-1].version if events else after
    return api.ListFrameEventsResponse(events=events, current_version=session.version, more=last < session.version)


async def frame_at(
    pool: asyncpg.Pool, version_id: str, frame_id: str, *, version: int | None = None, at: datetime | None = None
) -> api.FrameState:
    """The frame as it was at a stream version or at a point in time."""
    async with pool.acquire() as conn:
        session = await FrameSession.open(conn, version_id, frame_id, write=False)
        target = version if version is not None else await session.store.version_at(session.stream_id, at)  # type: ignore[arg-type]
        if target > session.version:
            raise InvalidArgument(f"frame is only at version {session.version}", field="version")
        state = session.agg if target == session.version else await session.state_at(target)
    return sizes.readable(wire.frame_state(session.ref, target, session.base, state.doc))


async def revert(
    pool: asyncpg.Pool, version_id: str, frame_id: str, to_version: int, expected: int, task_id: str, notify: str
) -> Changed:
    """Append compensating events so the frame equals its state at `to_version` (history is kept)."""

    async def once(conn: Conn) -> Changed:
        session = await FrameSession.open(conn, version_id, frame_id, write=True)
        if expected != session.version:
            raise Conflict(
                f"frame is at version {session.version}, expected {expected}",
                field="expected_version",
                details={"current_version": session.version},
            )
        if to_version > session.version:
            raise InvalidArgument(f"frame is only at version {session.version}", field="to_version")
        target = await session.state_at(to_version)
        events = compensate(session.agg, target)
        return await _apply_and_write(session, events, task_id=task_id, kind="revert", notify=notify)

    async with pool.acquire() as conn:
        return await retrying(lambda: once(conn))


async def _pick_undoable(session: FrameSession) -> asyncpg.Record:
    save = await session.store.last_undoable(session.stream_id, current_actor())
    if save is None:
        raise FailedPrecondition("you have no save on this frame to undo", field="frame")
    return save


async def _pick_redoable(session: FrameSession) -> asyncpg.Record:
    last = await session.store.last_save(session.stream_id, current_actor())
    if last is None or last["kind"] != "undo" or last["reversed"]:
        raise FailedPrecondition("nothing to redo: your last action on this frame is not an undo", field="frame")
    return last


async def undo(pool: asyncpg.Pool, version_id: str, frame_id: str, task_id: str, notify: str) -> Changed:
    """Undo the caller's last save on the frame, if what it changed was not changed since by others."""
    return await _reverse_saved(pool, version_id, frame_id, task_id, notify, "undo", _pick_undoable)


async def redo(pool: asyncpg.Pool, version_id: str, frame_id: str, task_id: str, notify: str) -> Changed:
    """Redo the caller's last undo, if it is still the caller's latest action on the frame."""
    return await _reverse_saved(pool, version_id, frame_id, task_id, notify, "redo", _pick_redoable)


async def _reverse_saved(
    pool: asyncpg.Pool,
    version_id: str,
    frame_id: str,
    task_id: str,
    notify: str,
    kind: str,
    pick: Callable[[FrameSession], Awaitable[asyncpg.Record]],
) -> Changed:
    async def once(conn: Conn) -> Changed:
        session = await FrameSession.open(conn, version_id, frame_id, write=True)
        return await _reverse(session, await pick(session), kind, task_id, notify)

    async with pool.acquire() as conn:
        return await retrying(lambda: once(conn))


async def _reverse(session: FrameSession, save: asyncpg.Record, kind: str, task_id: str, notify: str) -> Changed:
    before = await session.state_at(save["from_version"])
    after = await session.state_at(save["to_version"])
    rows = await session.store.stream_events(session.stream_id, save["from_version"], save["to_version"])
    items = items_of(decode(r["type"], r["schema_version"], r["payload"]) for r in rows)
    events = restore(session.agg, items, expected=after, target=before, action=kind)
    return await _apply_and_write(session, events, task_id=task_id, kind=kind, notify=notify, ref_save=save["save_id"])
