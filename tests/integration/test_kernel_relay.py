"""The outbox relay publishes committed events in order, never skipping a late-committing transaction."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
from nats.aio.client import Client as NatsClient

from annostream_kernel.events import NewEvent, append_events, subject
from annostream_kernel.relay import OutboxRelay
from annostream_kernel.streams import StreamDef, ensure_stream
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2


def _event(prefix: str, name: str) -> NewEvent:
    return NewEvent(
        payload=datasets_pb2.DatasetCreated(dataset_id=name, name=name),
        stream_id=f"test:{name}",
        subject=subject(prefix, name, "DatasetCreated"),
    )


async def _stream(nc: NatsClient) -> StreamDef:
    uid = uuid.uuid4().hex[:8]
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}")
    await ensure_stream(nc.jetstream(), stream)
    return stream


async def _names_on(nc: NatsClient, stream: StreamDef, expected: int) -> list[str]:
    sub = await nc.jetstream().pull_subscribe(f"{stream.prefix}.>", stream=stream.name)
    msgs = await sub.fetch(expected, timeout=5) if expected else []
    names = []
    for m in msgs:
        env = envelope_pb2.EventEnvelope.FromString(m.data)
        payload = datasets_pb2.DatasetCreated()
        env.payload.Unpack(payload)
        assert m.headers and m.headers["Nats-Msg-Id"] == env.event_id
        names.append(payload.name)
    return names


async def test_a_transaction_committing_after_a_higher_position_is_published_not_skipped(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _stream(nc)
    relay = OutboxRelay(pool, nc, schema=schema, producer="test")
    async with pool.acquire() as relay_conn:
        await relay_conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test')")
        async with pool.acquire() as t1:
            tx1 = t1.transaction()
            await tx1.start()
            await append_events(t1, [_event(stream.prefix, "first-inserted")])  # lower position, still open
            async with pool.acquire() as t2, t2.transaction():
                await append_events(t2, [_event(stream.prefix, "second-inserted")])  # higher position, commits first

            # While T1 is in flight the relay must not move past it (a position watermark would publish
            # "second-inserted" now and skip "first-inserted" forever).
            assert await relay.publish_pending(relay_conn) == 0
            await tx1.commit()

        positions = await relay_conn.fetch("SELECT position, stream_id FROM events ORDER BY position")
        assert [r["stream_id"] for r in positions] == ["test:first-inserted", "test:second-inserted"]
        assert await relay.publish_pending(relay_conn) == 2
        assert await relay.publish_pending(relay_conn) == 0

    assert await _names_on(nc, stream, 2) == ["first-inserted", "second-inserted"]


async def test_a_rolled_back_transaction_does_not_block_or_publish(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _stream(nc)
    relay = OutboxRelay(pool, nc, schema=schema, producer="test")
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test')")
        tx = conn.transaction()
        await tx.start()
        await append_events(conn, [_event(stream.prefix, "rolled-back")])
        await tx.rollback()
        await append_events(conn, [_event(stream.prefix, "kept")])
        assert await relay.publish_pending(conn) == 1
    assert await _names_on(nc, stream, 1) == ["kept"]


async def test_republishing_after_a_lost_checkpoint_is_deduplicated_by_event_id(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _stream(nc)
    js = nc.jetstream()
    relay = OutboxRelay(pool, nc, schema=schema, producer="test")
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test')")
        await append_events(conn, [_event(stream.prefix, "one")])
        await append_events(conn, [_event(stream.prefix, "other")])
        assert await relay.publish_pending(conn) == 2
        # Simulate a crash between publish and checkpoint update: the checkpoint goes back.
        await conn.execute("UPDATE relay_checkpoints SET tx_id = '0', position = 0")
        assert await relay.publish_pending(conn) == 2
    info = await js.stream_info(stream.name)
    assert info.state.messages == 2


async def test_batches_are_confirmed_by_one_ack_and_republished_with_an_ack_each_when_the_stream_moved_otherwise(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _stream(nc)
    relay = OutboxRelay(pool, nc, schema=schema, producer="test")
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test')")
        await append_events(conn, [_event(stream.prefix, "first")])
        assert await relay.publish_pending(conn) == 1  # acked: the relay learns the stream's sequence
        for name in ("a", "b", "c"):
            await append_events(conn, [_event(stream.prefix, name)])
        assert await relay.publish_pending(conn) == 3
        assert relay.batches_confirmed_by_one_ack == 1  # three messages, one ack

        # Another publisher moves the stream's sequence: the next batch's ack does not add up, so the relay
        # publishes it again with an ack per message (the repeats are dropped by event id).
        await nc.jetstream().publish(f"{stream.prefix}.x.DatasetCreated", b"", headers={"Nats-Msg-Id": "outsider"})
        for name in ("d", "e"):
            await append_events(conn, [_event(stream.prefix, name)])
        assert await relay.publish_pending(conn) == 2
        assert relay.batches_confirmed_by_one_ack == 1
        for name in ("f", "g"):
            await append_events(conn, [_event(stream.prefix, name)])
        assert await relay.publish_pending(conn) == 2
        assert relay.batches_confirmed_by_one_ack == 2  # back to one ack once the sequence is known again
    info = await nc.jetstream().stream_info(stream.name)
    assert info.state.messages == 9  # eight events once each, and the outsider
    stored = [await nc.jetstream().get_msg(stream.name, seq) for seq in range(1, 10)]
    ids = [m.headers["Nats-Msg-Id"] for m in stored if m.headers]
    assert len(ids) == len(set(ids)) == 9


async def test_the_running_relay_publishes_on_notify_and_hands_over_leadership(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _stream(nc)
    js = nc.jetstream()
    leader = OutboxRelay(pool, nc, schema=schema, producer="test", poll_seconds=0.1)
    standby = OutboxRelay(pool, nc, schema=schema, producer="test", poll_seconds=0.1)
    tasks = [asyncio.create_task(leader.run()), asyncio.create_task(standby.run())]
    try:
        async with pool.acquire() as conn:
            await append_events(conn, [_event(stream.prefix, "a")], notify_channel=leader.notify_channel)
        for _ in range(400):  # generous: the machine may be busy
            if leader.published + standby.published == 1:
                break
            await asyncio.sleep(0.05)
        assert leader.published + standby.published == 1, await _diagnose(pool)
        assert (await js.stream_info(stream.name)).state.messages == 1
        active = tasks[0] if leader.published else tasks[1]
        active.cancel()
        async with pool.acquire() as conn:
            await append_events(conn, [_event(stream.prefix, "b")], notify_channel=leader.notify_channel)
        survivor = standby if active is tasks[0] else leader
        for _ in range(400):
            if survivor.published == 1:
                break
            await asyncio.sleep(0.05)
        assert (await js.stream_info(stream.name)).state.messages == 2
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _diagnose(pool: asyncpg.Pool) -> str:
    """What the relay saw: events, the snapshot, checkpoints and transactions holding xmin back."""
    async with pool.acquire() as c:
        return str(
            [
                await c.fetch("SELECT tx_id::text, position FROM events"),
                await c.fetchval("SELECT pg_current_snapshot()::text"),
                await c.fetch("SELECT name, tx_id::text, position FROM relay_checkpoints"),
                await c.fetch(
                    "SELECT pid, state, backend_type, backend_xid::text, backend_xmin::text, left(query, 80)"
                    " FROM pg_stat_activity WHERE backend_xid IS NOT NULL OR backend_xmin IS NOT NULL"
                ),
            ]
        )


@contextlib.asynccontextmanager
async def _running(relay: OutboxRelay) -> AsyncIterator[None]:
    """The relay's run loop as a task for the block, cancelled after it."""
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _until(check: object, tries: int = 400) -> None:
    for _ in range(tries):  # generous: the machine may be busy
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)


