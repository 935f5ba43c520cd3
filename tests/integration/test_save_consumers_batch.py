"""Consumers of annotation events apply one save as one change (issue 18): the datasets statistics consumer folds a
batch into one write per table with the same effect as applying its events one at a time, and a save redelivered
after part of it was applied has its effect exactly once (real PostgreSQL, NATS and the kernel consumer loop)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from google.protobuf.message import Message
from nats.aio.client import Client as NatsClient

from annostream_datasets.adapters.postgres import ConsumerRepositories
from annostream_datasets.service_layer.consumers import Consumers
from annostream_kernel.consumer import ConsumerSpec, EventConsumer
from annostream_kernel.db import create_pool, migrate
from annostream_kernel.streams import StreamDef, ensure_stream
from annostream_protos.events.v1 import annotation_pb2 as an
from annostream_protos.events.v1 import envelope_pb2

from ..annotation_events import envelope, rect, ref

STATS = Consumers(ConsumerRepositories)  # as bootstrap wires them
on_annotation_event, on_annotation_events = STATS.on_annotation_event, STATS.on_annotation_events

V, CHILD = "ver_batch", "ver_child"
TABLES = (
    "SELECT version_id, annotated_delta, roi_delta FROM versions ORDER BY 1",
    "SELECT version_id, frame_id, roi_count, frame_labels FROM stat_frames ORDER BY 1, 2",
    "SELECT version_id, frame_id, roi_id, labels FROM stat_rois ORDER BY 1, 2, 3",
    "SELECT version_id, kind, label, delta FROM stat_labels WHERE delta <> 0 ORDER BY 1, 2, 3",
)


def a_busy_save() -> list[envelope_pb2.EventEnvelope]:
    """Every kind of counted event, with no-ops, repeats and two versions (one unknown to the service)."""
    f1, f2, inh = ref(V, "f1"), ref(V, "f2"), ref(CHILD, "f9")
    msgs: list[Message] = [an.RoiCreated(frame=f1, roi=rect(f"r{i}", "car" if i % 2 else "person")) for i in range(30)]
    msgs += [
        an.RoiLabelAdded(frame=f1, roi_id="r1", label="bus"),
        an.RoiLabelAdded(frame=f1, roi_id="r1", label="bus"),  # already there: the frame row is written anyway
        an.RoiLabelRemoved(frame=f1, roi_id="r2", label="person"),
        an.RoiLabelAdded(frame=f1, roi_id="nope", label="bus"),  # unknown ROI: nothing
        an.RoiDeleted(frame=f1, roi_id="r3"),
        an.RoiDeleted(frame=f1, roi_id="r3"),  # twice: nothing the second time
        an.RoiRestored(frame=f1, roi=rect("r3", "car", "car")),
        an.RoiCreated(frame=f1, roi=rect("r4", "truck")),  # replaces r4's labels, same ROI count
        an.FrameLabelAdded(frame=f1, label="night"),
        an.FrameLabelAdded(frame=f1, label="night"),
        an.FrameLabelRemoved(frame=f2, label="day"),  # not there: no row for f2
        an.FrameLabelAdded(frame=f2, label="day"),
        an.FrameLabelRemoved(frame=f2, label="day"),  # f2 ends unannotated
        an.FrameInherited(frame=inh, rois=[rect("a", "car")], frame_labels=["x"]),
        an.RoiCreated(frame=inh, roi=rect("b", "car")),
        an.FrameInherited(frame=inh, rois=[rect("c", "dog")]),  # the frame has its row: ignored
        an.RoiCreated(frame=ref("ver_unknown", "f1"), roi=rect("z", "car")),
    ]
    return [envelope(m, i + 1) for i, m in enumerate(msgs)]


async def _schema(postgres_dsn: str) -> tuple[str, asyncpg.Pool]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    pool = await create_pool(postgres_dsn, schema, min_size=1, max_size=4)
    await migrate(pool, schema, ["annostream_datasets.migrations"])
    await pool.execute("INSERT INTO datasets (dataset_id, name, team) VALUES ('d', 'd', 'team')")
    for v in (V, CHILD):
        await pool.execute(
            "INSERT INTO versions (version_id, dataset_id, name, status, team) VALUES ($1, 'd', $1, 'draft', 'team')",
            v,
        )
    return schema, pool


async def _tables(pool: asyncpg.Pool) -> list[list[tuple[object, ...]]]:
    return [[tuple(r) for r in await pool.fetch(q)] for q in TABLES]


async def _drop(schema: str, pool: asyncpg.Pool) -> None:
    await pool.execute(f"DROP SCHEMA {schema} CASCADE")
    await pool.close()


async def test_a_batch_of_a_save_has_the_effect_of_its_events_applied_one_at_a_time(postgres_dsn: str) -> None:
    events = a_busy_save()
    (one_s, one), (batch_s, batch) = await _schema(postgres_dsn), await _schema(postgres_dsn)
    try:
        for env in events:
            async with one.acquire() as conn, conn.transaction():
                await on_annotation_event(conn, env)
        async with batch.acquire() as conn, conn.transaction():
            await on_annotation_events(conn, events)
        expected = await _tables(one)
        assert await _tables(batch) == expected
        versions, frames, _, labels = expected
        assert sorted(versions) == [(V, 1, 30), (CHILD, 0, 1)]  # f1 annotated with 30 ROIs; the child's f9 got one
        assert (V, "f2", 0, []) in frames
        assert sorted(labels) == [
            (V, "frame", "night", 1),
            (V, "roi", "bus", 1),
            (V, "roi", "car", 15),
            (V, "roi", "person", 13),
            (V, "roi", "truck", 1),
            (CHILD, "roi", "car", 1),  # the inherited ROI is the parent's to count
        ]
    finally:
        await _drop(one_s, one)
        await _drop(batch_s, batch)


@pytest.mark.parametrize("one_write", [False, True])
async def test_a_save_redelivered_after_part_of_it_was_applied_counts_once(
    postgres_dsn: str, nc: NatsClient, one_write: bool
) -> None:
    events = a_busy_save()
    schema, pool = await _schema(postgres_dsn)
    uid = uuid.uuid4().hex[:8]
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}")
    js = nc.jetstream()
    await ensure_stream(js, stream)
    try:
        for env in events:
            await js.publish(f"test.{uid}.x", env.SerializeToString())
        spec = ConsumerSpec(
            "stats-test", stream, on_annotation_event, batch_handler=on_annotation_events, one_write=one_write
        )
        consumer = EventConsumer(pool, js, spec, schema=schema, batch=len(events))
        sub = await consumer._subscribe()
        msgs = await sub.fetch(len(events), timeout=5)
        assert len(msgs) == len(events)
        assert await consumer.commit_batch(msgs[:17]) == 17  # committed, but its ack was lost
        assert await consumer.commit_batch(msgs) == len(events) - 17  # the redelivery applies the rest only
        assert await consumer.commit_batch(msgs) == 0
        assert await pool.fetchval("SELECT stream_seq FROM consumer_positions") == len(events)
        reference, ref_pool = await _schema(postgres_dsn)
        try:
            async with ref_pool.acquire() as conn, conn.transaction():
                await on_annotation_events(conn, events)
            assert await _tables(pool) == await _tables(ref_pool)
        finally:
            await _drop(reference, ref_pool)
        await sub.unsubscribe()
    finally:
        await js.delete_stream(stream.name)
        await _drop(schema, pool)


async def test_statistics_written_while_their_version_is_deleted_leave_no_rows_behind(postgres_dsn: str) -> None:
    schema, pool = await _schema(postgres_dsn)
    try:
        async with pool.acquire() as deleter, pool.acquire() as consumer:
            tx = deleter.transaction()
            await tx.start()  # the version's deletion, as the datasets service runs it: its row locked first
            await deleter.execute("SELECT 1 FROM versions WHERE version_id = $1 FOR UPDATE", V)
            for table in ("stat_rois", "stat_frames", "stat_labels"):
                await deleter.execute(f"DELETE FROM {table} WHERE version_id = $1", V)
            await deleter.execute("DELETE FROM versions WHERE version_id = $1", V)
            save = [envelope(an.RoiCreated(frame=ref(V, "f1"), roi=rect(f"r{i}", "car")), i + 1) for i in range(5)]
            applying = asyncio.create_task(on_annotation_events(consumer, save))  # it read the version as there
            await asyncio.sleep(0.3)
            assert not applying.done()  # its write waits for the deletion
            await tx.commit()
            await applying
        for query in TABLES[1:]:
            assert [tuple(r) for r in await pool.fetch(query) if r["version_id"] == V] == []
    finally:
        await _drop(schema, pool)


def an_index_save() -> list[envelope_pb2.EventEnvelope]:
    """A save as the iterator's ROI index sees it: runs of created ROIs between label, delete and metadata events,
    on a child frame whose state starts as its parent's."""
    f, child = ref(V, "f1"), ref(CHILD, "f1")
    msgs: list[Message] = [an.RoiCreated(frame=f, roi=rect(f"r{i}", "car")) for i in range(20)]
    msgs += [
        an.RoiCreated(frame=child, roi=rect("c0", "cat")),  # the child's state starts from the 20 ROIs above
        an.RoiLabelAdded(frame=f, roi_id="r1", label="bus"),
        an.RoiDeleted(frame=f, roi_id="r2"),
        an.RoiCreated(frame=f, roi=rect("r2", "person")),  # re-created after its deletion
        an.RoiCreated(frame=f, roi=rect("r5", "truck")),
        an.RoiCreated(frame=f, roi=rect("r5", "van")),  # twice in one run: the last one wins
        an.FrameMetadataSet(frame=f, metadata_json='{"lane": 3}'),
        an.RoiLabelRemoved(frame=f, roi_id="r5", label="van"),
        an.FrameSaved(frame=f),
        an.RoiCreated(frame=child, roi=rect("c1", "dog")),
        an.RoiDeleted(frame=child, roi_id="r0"),
    ]
    return [envelope(m, i + 1) for i, m in enumerate(msgs)]


