"""A stream position a caller sends (kernel `catch_up.SentPosition`), on real PostgreSQL and nats-server: one past
the stream's end is refused at once naming the field, one within it is waited for until the consumer applies it,
and the stream's end is read only while the consumer is behind; a refusal ends the waits running beside it."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient

from annostream_kernel.catch_up import SentPosition, StreamEnd, all_done
from annostream_kernel.errors import InvalidArgument, Unavailable
from annostream_kernel.streams import StreamDef, ensure_stream

CONSUMER = "test-annotation"
FIELD = "annotation_stream_seq"


class CountedEnd:
    """The real StreamEnd, counting how often it is asked."""

    def __init__(self, end: StreamEnd) -> None:
        self.end, self.calls = end, 0

    async def published_position(self, timeout: float) -> int:
        self.calls += 1
        return await self.end.published_position(timeout)


async def _stream_of(nc: NatsClient, messages: int) -> StreamDef:
    uid = uuid.uuid4().hex[:8]
    stream = StreamDef(f"TEST_{uid}", f"test.{uid}")
    js = nc.jetstream()
    await ensure_stream(js, stream)
    for i in range(messages):
        await js.publish(f"{stream.prefix}.e{i}", b"x", stream=stream.name)
    return stream


async def _at(pool: asyncpg.Pool, seq: int) -> None:
    await pool.execute(
        "INSERT INTO consumer_positions (consumer, stream_seq) VALUES ($1, $2)"
        " ON CONFLICT (consumer) DO UPDATE SET stream_seq = $2",
        CONSUMER,
        seq,
    )


async def _sent(schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient) -> tuple[SentPosition, CountedEnd]:
    _, pool = schema_pool
    stream = await _stream_of(nc, 3)  # last sequence 3
    await _at(pool, 1)
    end = CountedEnd(StreamEnd(nc.jetstream(), stream.name))
    return SentPosition(pool, CONSUMER, end, FIELD), end


async def test_a_position_past_the_streams_end_is_invalid_naming_the_field_at_once(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    sent, end = await _sent(schema_pool, nc)
    with pytest.raises(InvalidArgument) as refused:  # not a wait until the caller's 30 s deadline (Unavailable)
        await sent.applied(4, remaining=30.0)
    assert refused.value.field == FIELD and "last sequence is 3" in refused.value.message
    assert end.calls == 1


async def test_a_position_within_the_stream_is_waited_for_until_the_consumer_applies_it(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    sent, end = await _sent(schema_pool, nc)
    waiting = asyncio.ensure_future(sent.applied(3, remaining=10.0))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # the stream's last sequence is no bad input: the consumer is just behind
    await _at(schema_pool[1], 3)
    await asyncio.wait_for(waiting, 5)
    assert end.calls == 1


async def test_a_position_already_applied_costs_one_read_and_no_look_at_the_stream(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    sent, end = await _sent(schema_pool, nc)
    await sent.applied(1, remaining=10.0)
    await sent.applied(0)
    assert end.calls == 0


async def test_a_position_the_consumer_does_not_reach_in_time_stays_unavailable(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    sent, _ = await _sent(schema_pool, nc)
    with pytest.raises(Unavailable):
        await sent.applied(2, remaining=0.5)


async def test_a_stream_end_nats_cannot_tell_is_unavailable_not_bad_input(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient, nats_url: str
) -> None:
    stream = await _stream_of(nc, 3)
    _, pool = schema_pool
    await _at(pool, 1)
    closed = await nats.connect(nats_url)
    await closed.close()
    sent = SentPosition(pool, CONSUMER, StreamEnd(closed.jetstream(), stream.name), FIELD)
    with pytest.raises(Unavailable):
        await sent.applied(4, remaining=5.0)


async def test_a_refused_position_ends_the_wait_beside_it_and_stays_invalid_argument(
    schema_pool: tuple[str, asyncpg.Pool], nc: NatsClient
) -> None:
    sent, _ = await _sent(schema_pool, nc)
    beside = asyncio.ensure_future(sent.applied(3, remaining=30.0))  # the datasets wait of SelectFrames, say
    with pytest.raises(InvalidArgument):  # as it is, not wrapped in an ExceptionGroup
        await all_done(beside, sent.applied(4, remaining=30.0))
    await asyncio.sleep(0)
    assert beside.cancelled()  # it would otherwise poll PostgreSQL until its 30 s ran out
