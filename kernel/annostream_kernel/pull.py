"""Pull fetches of a JetStream durable with one wait per batch, not one per message.

nats-py's `PullSubscription.fetch` awaits every message of a batch through `Subscription.next_msg`, i.e.
`asyncio.wait_for` on the queue: a task, a future and a timer per message (≈ 0.1 ms of CPU each, most of a
consumer's cost for a 51-event save). `BatchPuller` sends the same pull request (`batch`, `expires`, `no_wait`:
the server waits for the first message, then delivers what it has and ends the request with a 404 status, or a
408 at expiry), collects the delivered messages in the subscription's callback and resolves one future when the
batch is full or the request ended. Each request gets its own reply subject (`<inbox>.<n>`): a late status of an
earlier request is ignored, and a late message of one is kept for the next fetch (nothing delivered is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from .metrics import CONSUMER_PULLS

HEARTBEAT = "100"
EVENT_TYPE = "Annostream-Event-Type"  # the relay's header naming a message's event type
V1_ACK_TOKENS = 9
ENDED = ("404", "408")  # no messages (for now) / request expired: the request is over, nothing is wrong


class PullError(Exception):
    """JetStream ended a pull request with an unexpected status (e.g. 409 consumer deleted)."""


class _Sink:
    """Takes the place of a subscription's message queue: nats-py's reader hands each message of the subscription to
    `take` at once, instead of a queue that a task per subscription empties into a callback coroutine (a put, a get,
    a task switch and a coroutine per message). It keeps nats-py's count of pending bytes at zero; `qsize`, `empty`,
    `task_done` and `join` answer as an always-empty queue does (nats-py's pending count and drain)."""

    def __init__(self, sub: Subscription, take: Callable[[Msg], None]) -> None:
        self._sub, self._take = sub, take

    def put_nowait(self, msg: Msg) -> None:
        """A message nats-py received for the subscription: taken now."""
        self._sub._pending_size -= len(msg.data)
        self._take(msg)

    def qsize(self) -> int:
        """Nothing waits here."""
        return 0

    def empty(self) -> bool:
        """Nothing waits here."""
        return True

    def task_done(self) -> None:
        """Nothing to count."""

    async def join(self) -> None:
        """Nothing to wait for."""


def takes_directly(sub: Subscription) -> bool:
    """Whether this nats-py builds subscriptions the way `_Sink` replaces (2.16: a queue and a byte count)."""
    return isinstance(getattr(sub, "_pending_queue", None), asyncio.Queue) and hasattr(sub, "_pending_size")


class BatchPuller:
    """Fetches batches of a durable pull consumer over one callback subscription."""

    def __init__(self, js: JetStreamContext, stream: str, durable: str) -> None:
        """Pull from `durable` on `stream` through the connection behind `js`."""
        self._nc: Client = js._nc  # the JetStream context's own connection
        self._next = f"{js._prefix}.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._inbox = self._nc.new_inbox()
        self._sub: Subscription | None = None
        self._buffer: list[Msg] = []
        self._want = 0
        self._request = ""
        self._requests = 0
        self._done: asyncio.Future[str | None] | None = None
        self._pulls = CONSUMER_PULLS.labels(durable)

    async def start(self) -> None:
        """Subscribe to this puller's reply subjects; what arrives goes straight to `_take` (see `_Sink`)."""
        sub = await self._nc.subscribe(f"{self._inbox}.*")
        if takes_directly(sub):
            sub._pending_queue = _Sink(sub, self._take)  # type: ignore[assignment]
        else:  # a nats-py whose subscription is built otherwise: its public callback path (one task per message)
            await sub.unsubscribe()
            sub = await self._nc.subscribe(f"{self._inbox}.*", cb=self._on_msg)
        self._sub = sub

    async def _on_msg(self, msg: Msg) -> None:
        self._take(msg)

    async def stop(self) -> None:
        """Unsubscribe (the durable consumer itself stays)."""
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None

    def _take(self, msg: Msg) -> None:
        status = msg.headers.get("Status") if msg.headers and not msg.data else None
        if status is None:
            self._buffer.append(msg)
            if len(self._buffer) >= self._want:
                self._finish(None)
        elif status != HEARTBEAT and msg.subject == self._request:
            self._finish(status)

    def _finish(self, status: str | None) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(status)

    async def fetch(self, batch: int, timeout: float) -> list[Msg]:
        """Up to `batch` messages: those delivered already, else wait (at most `timeout`) for at least one."""
        if not self._buffer:
            status = await self._pull(batch, timeout)
            if status is not None and status not in ENDED and not self._buffer:
                raise PullError(f"pull request ended with status {status}")
        msgs, self._buffer = self._buffer[:batch], self._buffer[batch:]
        return msgs

    async def _pull(self, batch: int, timeout: float) -> str | None:
        self._requests += 1
        self._pulls.inc()
        self._request = f"{self._inbox}.{self._requests}"
        self._want = batch
        self._done = asyncio.get_running_loop().create_future()
        await self._nc.publish(self._next, pull_request(batch, timeout), reply=self._request)
        try:
            async with asyncio.timeout(timeout):
                return await self._done
        except TimeoutError:
            return None
        finally:
            self._done = None


def pull_request(batch: int, timeout: float) -> bytes:
    """The JSON body of a pull request (what `json.dumps` of the same dict gives, formatted directly: once per
    fetch and consumer)."""
    return b'{"batch": %d, "expires": %d, "no_wait": true}' % (batch, int(timeout * 1e9) - 100_000)


def stream_seq(msg: Msg) -> int:
    """The stream sequence of a delivered JetStream message, read from its ack subject
    (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...`, or the longer form with domain and account
    hash); nats-py's `metadata` would also build a datetime and two dataclasses per message."""
    tokens = (msg.reply or "").split(".")
    if len(tokens) == V1_ACK_TOKENS:
        return int(tokens[5])
    return int(msg.metadata.sequence.stream)


def delivery_seq(msg: Msg) -> int:
    """The consumer sequence of a delivered JetStream message (one more for every delivery of the durable,
    redeliveries included), read from its ack subject like `stream_seq`."""
    tokens = (msg.reply or "").split(".")
    if len(tokens) == V1_ACK_TOKENS:
        return int(tokens[6])
    return int(msg.metadata.sequence.consumer)