async def _iterator_schemas(postgres_dsn: str, pools: list[tuple[str, asyncpg.Pool]]) -> None:
    """Two fresh iterator schemas knowing version V and its child CHILD, added to `pools` (dropped by the caller)."""
    for _ in range(2):
        schema = f"t_{uuid.uuid4().hex[:12]}"
        pool = await create_pool(postgres_dsn, schema, min_size=1, max_size=2)
        pools.append((schema, pool))
        await migrate(pool, schema, ["annostream_iterator.migrations"])
        await pool.execute("INSERT INTO versions VALUES ($1, 'd', NULL), ($2, 'd', $1)", V, CHILD)


async def test_the_iterator_indexes_a_save_in_one_batch_as_it_did_event_by_event(postgres_dsn: str) -> None:
    from annostream_iterator.adapters.postgres import ConsumerRepositories as IteratorRepositories
    from annostream_iterator.service_layer.consumers import Consumers as IteratorConsumers

    iterator = IteratorConsumers(IteratorRepositories)  # as the iterator's bootstrap wires them
    one_event, batched = iterator.on_annotation_event, iterator.on_annotation_events

    events, pools = an_index_save(), []
    try:
        await _iterator_schemas(postgres_dsn, pools)
        (_, one), (_, batch) = pools
        for env in events:
            async with one.acquire() as conn, conn.transaction():
                await one_event(conn, env)
        async with batch.acquire() as conn, conn.transaction():
            await batched(conn, events)
        queries = (
            "SELECT version_id, frame_id, roi_id, labels, confidence FROM rois ORDER BY 1, 2, 3",
            "SELECT version_id, frame_id, metadata FROM marks ORDER BY 1, 2",
        )
        got = [[tuple(r) for r in await batch.fetch(q)] for q in queries]
        assert got == [[tuple(r) for r in await one.fetch(q)] for q in queries]
        rois = {(r[0], r[2]): r[3] for r in got[0]}
        assert rois[(V, "r1")] == ["car", "bus"] and rois[(V, "r2")] == ["person"] and rois[(V, "r5")] == []
        assert (CHILD, "r0") not in rois and rois[(CHILD, "c1")] == ["dog"] and rois[(CHILD, "r1")] == ["car"]
    finally:
        for schema, pool in pools:
            await _drop(schema, pool)


