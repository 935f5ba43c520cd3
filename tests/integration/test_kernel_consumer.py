"""The consumer loop applies each event once: position stored in the read model's transaction."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import asyncpg
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient

from annostream_kernel.batch_write import current_batch, position_update
from annostream_kernel.consumer import ConsumerSpec, DeliveryGap, EventConsumer, PositionMoved
from annostream_kernel.db import Conn
from annostream_kernel.errors import Unavailable
from annostream_kernel.events import NewEvent, append_events, subject, unpack
from annostream_kernel.pull import BatchPuller, stream_seq
from annostream_kernel.relay import OutboxRelay
from annostream_kernel.streams import StreamDef, ensure_stream
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2

from .consumer_helpers import run_until


class Boom(Exception):
    pass


async def _setup(schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient, n: int) -> tuple[StreamDef, list[str]]:
    """Create a stream and publish n events through the real relay; returns the stream and names."""
    schema, pool = schema_pool
    uid = uuid.uuid4().hex[:8]
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}")
    js = nc.jetstream()
    await ensure_stream(js, stream)
    names = [f"e{i}" for i in range(n)]
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (name text NOT NULL)")  # no unique key: a 2nd effect shows
        for name in names:
            await append_events(
                conn,
                [
                    NewEvent(
                        datasets_pb2.DatasetCreated(name=name),
                        f"s:{name}",
                        subject(stream.prefix, name, "DatasetCreated"),
                    )
                ],
            )
        await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test')")
        await OutboxRelay(pool, nc, schema=schema, producer="test").publish_pending(conn)
    return stream, names


def _handler(fail_on: str | None = None):  # type: ignore[no-untyped-def]
    async def handle(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
        payload = unpack(env, datasets_pb2.DatasetCreated)
        assert payload is not None
        await conn.execute("INSERT INTO effects(name) VALUES ($1)", payload.name)
        if payload.name == fail_on:
            raise Boom(payload.name)

    return handle


async def test_a_redelivered_batch_has_no_second_effect(schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 5)
    consumer = EventConsumer(
        pool, nc.jetstream(), ConsumerSpec("c1", stream, _handler()), schema=schema, batch=10, ack_wait=1.0
    )
    sub = await consumer._subscribe()
    msgs = await sub.fetch(5, timeout=5)
    assert await consumer.commit_batch(msgs) == 5  # committed, then "crashed" before acking
    redelivered = await sub.fetch(5, timeout=10)  # JetStream redelivers after ack_wait
    assert [m.metadata.num_delivered for m in redelivered] == [2] * 5
    assert await consumer.apply_batch(redelivered) == 0
    rows = await pool.fetch("SELECT name FROM effects")
    assert sorted(r["name"] for r in rows) == names
    assert await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c1'") == 5


async def test_a_position_moved_behind_the_leaders_back_rolls_the_batch_back_and_is_read_again(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 5)
    consumer = EventConsumer(pool, nc.jetstream(), ConsumerSpec("c1m", stream, _handler()), schema=schema, batch=10)
    sub = await consumer._subscribe()
    msgs = await sub.fetch(5, timeout=5)
    assert await consumer.commit_batch(msgs[:2]) == 2  # the leader keeps position 2 without reading it again
    async with pool.acquire() as conn, conn.transaction():  # a process that should not lead applied e2
        await conn.execute("INSERT INTO effects(name) VALUES ('e2')")
        await conn.execute("UPDATE consumer_positions SET stream_seq = 3 WHERE consumer = 'c1m'")
    with pytest.raises(PositionMoved):
        await consumer.commit_batch(msgs[2:])  # stored only if the row still holds 2: rolled back
    assert sorted(r["name"] for r in await pool.fetch("SELECT name FROM effects")) == names[:3]
    assert await consumer.apply_in_order(msgs[2:]) == 2  # read again under the row lock: e3, e4 only
    assert sorted(r["name"] for r in await pool.fetch("SELECT name FROM effects")) == names
    assert await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c1m'") == 5


async def test_a_batch_the_idle_condition_holds_for_only_moves_the_position_and_never_over_a_moved_one(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 6)
    await pool.execute("CREATE TABLE wanted (type text NOT NULL)")
    idle = "NOT EXISTS (SELECT 1 FROM wanted WHERE type = ANY($4))"  # nobody takes any of the batch's types
    spec = ConsumerSpec("c1i", stream, _handler(), idle_when=idle)
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10)
    sub = await consumer._subscribe()
    msgs = await sub.fetch(6, timeout=5)

    async def effects() -> list[str]:
        return sorted(r["name"] for r in await pool.fetch("SELECT name FROM effects"))

    async def position() -> int:
        return int(await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c1i'"))

    assert await consumer.commit_batch(msgs[:1]) == 1  # a new leader reads its position under the lock: as usual
    assert await consumer.commit_batch(msgs[1:2]) == 0  # the condition holds: no handler, only the position
    assert (await effects(), await position()) == (["e0"], 2)
    await pool.execute("INSERT INTO wanted VALUES ('DatasetCreated')")
    assert await consumer.commit_batch(msgs[2:3]) == 1  # it does not hold: applied as usual
    await pool.execute("DELETE FROM wanted")
    assert await consumer.commit_batch(msgs[3:4]) == 1  # not tried again for a while after it did not hold
    assert (await effects(), await position()) == (["e0", "e2", "e3"], 4)
    consumer._idle._busy_until = 0.0
    await pool.execute("UPDATE consumer_positions SET stream_seq = 5 WHERE consumer = 'c1i'")  # someone else's
    with pytest.raises(PositionMoved):  # the one statement stores nothing over a moved position either
        await consumer.commit_batch(msgs[4:5])
    assert await position() == 5
    assert await consumer.apply_in_order(msgs[4:]) == 1  # read again under the lock (as usual): e5 only is fresh
    assert (await effects(), await position()) == (["e0", "e2", "e3", "e5"], 6)
    assert names[-1] == "e5"


async def test_a_one_write_batch_stores_its_position_with_its_write_or_in_the_transaction_it_began(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 8)
    fail_once = [True]

    async def batch(conn: Conn, envs: list[envelope_pb2.EventEnvelope]) -> None:
        got = [p.name for e in envs if (p := unpack(e, datasets_pb2.DatasetCreated)) is not None]
        write = current_batch()
        insert = "INSERT INTO effects SELECT unnest($1::text[])"
        if write is None:  # the leader's first batch (position read under its lock): in a transaction as usual
            await conn.execute(insert, got)
        elif "e5" in got or "e6" in got:  # two writes: in a transaction the handler begins (the kernel commits it)
            await write.begin()
            await conn.execute(insert, got)
            if fail_once.pop() if fail_once else False:
                raise Boom("after the first write")
            await conn.execute(insert, [f"{got[0]}+"])
        elif "e7" not in got:  # one write that stores the position too (e7: nothing written at all)
            await conn.execute(f"WITH pos AS ({position_update(2)}) {insert}", got, *write.position_args())

    spec = ConsumerSpec("c1w", stream, _handler(), batch_handler=batch, one_write=True)
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10, max_attempts=5)
    sub = await consumer._subscribe()
    msgs = await sub.fetch(8, timeout=5)

    async def state() -> tuple[list[str], int]:
        rows = await pool.fetch("SELECT name FROM effects")
        at = await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c1w'")
        return sorted(r["name"] for r in rows), int(at)

    assert await consumer.commit_batch(msgs[:1]) == 1
    assert await consumer.commit_batch(msgs[1:3]) == 2  # one statement: effects and position
    assert await state() == (names[:3], 3)
    async with pool.acquire() as conn, conn.transaction():  # a process that should not lead applied e3
        await conn.execute("INSERT INTO effects VALUES ('e3')")
        await conn.execute("UPDATE consumer_positions SET stream_seq = 4 WHERE consumer = 'c1w'")
    with pytest.raises(PositionMoved):  # the one statement failed as a whole: no e3 twice, no e4
        await consumer.commit_batch(msgs[3:5])
    assert await state() == (names[:4], 4)
    assert await consumer.apply_in_order(msgs[3:5]) == 1  # read again under the lock: e4 only
    with pytest.raises(Boom):  # the transaction it began is rolled back, position included
        await consumer.commit_batch(msgs[5:6])
    assert await state() == (names[:5], 5)
    assert await consumer.commit_batch(msgs[5:6]) == 1  # after a failure: position read under the lock, as usual
    assert await consumer.commit_batch(msgs[6:7]) == 1  # two writes in the transaction it began
    assert await consumer.commit_batch(msgs[7:8]) == 1  # nothing written: the kernel stores the position alone
    assert await state() == (sorted([*names[:7], "e6+"]), 8)


async def test_a_failing_event_rolls_back_its_whole_batch_and_position(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 3)
    consumer = EventConsumer(
        pool, nc.jetstream(), ConsumerSpec("c2", stream, _handler(fail_on="e1")), schema=schema, batch=10
    )
    sub = await consumer._subscribe()
    msgs = await sub.fetch(3, timeout=5)
    with pytest.raises(Boom):
        await consumer.apply_batch(msgs)
    assert await pool.fetchval("SELECT count(*) FROM effects") == 0
    assert await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c2'") is None


async def test_the_running_loop_retries_after_a_failure_and_applies_everything_once(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 4)
    failures = {"left": 1}

    async def flaky(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
        await _handler()(conn, env)
        if failures["left"]:
            failures["left"] -= 1
            raise Boom("transient")

    consumer = EventConsumer(pool, nc.jetstream(), ConsumerSpec("c3", stream, flaky), schema=schema, batch=2)

    async def all_applied() -> bool:
        return await pool.fetchval("SELECT count(*) FROM effects") >= 4 and consumer.applied == 4

    await run_until(consumer, all_applied, 200)
    rows = await pool.fetch("SELECT name FROM effects ORDER BY name")
    assert [r["name"] for r in rows] == names


async def test_a_poison_event_is_dead_lettered_after_its_attempts_and_the_rest_still_apply(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 4)
    consumer = EventConsumer(
        pool,
        nc.jetstream(),
        ConsumerSpec("c4", stream, _handler(fail_on="e1")),
        schema=schema,
        batch=10,
        max_attempts=3,
    )

    async def settled() -> bool:
        return consumer.dead_lettered == 1 and consumer.applied == 3

    await run_until(consumer, settled)
    rows = await pool.fetch("SELECT name FROM effects ORDER BY name")
    assert [r["name"] for r in rows] == ["e0", "e2", "e3"]  # e1's effect was rolled back, the others applied once
    dead = await pool.fetch("SELECT consumer, stream_seq, type, error FROM dead_letters")
    assert [(d["consumer"], d["stream_seq"], d["type"]) for d in dead] == [("c4", 2, "DatasetCreated")]
    assert "Boom" in dead[0]["error"]
    assert await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c4'") == 4


async def test_a_batch_handler_gets_only_the_unapplied_events_of_a_batch_in_order(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 6)
    calls: list[list[str]] = []

    async def batch(conn: Conn, envs: list[envelope_pb2.EventEnvelope]) -> None:
        got = [p.name for e in envs if (p := unpack(e, datasets_pb2.DatasetCreated)) is not None]
        calls.append(got)
        await conn.executemany("INSERT INTO effects(name) VALUES ($1)", [(n,) for n in got])

    spec = ConsumerSpec("c5", stream, _handler(), batch_handler=batch)
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10, ack_wait=1.0)
    sub = await consumer._subscribe()
    msgs = await sub.fetch(6, timeout=5)
    assert await consumer.commit_batch(msgs[:3]) == 3  # committed, never acked ("crashed")
    assert await consumer.apply_batch(msgs) == 3  # the whole batch again: only the rest is applied
    assert calls == [names[:3], names[3:]]
    assert sorted(r["name"] for r in await pool.fetch("SELECT name FROM effects")) == names


async def test_a_durable_created_with_other_filters_moves_to_the_new_ones(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 2)
    old = ConsumerSpec("c6", stream, _handler(), filter_subjects=[f"{stream.prefix}.e0.>"])
    await EventConsumer(pool, nc.jetstream(), old, schema=schema)._subscribe()
    new = ConsumerSpec("c6", stream, _handler(), filter_subjects=[f"{stream.prefix}.e1.>", f"{stream.prefix}.e9.>"])
    sub = await EventConsumer(pool, nc.jetstream(), new, schema=schema)._subscribe()
    info = await sub.consumer_info()
    assert sorted(info.config.filter_subjects or []) == [f"{stream.prefix}.e1.>", f"{stream.prefix}.e9.>"]
    msgs = await sub.fetch(5, timeout=5)
    assert [unpack(envelope_pb2.EventEnvelope.FromString(m.data), datasets_pb2.DatasetCreated).name for m in msgs] == [  # type: ignore[union-attr]
        "e1"
    ]


async def test_an_event_whose_handler_must_wait_is_retried_past_max_attempts_and_never_dead_lettered(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 3)
    waits = {"left": 5}  # more deliveries than max_attempts

    async def waiting(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
        payload = unpack(env, datasets_pb2.DatasetCreated)
        if payload is not None and payload.name == "e1" and waits["left"]:
            waits["left"] -= 1
            raise Unavailable("e1's precondition is not there yet")
        await _handler()(conn, env)

    consumer = EventConsumer(pool, nc.jetstream(), ConsumerSpec("c7", stream, waiting), schema=schema, max_attempts=2)

    async def three_applied() -> bool:
        return consumer.applied == 3

    await run_until(consumer, three_applied)
    assert (consumer.applied, consumer.dead_lettered, waits["left"]) == (3, 0, 0)
    assert [r["name"] for r in await pool.fetch("SELECT name FROM effects ORDER BY name")] == names
    assert await pool.fetchval("SELECT count(*) FROM dead_letters") == 0


async def test_an_event_that_must_wait_is_applied_before_any_event_published_after_it(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 1)  # e0 alone: the first fetch is a partial batch
    published_more = asyncio.Event()

    async def publish_more() -> None:  # e1, e2 become available while e0 waits (acks are cumulative)
        js = nc.jetstream()
        for name in ("e1", "e2"):
            env = envelope_pb2.EventEnvelope(event_id=name, type="DatasetCreated")
            env.payload.Pack(datasets_pb2.DatasetCreated(name=name))
            await js.publish(f"{stream.prefix}.{name}.DatasetCreated", env.SerializeToString())
        published_more.set()

    async def waiting(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
        payload = unpack(env, datasets_pb2.DatasetCreated)
        if payload is not None and payload.name == "e0" and not published_more.is_set():
            await publish_more()
            raise Unavailable("e0 waits for something")
        await _handler()(conn, env)

    consumer = EventConsumer(pool, nc.jetstream(), ConsumerSpec("c8", stream, waiting), schema=schema, batch=10)

    async def three_applied() -> bool:
        return consumer.applied == 3

    await run_until(consumer, three_applied)
    rows = await pool.fetch("SELECT name FROM effects")
    assert [r["name"] for r in rows] == ["e0", "e1", "e2"]  # in stream order, none skipped


async def _true(value: bool) -> bool:
    return value


async def test_a_durable_taking_some_event_types_reads_past_the_others_and_stores_the_last_position(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 3)
    async with pool.acquire() as conn:  # a type the consumer does not take, then one it takes
        version = datasets_pb2.VersionCreated(version_id="v")
        await append_events(conn, [NewEvent(version, "s:v", subject(stream.prefix, "v", "VersionCreated"))])
        dataset = datasets_pb2.DatasetCreated(name="e3")
        await append_events(conn, [NewEvent(dataset, "s:e3", subject(stream.prefix, "e3", "DatasetCreated"))])
        await OutboxRelay(pool, nc, schema=schema, producer="test").publish_pending(conn)
    spec = ConsumerSpec("c10", stream, _handler(), event_types=frozenset({"DatasetCreated"}))  # fails on others
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10, ack_wait=5.0)
    position = "SELECT stream_seq FROM consumer_positions WHERE consumer = 'c10'"
    await run_until(consumer, lambda: _true(consumer.applied == 4))
    rows = await pool.fetch("SELECT name FROM effects")
    assert sorted(r["name"] for r in rows) == [*names, "e3"]
    assert consumer.dead_lettered == 0
    assert await pool.fetchval(position) == 5
    info = await nc.jetstream().consumer_info(stream.name, "c10")
    assert not info.config.filter_subjects and info.config.filter_subject in (None, *stream.subjects)


async def test_a_lazy_position_durable_acks_a_batch_without_its_types_and_stores_the_position_with_the_next(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 2)
    spec = ConsumerSpec("c11", stream, _handler(), event_types=frozenset({"VersionCreated"}), lazy_position=True)
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10, ack_wait=1.0)
    sub = await consumer._subscribe()
    assert await consumer.apply_batch(await sub.fetch(2, timeout=5)) == 0  # no VersionCreated: only acked
    assert await pool.fetchval("SELECT count(*) FROM consumer_positions WHERE consumer = 'c11'") == 0
    with pytest.raises(nats.errors.TimeoutError):
        await sub.fetch(1, timeout=2.0)  # acked: not redelivered after ack_wait
    async with pool.acquire() as conn:
        version = datasets_pb2.VersionCreated(version_id="v")
        await append_events(conn, [NewEvent(version, "s:v", subject(stream.prefix, "v", "VersionCreated"))])
        await OutboxRelay(pool, nc, schema=schema, producer="test").publish_pending(conn)
    applied: list[str] = []

    async def on_version(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
        applied.append(env.type.rsplit(".", 1)[-1])

    consumer = EventConsumer(pool, nc.jetstream(), replace(spec, handler=on_version), schema=schema, batch=10)
    await run_until(consumer, lambda: _true(consumer.applied == 1), tries=100)
    assert applied == ["VersionCreated"]
    assert await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c11'") == 3


async def test_a_durable_with_per_type_filters_becomes_stream_wide_keeping_its_position(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 3)
    old = ConsumerSpec("c12", stream, _handler(), filter_subjects=[f"{stream.prefix}.e0.>", f"{stream.prefix}.e1.>"])
    first = await EventConsumer(pool, nc.jetstream(), old, schema=schema, ack_wait=5.0)._subscribe()
    (done,) = await first.fetch(1, timeout=5)
    await done.ack_sync()  # e0 was applied by the older release: acked, its position stored with the read model
    await pool.execute("INSERT INTO consumer_positions (consumer, stream_seq) VALUES ('c12', 1)")
    new = ConsumerSpec("c12", stream, _handler(), event_types=frozenset({"DatasetCreated"}))
    sub = await EventConsumer(pool, nc.jetstream(), new, schema=schema, ack_wait=5.0)._subscribe()
    info = await sub.consumer_info()
    assert not info.config.filter_subjects and info.config.filter_subject in (None, *stream.subjects)
    msgs = await sub.fetch(5, timeout=5)
    assert [stream_seq(m) for m in msgs] == [2, 3]  # e1, and e2 that the old filters did not take


@pytest.mark.parametrize("filtered", [False, True])
async def test_a_new_leader_applies_every_event_a_killed_leader_had_fetched_and_not_applied(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient, nats_url: str, filtered: bool
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 6)
    taken = names[1:] if filtered else names  # a durable with filter subjects: e0 is not its
    filters = [f"{stream.prefix}.{name}.>" for name in taken] if filtered else ()
    spec = ConsumerSpec("c13", stream, _handler(), filter_subjects=filters)
    dead = await nats.connect(nats_url)  # the leader's process: fetches a partial batch, then is killed
    try:
        sub = await EventConsumer(pool, dead.jetstream(), spec, schema=schema, batch=10)._subscribe()
        fetched = await sub.fetch(3, timeout=5)
        assert len(fetched) == 3  # delivered, never applied nor acked
    finally:
        await dead.close()
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10)  # ack_wait 30 s: no redelivery

    async def settled() -> bool:
        return consumer.applied >= len(taken)

    await run_until(consumer, settled, tries=100)
    rows = await pool.fetch("SELECT name FROM effects ORDER BY name")
    assert [r["name"] for r in rows] == taken  # each once, none lost to the cumulative ack
    assert await pool.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = 'c13'") == 6


async def test_a_leader_taking_over_a_durable_that_ends_at_the_stored_position_keeps_it(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, _ = await _setup(schema_pool, nc, 4)
    spec = ConsumerSpec("c14", stream, _handler())
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10)
    await run_until(consumer, lambda: _true(consumer.applied == 4))
    before = await nc.jetstream().consumer_info(stream.name, "c14")
    await EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10)._subscribe()  # the next leader
    after = await nc.jetstream().consumer_info(stream.name, "c14")
    assert (after.created, after.delivered, after.ack_floor) == (before.created, before.delivered, before.ack_floor)
    assert before.ack_floor is not None and before.ack_floor.stream_seq == 4


async def test_a_delivery_the_leader_did_not_receive_stops_it_before_it_applies_anything_later(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient, nats_url: str
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 4)
    spec = ConsumerSpec("c15", stream, _handler())
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema, batch=10)
    await consumer._subscribe()  # leading
    other = await nats.connect(nats_url)  # a delivery the leader never receives (e.g. lost on a reconnect)
    try:
        (lost,) = await (await other.jetstream().pull_subscribe_bind(durable="c15", stream=stream.name)).fetch(1)
    finally:
        await other.close()
    puller = BatchPuller(nc.jetstream(), stream.name, "c15")
    await puller.start()
    try:
        later = await puller.fetch(10, timeout=5)
    finally:
        await puller.stop()
    assert stream_seq(lost) == 1 and [stream_seq(m) for m in later] == [2, 3, 4]
    with pytest.raises(DeliveryGap):
        consumer._check_deliveries(later)
    assert await pool.fetchval("SELECT count(*) FROM effects") == 0
    await run_until(consumer, lambda: _true(consumer.applied == 4))  # it takes over again: from the position
    assert [r["name"] for r in await pool.fetch("SELECT name FROM effects ORDER BY name")] == names


async def test_a_leader_stopped_mid_batch_leaves_nothing_for_the_next_leader_to_skip(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream, names = await _setup(schema_pool, nc, 3)
    stuck = asyncio.Event()

    async def stopping(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
        await _handler()(conn, env)
        stuck.set()
        await asyncio.Event().wait()  # the process is asked to stop while this batch is being applied

    first = EventConsumer(pool, nc.jetstream(), ConsumerSpec("c16", stream, stopping), schema=schema, batch=10)
    await run_until(first, lambda: _true(stuck.is_set()))  # stopped gracefully: its transaction rolled back
    js = nc.jetstream()
    for name in ("e3", "e4"):  # published after: the next leader must not apply (and ack) them first
        env = envelope_pb2.EventEnvelope(event_id=name, type="DatasetCreated")
        env.payload.Pack(datasets_pb2.DatasetCreated(name=name))
        await js.publish(f"{stream.prefix}.{name}.DatasetCreated", env.SerializeToString())
    second = EventConsumer(pool, js, ConsumerSpec("c16", stream, _handler()), schema=schema, batch=10)
    await run_until(second, lambda: _true(second.applied == 5), tries=100)
    assert [r["name"] for r in await pool.fetch("SELECT name FROM effects ORDER BY name")] == [*names, "e3", "e4"]
