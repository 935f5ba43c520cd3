"""publish_acked: messages whose ack does not come back in time are published again, the first ack of any attempt
counts, "in process" answers wait for the earlier publish, and every future is released at the end."""

from __future__ import annotations

import asyncio

import pytest
from nats.js import api
from nats.js.errors import APIError, NoStreamResponseError

from annostream_kernel.acks import ATTEMPTS, IN_PROCESS, publish_acked

WAIT = 0.05  # the tests' first ack wait (they count publishes; no duration is asserted)


class FakeStream:
    """Answers each publish as its script says for that attempt of that message: 'ack', 'lost' (no answer ever),
    'in_process' (error 10158) or 'no_responders'; a stored message keeps its first sequence, as with Nats-Msg-Id."""

    def __init__(self, script: dict[int, list[str]]) -> None:
        self.script = script
        self.published: list[int] = []
        self.futures: list[asyncio.Future[api.PubAck]] = []
        self.seqs: dict[int, int] = {}
        self.republished = asyncio.Event()  # a message was published a second time

    async def send(self, i: int) -> asyncio.Future[api.PubAck]:
        attempt = self.published.count(i)
        self.published.append(i)
        if attempt:
            self.republished.set()
        future: asyncio.Future[api.PubAck] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        answers = self.script.get(i, ["ack"])
        answer = answers[min(attempt, len(answers) - 1)]
        if answer == "ack":
            duplicate = i in self.seqs
            seq = self.seqs.setdefault(i, len(self.seqs) + 1)
            future.set_result(api.PubAck(stream="S", seq=seq, duplicate=duplicate or None))
        elif answer == "in_process":
            future.set_exception(APIError(code=409, err_code=IN_PROCESS, description="duplicate msg id in process"))
        elif answer == "no_responders":
            future.set_exception(NoStreamResponseError())
        return future


async def test_every_message_acked_at_once_is_published_once() -> None:
    stream = FakeStream({})
    timeouts: list[int] = []
    acks = await publish_acked(stream.send, 4, timeout=WAIT, on_timeout=lambda n, _: timeouts.append(n))
    assert [a.seq for a in acks] == [1, 2, 3, 4]
    assert stream.published == [0, 1, 2, 3]
    assert timeouts == []


async def test_lost_acks_are_published_again_in_order_and_acks_of_the_repeat_count() -> None:
    stream = FakeStream({1: ["lost", "ack"], 3: ["lost", "lost", "ack"]})
    timeouts: list[int] = []
    acks = await publish_acked(stream.send, 4, timeout=WAIT, on_timeout=lambda n, _: timeouts.append(n))
    assert stream.published == [0, 1, 2, 3, 1, 3, 3]  # only the unacknowledged, in order
    assert timeouts == [2, 1]
    assert [a.seq for a in acks] == [1, 3, 2, 4]  # each message's own sequence
    assert all(f.done() for f in stream.futures)  # the lost ones cancelled: nats-py's pending slots freed


async def test_an_in_process_answer_waits_for_the_earlier_publish_whose_late_ack_counts() -> None:
    stream = FakeStream({0: ["lost", "in_process"]})
    acks_task = asyncio.create_task(publish_acked(stream.send, 2, timeout=WAIT))
    await stream.republished.wait()  # the repeat was answered "in process"
    stream.futures[0].set_result(api.PubAck(stream="S", seq=5))  # the first publish's ack, late
    acks = await acks_task
    assert [a.seq for a in acks] == [5, 1]
    assert stream.published.count(0) >= 2  # (a third time if the machine stalled past the second wait)


async def test_a_message_published_before_is_published_again_and_its_first_ack_counts() -> None:
    stream = FakeStream({})
    earlier: asyncio.Future[api.PubAck] = asyncio.get_running_loop().create_future()
    earlier.set_result(api.PubAck(stream="S", seq=9))
    acks = await publish_acked(stream.send, 2, timeout=WAIT, sent={1: earlier})
    assert stream.published == [0]  # the answered one is not published again
    assert [a.seq for a in acks] == [1, 9]


async def test_no_responders_fails_at_once_and_releases_every_future() -> None:
    stream = FakeStream({0: ["lost"], 1: ["no_responders"]})
    with pytest.raises(NoStreamResponseError):
        await publish_acked(stream.send, 2, timeout=WAIT)
    assert stream.published == [0, 1]
    assert all(f.done() for f in stream.futures)


async def test_acks_that_never_come_fail_after_the_last_attempt() -> None:
    stream = FakeStream({0: ["lost"]})
    with pytest.raises(TimeoutError):
        await publish_acked(stream.send, 1, timeout=WAIT / 10)
    assert stream.published == [0] * ATTEMPTS
    assert all(f.cancelled() for f in stream.futures)
