"""The iterator's unit of work: domain events commit with the state, in order, or not at all; a commit without
events does not wake the relay (heartbeats and releases cost no extra round trip)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from annostream_iterator.adapters.postgres import uow_factory
from annostream_iterator.domain import events as ev
from annostream_kernel.events import subject
from annostream_kernel.streams import ITERATOR
from annostream_protos.events.v1 import review_pb2

from .iterator_helpers import iterator_pool

__all__ = ["iterator_pool"]
# Notifications are per database and other tests share it: a channel of this module's own, never the services' name.
CHANNEL = f"iterator_events_{uuid.uuid4().hex[:8]}"
FRAME = ev.Frame("ds_1", "ver_1", "f-1")


async def test_events_emitted_in_a_unit_of_work_are_appended_in_order_at_commit(iterator_pool: asyncpg.Pool) -> None:
    uow = uow_factory(iterator_pool, CHANNEL)
    async with uow() as u:
        u.emit(
            ev.ReviewRequested("t1", FRAME, "ann", 1), ev.FrameRejected("t1", FRAME, "ann", "rev", 1, "blurry", "ann")
        )
        await u.commit()
    rows = await iterator_pool.fetch("SELECT stream_id, stream_version, subject, payload FROM events ORDER BY position")
    assert [(r["stream_id"], r["stream_version"]) for r in rows] == [("review:t1:f-1", 1), ("review:t1:f-1", 2)]
    assert rows[1]["subject"] == subject(ITERATOR.prefix, "t1", "FrameRejected")
    rejected = review_pb2.FrameRejected.FromString(rows[1]["payload"])
    assert (rejected.reason, rejected.rework_by, rejected.frame.dataset_id) == ("blurry", "ann", "ds_1")


async def _failing_handler(pool: asyncpg.Pool) -> None:
    async with uow_factory(pool, CHANNEL)() as u:
        await u.leases.add_done("t1", "ann", 3)
        u.emit(ev.ReviewRequested("t1", FRAME, "ann", 1))
        raise RuntimeError("the handler failed")


async def test_a_unit_of_work_left_without_commit_appends_nothing_and_keeps_no_state(
    iterator_pool: asyncpg.Pool,
) -> None:
    with pytest.raises(RuntimeError):
        await _failing_handler(iterator_pool)
    assert await iterator_pool.fetchval("SELECT count(*) FROM events") == 0
    assert await iterator_pool.fetchval("SELECT count(*) FROM progress") == 0


async def test_only_a_commit_with_events_wakes_the_relay(iterator_pool: asyncpg.Pool) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()

    def on_notify(*args: object) -> None:
        heard.put_nowait(str(args[3]))

    listener = await iterator_pool.acquire()
    await listener.add_listener(CHANNEL, on_notify)
    try:
        uow = uow_factory(iterator_pool, CHANNEL)
        async with uow() as u:  # a state change without events, like a heartbeat or a release
            await u.leases.add_done("t1", "ann", 1)
            await u.commit()
        async with uow() as u:
            u.emit(ev.ReviewRequested("t1", FRAME, "ann", 1))
            await u.commit()
        await iterator_pool.execute("SELECT pg_notify($1, 'end')", CHANNEL)  # delivered after both, in commit order
        received = [await asyncio.wait_for(heard.get(), 10)]
        while received[-1] != "end":
            received.append(await asyncio.wait_for(heard.get(), 10))
        assert received == ["", "end"]
        assert await iterator_pool.fetchval("SELECT done FROM progress WHERE task_id = 't1'") == 1
    finally:
        await listener.remove_listener(CHANNEL, on_notify)
        await iterator_pool.release(listener)
