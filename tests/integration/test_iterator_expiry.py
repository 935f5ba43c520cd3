"""Lease expiry with a short TTL, and rebuilding the iterator from the same events gives the same plan."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import asyncpg
import pytest
from google.protobuf import any_pb2

from annostream_iterator.adapters.postgres import ConsumerRepositories, uow_factory
from annostream_iterator.adapters.progress import ProgressEmitter
from annostream_iterator.domain.commands import NextFrame
from annostream_iterator.service_layer.consumers import Consumers
from annostream_iterator.service_layer.handlers import IteratorHandlers
from annostream_kernel.authz import bind_principal, service_principal
from annostream_kernel.db import create_pool, migrate
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2, iterator_pb2, tasks_pb2
from annostream_protos.types.v1 import filters_pb2 as fl

from .conftest import frames
from .iterator_helpers import build_plan, frame, index, iterator_pool

h = Consumers(ConsumerRepositories)  # as bootstrap wires them

__all__ = ["iterator_pool"]


@pytest.fixture(autouse=True)
def internal_caller() -> Iterator[None]:
    """These tests drive the iterator's handlers in-process, as one of annostream's own services."""
    bind_principal(service_principal("tests"))
    yield
    bind_principal(None)


async def test_an_expired_lease_returns_the_frame_to_the_queue(iterator_pool: asyncpg.Pool) -> None:
    await index(iterator_pool, "v1", [frame("a"), frame("b")], {})
    await build_plan(iterator_pool, "v1", fl.FrameSelection())
    task = await iterator_pool.fetchval("SELECT task_id FROM tasks")
    short = IteratorHandlers(uow_factory(iterator_pool, "iterator_events"), timedelta(milliseconds=200))
    first = (await short.next_frame(NextFrame(task, "slow"))).lease
    other = (await short.next_frame(NextFrame(task, "quick"))).lease
    assert first and other and (first.frame_id, other.frame_id) == ("a", "b")
    await asyncio.sleep(0.3)
    again = (await short.next_frame(NextFrame(task, "third"))).lease
    assert again is not None and again.frame_id == "a"  # the expired lease went back, first in plan order
    assert (await short.next_frame(NextFrame(task, "slow"))).lease.frame_id == "b"  # type: ignore[union-attr]


async def test_an_expired_lease_is_served_before_later_open_frames_and_held_leases_are_skipped(
    iterator_pool: asyncpg.Pool,
) -> None:
    await index(iterator_pool, "v1", [frame(f) for f in "abcde"], {})
    await build_plan(iterator_pool, "v1", fl.FrameSelection())
    task = await iterator_pool.fetchval("SELECT task_id FROM tasks")
    short = IteratorHandlers(uow_factory(iterator_pool, "iterator_events"), timedelta(milliseconds=200))
    long = IteratorHandlers(uow_factory(iterator_pool, "iterator_events"), timedelta(minutes=5))
    assert (await short.next_frame(NextFrame(task, "slow"))).lease.frame_id == "a"  # type: ignore[union-attr]
    assert (await long.next_frame(NextFrame(task, "steady"))).lease.frame_id == "b"  # type: ignore[union-attr]
    await asyncio.sleep(0.3)  # a's lease expires; b's does not
    served = [(await long.next_frame(NextFrame(task, who))).lease for who in ("x", "y", "z")]
    assert [s.frame_id for s in served if s] == ["a", "c", "d"]  # a first (plan order), b still held


def envelope(payload: object) -> envelope_pb2.EventEnvelope:
    env = envelope_pb2.EventEnvelope(actor="tester")
    env.occurred_at.GetCurrentTime()
    packed = any_pb2.Any()
    packed.Pack(payload)  # type: ignore[arg-type]
    env.payload.CopyFrom(packed)
    return env


async def test_two_fresh_iterators_fed_the_same_events_build_the_same_random_plan(postgres_dsn: str) -> None:
    events = [
        envelope(datasets_pb2.VersionCreated(dataset_id="d", version_id="v")),
        envelope(datasets_pb2.FramesImported(dataset_id="d", version_id="v", frames=frames(40))),
        envelope(
            tasks_pb2.TaskCreated(
                task_id="t",
                annotated_version_id="v",
                iteration=tasks_pb2.IterationSpec(order=tasks_pb2.ITERATION_ORDER_RANDOM, random_seed=-77),
            )
        ),
    ]
    plans = []
    for n in range(2):
        schema = f"rebuild_{n}_{id(events)}"
        pool = await create_pool(postgres_dsn, schema)
        try:
            await migrate(pool, schema, ["annostream_iterator.migrations"])
            async with pool.acquire() as conn, conn.transaction():
                for env in events:
                    await (h.on_tasks_event if env.payload.type_url.endswith("TaskCreated") else h.on_datasets_event)(
                        conn, env
                    )
            plans.append([r["frame_id"] for r in await pool.fetch("SELECT frame_id FROM plan ORDER BY seq")])
            await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await pool.close()
    assert len(plans[0]) == 40 and plans[0] == plans[1]
    assert plans[0] != sorted(plans[0])


async def test_progress_emitter_appends_one_event_per_changed_task_listing_its_moved_annotators_and_nothing_twice(
    iterator_pool: asyncpg.Pool,
) -> None:
    await index(iterator_pool, "v1", [frame(f"f{i}") for i in range(6)], {})
    await build_plan(iterator_pool, "v1", fl.FrameSelection())
    task = await iterator_pool.fetchval("SELECT task_id FROM tasks")
    handlers = IteratorHandlers(uow_factory(iterator_pool, "iterator_events"), timedelta(minutes=5))
    leases = {"a": "", "b": ""}
    for who in ("a", "a", "a", "b", "b"):  # a finishes 2 leases, b 1
        lease = (await handlers.next_frame(NextFrame(task, who, leases[who]))).lease
        assert lease is not None
        leases[who] = lease.lease_id
    emitter = ProgressEmitter(iterator_pool, "iterator_events", interval=60)
    assert await emitter.emit_once() == 2  # both annotators moved, however many leases they finished
    assert await emitter.emit_once() == 0  # nothing changed since
    await handlers.next_frame(NextFrame(task, "b", leases["b"]))
    assert await emitter.emit_once() == 1
    rows = await iterator_pool.fetch(
        "SELECT stream_id, stream_version, payload FROM events WHERE type LIKE '%TaskProgressed'"
        " AND stream_id = $1 ORDER BY stream_version",
        f"team-progress:{task}",
    )
    got = [(r["stream_version"], iterator_pb2.TaskProgressed.FromString(r["payload"])) for r in rows]
    assert [(v, {a.annotator: a.done for a in p.annotators}, p.done, p.total) for v, p in got] == [
        (1, {"a": 2, "b": 1}, 3, 6),  # one event for the task, listing both annotators
        (2, {"b": 2}, 4, 6),  # only the annotator who moved
    ]
    assert (got[0][1].annotator, got[1][1].annotator, got[1][1].annotator_done) == ("", "b", 2)


async def test_next_frame_commits_asynchronously_for_its_own_transaction_only(iterator_pool: asyncpg.Pool) -> None:
    await index(iterator_pool, "v1", [frame("a"), frame("b")], {})
    await build_plan(iterator_pool, "v1", fl.FrameSelection())
    task = await iterator_pool.fetchval("SELECT task_id FROM tasks")
    call = "SELECT frame_id FROM next_frame($1, $2, '', $3, interval '1 minute')"
    async with iterator_pool.acquire() as conn:
        async with conn.transaction():
            assert await conn.fetchval(call, task, "x", "lease-1") == "a"
            assert await conn.fetchval("SHOW synchronous_commit") == "off"  # lease state only: no fsync wait
        assert await conn.fetchval("SHOW synchronous_commit") == "on"  # nothing else on the connection changes
