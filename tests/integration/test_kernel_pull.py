"""The kernel's batch puller: one pull request per fetch, ended by the server's status for that request only."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy, ConsumerConfig

from annostream_kernel import pull
from annostream_kernel.pull import BatchPuller, PullError, stream_seq


async def _puller(nc: NatsClient) -> tuple[BatchPuller, str]:
    """A stream, a durable with cumulative acks on it and a started puller; returns the puller and the subject."""
    uid = uuid.uuid4().hex[:8]
    js = nc.jetstream()
    await js.add_stream(name=f"PULL_{uid}", subjects=[f"pull.{uid}.>"])
    await js.add_consumer(
        f"PULL_{uid}", ConsumerConfig(durable_name="d", ack_policy=AckPolicy.ALL, max_ack_pending=100)
    )
    puller = BatchPuller(js, f"PULL_{uid}", "d")
    await puller.start()
    return puller, f"pull.{uid}.x"


async def test_a_fetch_returns_the_messages_there_are_in_order_without_waiting_for_a_full_batch(
    nc: NatsClient,
) -> None:
    puller, subject = await _puller(nc)
    js = nc.jetstream()
    for i in range(5):
        await js.publish(subject, b"%d" % i)
    msgs = await puller.fetch(100, timeout=30.0)  # would take 30 s if it waited for 100 messages
    assert [m.data for m in msgs] == [b"0", b"1", b"2", b"3", b"4"]
    assert isinstance(puller._sub._pending_queue, pull._Sink)  # type: ignore[union-attr]  # pinned nats-py: taken directly
    assert [m.metadata.sequence.stream for m in msgs] == [1, 2, 3, 4, 5]
    assert [stream_seq(m) for m in msgs] == [1, 2, 3, 4, 5]  # read from the ack subject the server sent
    await msgs[-1].ack()
    assert await puller.fetch(100, timeout=0.3) == []  # nothing more: the request expires
    await puller.stop()


async def test_a_fetch_waits_for_the_first_message_published_after_it_started(nc: NatsClient) -> None:
    puller, subject = await _puller(nc)
    fetch = asyncio.create_task(puller.fetch(100, timeout=30.0))
    await asyncio.sleep(0.1)
    await nc.jetstream().publish(subject, b"late")
    assert [m.data for m in await fetch] == [b"late"]
    await puller.stop()


async def test_a_late_status_of_an_earlier_request_does_not_end_a_later_fetch(nc: NatsClient) -> None:
    puller, subject = await _puller(nc)
    assert await puller.fetch(10, timeout=0.2) == []  # request 1 expired
    fetch = asyncio.create_task(puller.fetch(10, timeout=30.0))  # request 2
    await asyncio.sleep(0.1)
    await nc.publish(f"{puller._inbox}.1", b"", headers={"Status": "404"})  # request 1's status, late
    await asyncio.sleep(0.1)
    assert not fetch.done()
    await nc.jetstream().publish(subject, b"kept")
    assert [m.data for m in await fetch] == [b"kept"]
    await puller.stop()


async def test_an_unexpected_status_for_the_current_request_is_an_error(nc: NatsClient) -> None:
    puller, _ = await _puller(nc)
    fetch = asyncio.create_task(puller.fetch(10, timeout=30.0))
    await asyncio.sleep(0.1)
    await nc.publish(f"{puller._inbox}.1", b"", headers={"Status": "409"})
    with pytest.raises(PullError, match="409"):
        await fetch
    await puller.stop()


async def test_a_connection_with_a_puller_drains_and_keeps_no_pending_bytes(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    puller, subject = await _puller(nc)
    for i in range(3):
        await nc.jetstream().publish(subject, b"%d" % i)
    assert [m.data for m in await puller.fetch(10, timeout=5.0)] == [b"0", b"1", b"2"]
    sub = puller._sub
    assert sub is not None and sub.pending_msgs == 0 and sub.pending_bytes == 0  # handed over, none queued
    await asyncio.wait_for(nc.drain(), 5)  # nats-py's drain waits for the subscription's queue: empty at once


async def test_a_nats_py_built_otherwise_is_pulled_through_its_public_callback(
    nc: NatsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "takes_directly", lambda _sub: False)
    puller, subject = await _puller(nc)
    js = nc.jetstream()
    for i in range(3):
        await js.publish(subject, b"%d" % i)
    msgs = await puller.fetch(100, timeout=30.0)
    assert [m.data for m in msgs] == [b"0", b"1", b"2"]
    await msgs[-1].ack()
    assert await puller.fetch(100, timeout=0.3) == []
    await puller.stop()
