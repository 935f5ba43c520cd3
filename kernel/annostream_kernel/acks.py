"""Acknowledged JetStream publishes that survive a lost ack: a message whose ack has not come back within a short wait
is published again, and the wait doubles each time.

An ack goes missing when the stream's leader (or the server of the connection) dies after the message left; the relay
used to wait the whole publish timeout (10 s) for it, and every later event waited as long. Publishing again is safe:
every message carries a `Nats-Msg-Id`, which JetStream keeps for the stream's duplicate window (120 s, far longer than
the waits here), so a message stored by an earlier attempt is answered with that attempt's sequence (`duplicate`) and
stored once. A slow ack (a loaded machine) costs one publish more and nothing else: the earlier attempt's ack still
counts, and while its message is still being replicated a repeat is answered "duplicate message id is in process"
(`IN_PROCESS`), which here only means: wait for the earlier ack, or publish again after the next wait."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping

from nats.js import api
from nats.js.errors import APIError

ACK_TIMEOUT_SECONDS = 1.0  # first wait for acks before the unacknowledged messages are published again
MAX_ACK_TIMEOUT_SECONDS = 8.0
ATTEMPTS = 4  # waits of 1, 2, 4 and 8 s: 15 s without an ack fails the publish (the relay retries as on any error)
IN_PROCESS = 10158  # JSStreamDuplicateMessageConflict: an earlier publish of this Msg-Id is not stored yet

Send = Callable[[int], Awaitable["asyncio.Future[api.PubAck]"]]


async def publish_acked(
    send: Send,
    n: int,
    *,
    timeout: float = ACK_TIMEOUT_SECONDS,
    sent: Mapping[int, asyncio.Future[api.PubAck]] | None = None,
    on_timeout: Callable[[int, float], None] | None = None,
) -> list[api.PubAck]:
    """Publish messages 0..n-1 in order (`send(i)` publishes the i-th and returns its ack's future) and return each
    one's ack. Those still unacknowledged after `timeout` seconds are published again, in order, and the wait doubles
    (`on_timeout(how many, seconds waited)` is told first); the first ack of any attempt counts. `sent`: futures of
    messages published already, whose acks count too (unanswered, they are published again with the others).
    TimeoutError after ATTEMPTS waits; a publish refused (no stream answered, an error) raises at once."""
    answers = _Answers(n)
    try:
        for i, future in (sent or {}).items():
            answers.watch(i, future)
        todo = answers.unanswered()
        for attempt in range(ATTEMPTS):
            for i in todo:
                answers.watch(i, await send(i))
            if await answers.wait(timeout):
                return answers.acks()
            todo = answers.unanswered()
            if attempt + 1 < ATTEMPTS:
                if on_timeout is not None:
                    on_timeout(len(todo), timeout)
                timeout = min(timeout * 2, MAX_ACK_TIMEOUT_SECONDS)
        raise TimeoutError(f"{len(todo)} of {n} JetStream publishes unacknowledged after {ATTEMPTS} attempts")
    finally:
        answers.close()


class _Answers:
    """The first answer to each of n messages, from any of its publishes."""

    def __init__(self, n: int) -> None:
        loop = asyncio.get_running_loop()
        self._firsts: list[asyncio.Future[api.PubAck]] = [loop.create_future() for _ in range(n)]
        self._futures: list[asyncio.Future[api.PubAck]] = []

    def watch(self, i: int, future: asyncio.Future[api.PubAck]) -> None:
        """Count the answer to this publish of the i-th message."""
        self._futures.append(future)
        if future.done():  # answered already: counts before anything is published again
            _settle(self._firsts[i], future)
        future.add_done_callback(functools.partial(_settle, self._firsts[i]))

    def unanswered(self) -> list[int]:
        """The messages without an answer yet, in order."""
        return [i for i, f in enumerate(self._firsts) if not f.done()]

    async def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every answer; whether all came. An error answer raises."""
        if not self._firsts:
            return True
        done, pending = await asyncio.wait(self._firsts, timeout=timeout, return_when=asyncio.FIRST_EXCEPTION)
        if refused := next((exc for f in done if (exc := f.exception())), None):
            raise refused
        return not pending

    def acks(self) -> list[api.PubAck]:
        """Every message's ack (all answered)."""
        return [f.result() for f in self._firsts]

    def close(self) -> None:
        """Stop waiting: free nats-py's pending slots of acks never answered (lost), and mark every error seen."""
        for future in self._futures:
            future.cancel()  # a no-op for an answered one
        for first in self._firsts:
            if first.done() and not first.cancelled():
                first.exception()
            first.cancel()


def _settle(first: asyncio.Future[api.PubAck], future: asyncio.Future[api.PubAck]) -> None:
    """Pass one attempt's answer on to its message's first answer, unless it only says an earlier one is in process."""
    if first.done() or future.cancelled():
        return
    exc = future.exception()
    if exc is None:
        first.set_result(future.result())
    elif not (isinstance(exc, APIError) and exc.err_code == IN_PROCESS):
        first.set_exception(exc)