async def test_a_leading_relay_moves_the_stored_checkpoint_batch_by_batch_and_the_next_leader_resumes_there(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = await _stream(nc)
    first = OutboxRelay(pool, nc, schema=schema, producer="test", poll_seconds=0.1)
    async with _running(first):
        for i, name in enumerate(("a", "b", "c")):  # three batches, each after the previous one is published
            async with pool.acquire() as conn:
                await append_events(conn, [_event(stream.prefix, name)], notify_channel=first.notify_channel)
                last = await conn.fetchrow("SELECT tx_id::text AS tx, position FROM events ORDER BY position DESC")
            await _until(lambda i=i: first.published == i + 1)
            async with pool.acquire() as conn:
                stored = await conn.fetchrow("SELECT tx_id::text AS tx, position FROM relay_checkpoints")
            assert (stored["tx"], stored["position"]) == (last["tx"], last["position"]), await _diagnose(pool)
    async with pool.acquire() as conn:
        await append_events(conn, [_event(stream.prefix, "d")])
    second = OutboxRelay(pool, nc, schema=schema, producer="test", poll_seconds=0.1)
    async with _running(second):
        await _until(lambda: second.published == 1)
        await asyncio.sleep(0.3)  # a few more polls: nothing published twice
        assert second.published == 1
    assert await _names_on(nc, stream, 4) == ["a", "b", "c", "d"]


async def test_events_held_behind_an_open_transaction_are_published_when_it_ends_without_another_notification(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    # The notification of the held events is spent on a read that cannot publish them yet; with a poll of a
    # minute, only the relay's own re-read after it saw held rows can publish them within the test's wait.
    schema, pool = schema_pool
    stream = await _stream(nc)
    relay = OutboxRelay(pool, nc, schema=schema, producer="test", poll_seconds=60)
    async with _running(relay):
        async with pool.acquire() as blocker:
            tx = blocker.transaction()
            await tx.start()
            await blocker.fetchval("SELECT pg_current_xact_id()")  # holds xmin back, as any open writer does
            async with pool.acquire() as conn:
                await append_events(conn, [_event(stream.prefix, "held")], notify_channel=relay.notify_channel)
            await _until(lambda: relay.held)
            assert relay.held, await _diagnose(pool)
            assert relay.published == 0
            await tx.commit()
        await _until(lambda: relay.published == 1)
        assert relay.published == 1, await _diagnose(pool)
        assert not relay.held
    assert await _names_on(nc, stream, 1) == ["held"]
