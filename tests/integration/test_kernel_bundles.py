"""Bundles: the relay publishes one message per committed transaction beside the events, and a bundled consumer applies
every event once, in the event stream's sequence space, also across a relay crash, a redelivery and an upgrade from
a durable on the event stream (real nats-server and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from annostream_kernel import relay as relay_module
from annostream_kernel.bundles import FIRST_SEQ, LAST_SEQ, EventReader, Item, decode
from annostream_kernel.consumer import ConsumerSpec, EventConsumer
from annostream_kernel.db import Conn
from annostream_kernel.events import NewEvent, append_events, subject, unpack
from annostream_kernel.positions import applied_position
from annostream_kernel.relay import OutboxRelay
from annostream_kernel.streams import StreamDef, ensure_stream
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2

from .consumer_helpers import run_until


async def _streams(nc: NatsClient) -> StreamDef:
    uid = uuid.uuid4().hex[:8]
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}", bundles=StreamDef(f"TESTB_{uid}", f"testb.{uid}"))
    assert stream.bundles is not None
    await ensure_stream(nc.jetstream(), stream)
    await ensure_stream(nc.jetstream(), stream.bundles)
    return stream


async def _append(pool: asyncpg.Pool, stream: StreamDef, *txs: list[str]) -> None:
    """One transaction per list of names, one DatasetCreated event per name."""
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS effects (n serial, name text NOT NULL)")
        await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test') ON CONFLICT DO NOTHING")
        for names in txs:
            async with conn.transaction():
                for n in names:  # one stream per event (a save's events share one; the relay does not care)
                    kind = (
                        datasets_pb2.VersionCreated if n.startswith("v") else datasets_pb2.DatasetCreated
                    )  # v: other type
                    event = NewEvent(kind(name=n), f"s:{n}", subject(stream.prefix, n, kind.DESCRIPTOR.name))
                    await append_events(conn, [event])


async def _publish(pool: asyncpg.Pool, relay: OutboxRelay) -> int:
    async with pool.acquire() as conn:
        return await relay.publish_pending(conn)


async def _handle(conn: Conn, env: envelope_pb2.EventEnvelope) -> None:
    payload = unpack(env, datasets_pb2.DatasetCreated)
    assert payload is not None
    await conn.execute("INSERT INTO effects(name) VALUES ($1)", payload.name)


async def _effects(pool: asyncpg.Pool) -> list[str]:
    return [r["name"] for r in await pool.fetch("SELECT name FROM effects ORDER BY n")]


def _until_effects(pool: asyncpg.Pool, n: int) -> Callable[[], Awaitable[bool]]:
    async def done() -> bool:
        return len(await _effects(pool)) >= n

    return done


async def test_the_relay_bundles_each_transaction_with_the_sequences_of_its_events(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _streams(nc)
    assert stream.bundles is not None
    relay = OutboxRelay(pool, nc, schema=schema, producer="test", bundles=stream.bundles)
    await _append(pool, stream, ["a0"])
    assert await _publish(pool, relay) == 1  # an ack per message: the stream's sequence is learned
    await _append(pool, stream, ["b0", "b1", "b2"], ["c0", "c1"])
    assert await _publish(pool, relay) == 5
    assert relay.batches_confirmed_by_one_ack == 1 and relay.bundles == 3  # sequences counted from one ack

    js = nc.jetstream()
    assert (await js.stream_info(stream.name)).state.messages == 6  # still one message per event
    names = []
    for seq in (1, 2, 3):
        bundle = await js.get_msg(stream.bundles.name, seq)
        items = decode(bundle.data or b"")
        assert bundle.headers and int(bundle.headers[FIRST_SEQ]) == items[0].seq
        assert int(bundle.headers[LAST_SEQ]) == items[-1].seq
        for item in items:  # each carries its own message's sequence, subject, type and envelope
            own = await js.get_msg(stream.name, item.seq)
            assert (own.data, own.subject, item.type) == (item.data, item.subject, "DatasetCreated")
        names.append(
            [unpack(envelope_pb2.EventEnvelope.FromString(i.data), datasets_pb2.DatasetCreated).name for i in items]
        )  # type: ignore[union-attr]
    assert names == [["a0"], ["b0", "b1", "b2"], ["c0", "c1"]]


async def test_a_bundled_consumer_applies_every_event_once_across_a_relay_crash_before_the_bundle(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema, pool = schema_pool
    stream = await _streams(nc)
    relay = OutboxRelay(pool, nc, schema=schema, producer="test", bundles=stream.bundles)
    await _append(pool, stream, ["a0", "a1"])

    async def crash(*_: object, **__: object) -> int:
        raise ConnectionError("relay gone after the events, before their bundle")

    with monkeypatch.context() as m:
        m.setattr(relay_module, "publish_bundles", crash)
        with pytest.raises(ConnectionError):
            await _publish(pool, relay)
    assert (await nc.jetstream().stream_info(stream.name)).state.messages == 2  # the events are out, no bundle

    consumer = EventConsumer(pool, nc.jetstream(), ConsumerSpec("b1", stream, _handle, bundled=True), schema=schema)
    await run_until(consumer, _until_effects(pool, 2))  # no bundle comes: read from the event stream
    assert await _effects(pool) == ["a0", "a1"]

    assert await _publish(pool, relay) == 2  # the same batch again: events de-duplicated, the bundle published
    assert (await nc.jetstream().stream_info(stream.name)).state.messages == 2
    await _append(pool, stream, ["b0"])
    assert await _publish(pool, relay) == 1
    await run_until(consumer, _until_effects(pool, 3))
    await asyncio.sleep(0.3)
    assert await _effects(pool) == ["a0", "a1", "b0"]  # the late bundle of a0, a1 had no second effect
    async with pool.acquire() as conn:
        assert await applied_position(conn, "b1") == 3  # an event-stream sequence


async def test_a_redelivered_bundle_has_no_second_effect(schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient) -> None:
    schema, pool = schema_pool
    stream = await _streams(nc)
    assert stream.bundles is not None
    relay = OutboxRelay(pool, nc, schema=schema, producer="test", bundles=stream.bundles)
    await _append(pool, stream, ["a0", "a1", "a2"], ["b0", "b1"])
    assert await _publish(pool, relay) == 5
    consumer = EventConsumer(pool, nc.jetstream(), ConsumerSpec("b2", stream, _handle, bundled=True), schema=schema)
    sub = await nc.jetstream().pull_subscribe(stream.bundles.bundle_subject, stream=stream.bundles.name)
    msgs = await sub.fetch(2, timeout=5)
    assert await consumer.commit_batch(msgs[:1]) == 3  # committed, then "crashed" before acking
    assert await consumer.apply_batch(msgs) == 2  # redelivered with the next bundle: only b0, b1 applied
    assert await consumer.apply_batch(msgs) == 0
    assert await _effects(pool) == ["a0", "a1", "a2", "b0", "b1"]


async def test_a_consumer_moved_to_bundles_first_applies_the_events_published_before_bundles_existed(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _streams(nc)
    old_relay = OutboxRelay(pool, nc, schema=schema, producer="test")  # before bundles: events only
    await _append(pool, stream, ["a0", "a1"], ["b0"])
    assert await _publish(pool, old_relay) == 3
    old = EventConsumer(pool, nc.jetstream(), ConsumerSpec("b3", stream, _handle), schema=schema)
    await run_until(old, _until_effects(pool, 3))  # the durable on the event stream: position 3
    await _append(pool, stream, ["c0", "c1"])
    assert await _publish(pool, old_relay) == 2  # published before the upgrade, applied by no one yet

    relay = OutboxRelay(pool, nc, schema=schema, producer="test", bundles=stream.bundles)
    await _append(pool, stream, ["d0", "d1"])
    assert await _publish(pool, relay) == 2  # the first bundle holds d0, d1 only
    new = EventConsumer(pool, nc.jetstream(), ConsumerSpec("b3", stream, _handle, bundled=True), schema=schema)
    await run_until(new, _until_effects(pool, 7))
    await asyncio.sleep(0.3)
    assert await _effects(pool) == ["a0", "a1", "b0", "c0", "c1", "d0", "d1"]
    async with pool.acquire() as conn:
        assert await applied_position(conn, "b3") == 7
    with pytest.raises(NotFoundError):  # the event stream's durable from before is gone
        await nc.jetstream().consumer_info(stream.name, "b3")

    await _append(pool, stream, ["e0"])
    assert await _publish(pool, relay) == 1
    again = EventConsumer(pool, nc.jetstream(), ConsumerSpec("b3", stream, _handle, bundled=True), schema=schema)
    await run_until(again, _until_effects(pool, 8))  # a new leader starts at the first bundle after position 7
    await asyncio.sleep(0.3)
    assert await _effects(pool) == ["a0", "a1", "b0", "c0", "c1", "d0", "d1", "e0"]


async def test_a_lazy_bundled_consumer_only_acks_bundles_it_applies_nothing_from_and_reads_no_event_one_by_one(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema, pool = schema_pool
    stream = await _streams(nc)
    assert stream.bundles is not None
    relay = OutboxRelay(pool, nc, schema=schema, producer="test", bundles=stream.bundles)
    await _append(pool, stream, ["a0"], ["v0", "v1"], ["v2"], ["b0"])
    assert await _publish(pool, relay) == 5
    reads: list[tuple[int, int]] = []
    original = EventReader.read

    async def read(self: EventReader, first: int, last: int) -> list[Item]:
        reads.append((first, last))
        return await original(self, first, last)

    monkeypatch.setattr(EventReader, "read", read)
    types = frozenset({"DatasetCreated"})
    spec = ConsumerSpec("b4", stream, _handle, event_types=types, lazy_position=True, bundled=True)
    consumer = EventConsumer(pool, nc.jetstream(), spec, schema=schema)
    sub = await nc.jetstream().pull_subscribe(stream.bundles.bundle_subject, stream=stream.bundles.name)
    msgs = await sub.fetch(4, timeout=5)
    assert await consumer.apply_batch(msgs[:1]) == 1  # a0: position 1
    assert await consumer.apply_batch(msgs[1:2]) == 0  # v0, v1: only acked, no transaction
    assert await consumer.apply_batch(msgs[2:3]) == 0
    async with pool.acquire() as conn:
        assert await applied_position(conn, "b4") == 1  # stored with the next applied bundle
    assert await consumer.apply_batch(msgs[3:]) == 1  # b0 follows the acked bundles: no gap to read
    async with pool.acquire() as conn:
        assert await applied_position(conn, "b4") == 5
    assert reads == [] and await _effects(pool) == ["a0", "b0"]
