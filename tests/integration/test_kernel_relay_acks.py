"""A lost JetStream ack costs the relay one short wait, not the old 10 s: it publishes the unacknowledged messages
again, and every event (and bundle) is stored and delivered once, in order (real nats-server and PostgreSQL).

Acks go missing on purpose: a stream with `no_ack` stores messages without answering (a leader that stored a
message and died before its ack), and a subject no stream takes yet, which a plain subscriber swallows (a message
lost with its leader). The tests count publishes and deliveries; they assert no duration."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js import api

from annostream_kernel.bundles import FIRST_SEQ, LAST_SEQ, decode
from annostream_kernel.events import NewEvent, append_events, subject
from annostream_kernel.relay import OutboxRelay
from annostream_kernel.streams import StreamDef, ensure_stream
from annostream_protos.events.v1 import datasets_pb2

ACK_WAIT = 0.2  # the relay's first ack wait in these tests (1 s by default)


async def _append(pool: asyncpg.Pool, stream: StreamDef, *txs: list[str]) -> None:
    """One transaction per list of names, one DatasetCreated event per name."""
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ('test') ON CONFLICT DO NOTHING")
        for names in txs:
            async with conn.transaction():
                for n in names:
                    event = NewEvent(datasets_pb2.DatasetCreated(name=n), f"s:{n}", subject(stream.prefix, n, "X"))
                    await append_events(conn, [event])


async def _event_ids(pool: asyncpg.Pool) -> list[str]:
    return [str(r[0]) for r in await pool.fetch("SELECT event_id FROM events ORDER BY tx_id, position")]


async def _set(nc: NatsClient, name: str, **changes: object) -> None:
    """Change stream `name`'s configuration."""
    config = (await nc.jetstream().stream_info(name)).config
    for key, value in changes.items():
        setattr(config, key, value)
    await nc.jetstream().update_stream(config)


async def _publish_once_acks_were_late(
    pool: asyncpg.Pool, relay: OutboxRelay, repair: Callable[[], Awaitable[None]]
) -> int:
    """Publish one batch while acks do not come; once the relay has published again at least once, `repair` lets
    them through; returns how many events the batch published."""
    late = relay.acks_late

    async def publish() -> int:
        async with pool.acquire() as conn:
            return await relay.publish_pending(conn)

    task = asyncio.create_task(publish())
    while relay.acks_late == late and not task.done():  # noqa: ASYNC110 - waits for the relay's counter
        await asyncio.sleep(0.02)
    assert not task.done(), "the batch was confirmed without its acks"
    await repair()
    return await task


async def _delivered(nc: NatsClient, stream: StreamDef) -> list[str]:
    """Every message a new subscriber receives from the stream's start, by Nats-Msg-Id, in order."""
    sub = await nc.jetstream().pull_subscribe(f"{stream.prefix}.>", stream=stream.name)
    ids: list[str] = []
    while True:  # until nothing more comes: a duplicate would show
        try:
            msgs = await sub.fetch(100, timeout=1)
        except TimeoutError:  # nats-py: asyncio.TimeoutError or its own subclass of it
            return ids
        ids += [(m.headers or {}).get("Nats-Msg-Id", "") for m in msgs]


async def test_a_batch_whose_acks_are_lost_is_published_again_and_every_event_is_delivered_once(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    stream = StreamDef(f"TEST_{uuid.uuid4().hex[:8]}", f"test.{uuid.uuid4().hex[:8]}")
    await ensure_stream(nc.jetstream(), stream)
    relay = OutboxRelay(pool, nc, schema=schema, producer="test")
    relay.ack_timeout_seconds = ACK_WAIT

    async def acks_resume() -> None:
        await _set(nc, stream.name, no_ack=False)

    # First batch: an ack per message (the relay does not know the stream's last sequence yet).
    await _set(nc, stream.name, no_ack=True)  # stored, never acknowledged: a leader gone after storing
    await _append(pool, stream, ["a", "b"], ["c"])
    assert await _publish_once_acks_were_late(pool, relay, acks_resume) == 3
    # Second batch: confirmed by the last message's ack, which does not come; the batch goes again, acked each.
    await _set(nc, stream.name, no_ack=True)
    await _append(pool, stream, ["d", "e", "f"])
    assert await _publish_once_acks_were_late(pool, relay, acks_resume) == 3
    assert relay.batches_confirmed_by_one_ack == 0
    # Then a batch is confirmed by one ack again: the relay knows the stream's true last sequence after re-publishes.
    await _append(pool, stream, ["g", "h"])
    async with pool.acquire() as conn:
        assert await relay.publish_pending(conn) == 2
    assert relay.batches_confirmed_by_one_ack == 1

    assert relay.acks_late >= 2
    assert (await nc.jetstream().stream_info(stream.name)).state.messages == 8  # the repeats were de-duplicated
    assert await _delivered(nc, stream) == await _event_ids(pool)  # each event once, in order


async def test_a_lost_event_and_a_lost_bundle_are_published_again_and_bundled_with_their_stored_sequences(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    schema, pool = schema_pool
    uid = uuid.uuid4().hex[:8]
    bundles = StreamDef(f"TESTB_{uid}", f"testb.{uid}")
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}", bundles=bundles)
    js = nc.jetstream()
    await ensure_stream(js, bundles)
    # The event stream takes no subject yet: a plain subscriber swallows the relay's messages, nothing stores or
    # answers them (messages lost with a stream leader).
    await js.add_stream(api.StreamConfig(name=stream.name, subjects=[f"{stream.prefix}.held"], duplicate_window=120))
    swallow = await nc.subscribe(f"{stream.prefix}.>")
    relay = OutboxRelay(pool, nc, schema=schema, producer="test", bundles=bundles)
    relay.ack_timeout_seconds = ACK_WAIT

    async def stream_takes_events() -> None:
        await _set(nc, stream.name, subjects=stream.subjects)

    await _append(pool, stream, ["a", "b"], ["c"])
    assert await _publish_once_acks_were_late(pool, relay, stream_takes_events) == 3

    # Now the bundles' acks are lost (the bundle stream stores without answering); the events' acks come.
    await _set(nc, bundles.name, no_ack=True)

    async def bundle_acks_resume() -> None:
        await _set(nc, bundles.name, no_ack=False)

    await _append(pool, stream, ["d"], ["e", "f"])
    assert await _publish_once_acks_were_late(pool, relay, bundle_acks_resume) == 3
    await swallow.unsubscribe()

    ids = await _event_ids(pool)
    assert await _delivered(nc, stream) == ids  # each event once, in order
    bundle_msgs = [await js.get_msg(bundles.name, seq) for seq in (1, 2, 3, 4)]
    assert (await js.stream_info(bundles.name)).state.messages == 4  # one per transaction, the repeats dropped
    assert [(m.headers or {})[FIRST_SEQ] for m in bundle_msgs] == ["1", "3", "4", "5"]
    assert [(m.headers or {})[LAST_SEQ] for m in bundle_msgs] == ["2", "3", "4", "6"]
    assert [item.seq for m in bundle_msgs for item in decode(m.data or b"")] == [1, 2, 3, 4, 5, 6]
    assert relay.bundles == 4