async def test_the_iterator_applying_saves_without_a_transaction_indexes_them_as_event_by_event(
    postgres_dsn: str, nc: NatsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annostream_iterator.adapters.postgres import ConsumerRepositories as IteratorRepositories
    from annostream_iterator.service_layer.consumers import Consumers as IteratorConsumers
    from annostream_kernel.batch_write import BatchWrite

    iterator = IteratorConsumers(IteratorRepositories)
    begun: list[int] = []
    begin = BatchWrite.begin

    async def counted(self: BatchWrite) -> None:
        begun.append(self.after)
        await begin(self)

    monkeypatch.setattr(BatchWrite, "begin", counted)
    carried: list[bool] = []  # per one-write batch: whether the handler's write stored the position
    finish = BatchWrite.finish

    async def noted(self: BatchWrite) -> None:
        carried.append(self.stored)
        await finish(self)

    monkeypatch.setattr(BatchWrite, "finish", noted)
    events, pools = an_index_save(), []
    uid = uuid.uuid4().hex[:8]
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}")
    js = nc.jetstream()
    await ensure_stream(js, stream)
    try:
        await _iterator_schemas(postgres_dsn, pools)
        (_, one), (schema, batch) = pools
        for env in events:
            async with one.acquire() as conn, conn.transaction():
                await iterator.on_annotation_event(conn, env)
            await js.publish(f"test.{uid}.x", env.SerializeToString())
        spec = ConsumerSpec(
            "iterator-test",
            stream,
            iterator.on_annotation_event,
            batch_handler=iterator.on_annotation_events,
            one_write=True,
        )
        consumer = EventConsumer(batch, js, spec, schema=schema, batch=len(events))
        sub = await consumer._subscribe()
        msgs = await sub.fetch(len(events), timeout=5)
        assert await consumer.commit_batch(msgs[:1]) == 1  # the leader's first batch: in a transaction
        assert await consumer.commit_batch(msgs[1:20]) == 19  # created ROIs of one frame: one statement
        assert begun == []
        assert await consumer.commit_batch(msgs[20:]) == len(events) - 20  # anything else: in a transaction
        assert begun == [len(events)]
        assert await batch.fetchval("SELECT stream_seq FROM consumer_positions") == len(events)
        two_saves = [  # two frames: a transaction whose last write (the second run) carries the position
            envelope(m, len(events) + i + 1)
            for i, m in enumerate(
                [
                    an.RoiCreated(frame=ref(V, "f7"), roi=rect("a", "car")),
                    an.FrameSaved(frame=ref(V, "f7")),
                    an.RoiCreated(frame=ref(CHILD, "f8"), roi=rect("b", "dog")),
                    an.FrameSaved(frame=ref(CHILD, "f8")),
                ]
            )
        ]
        for env in two_saves:
            async with one.acquire() as conn, conn.transaction():
                await iterator.on_annotation_event(conn, env)
            await js.publish(f"test.{uid}.x", env.SerializeToString())
        await msgs[-1].ack()  # the durable delivers no more than its batch size unacked
        more = await sub.fetch(len(two_saves), timeout=5)
        assert await consumer.commit_batch(more) == len(two_saves)
        assert begun == [len(events), len(events) + len(two_saves)]
        assert carried == [True, False, True]  # the run; the mixed batch ends with a deletion; the second frame's run
        assert await batch.fetchval("SELECT stream_seq FROM consumer_positions") == len(events) + len(two_saves)
        for q in (
            "SELECT version_id, frame_id, roi_id, labels, confidence FROM rois ORDER BY 1, 2, 3",
            "SELECT version_id, frame_id, metadata FROM marks ORDER BY 1, 2",
        ):
            assert [tuple(r) for r in await batch.fetch(q)] == [tuple(r) for r in await one.fetch(q)]
        await sub.unsubscribe()
    finally:
        await js.delete_stream(stream.name)
        for s, pool in pools:
            await _drop(s, pool)
