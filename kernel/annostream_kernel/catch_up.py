"""Read-your-writes across services: an id a producer (the datasets, the tasks or the annotation service)
acknowledged is never "unknown" to a consumer of its stream.

A service that learns versions, lineage, frames or tasks from another service's stream (the annotation service, the
iterator) may not have applied a change yet right after the producer acknowledged it. A request that misses an id
asks the producer for the stream sequence covering everything it acknowledged (GetPublishedPosition), waits until
this service's consumer has applied that far, and runs once more; only then is the miss an answer.
The retry is unconditional: the consumer may have applied the change between the miss and the call, so "already
there" does not mean the miss was real. A miss costs one call and one more read (an id that does not exist).

A position a caller sends (`SentPosition`: one it got from the stream's producer) is waited for the same way; one
past the stream's end can never be reached, so it is refused as bad input at once instead of waiting out the
caller's deadline. The end is read only when the consumer is behind the position (the common case costs one read).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import nats.errors
from grpc import aio
from nats.js import JetStreamContext

from annostream_protos.annotation.v1 import annotation_service_pb2 as an_api
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as an_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds_api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk_api
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as tk_grpc

from .errors import InvalidArgument, Unavailable
from .grpc_client import channel, service_metadata
from .positions import applied_position

POLL_SECONDS = 0.01


class PublishedPositions(Protocol):
    """The stream sequence that covers every change a producer acknowledged so far."""

    async def published_position(self, timeout: float) -> int:
        """The sequence; Unavailable when the producer cannot tell within `timeout` seconds."""
        ...


@dataclass(frozen=True)
class Producer:
    """A service whose stream others consume, and how to ask it for its published position."""

    name: str
    stub: Callable[[aio.Channel], Any]
    request: Callable[[], Any]


DATASETS_PRODUCER = Producer("datasets", ds_grpc.DatasetsServiceStub, ds_api.GetPublishedPositionRequest)
TASKS_PRODUCER = Producer("tasks", tk_grpc.TasksServiceStub, tk_api.GetPublishedPositionRequest)
ANNOTATION_PRODUCER = Producer("annotation", an_grpc.AnnotationServiceStub, an_api.GetPublishedPositionRequest)


class PeerPositions:
    """PublishedPositions over a producer's GetPublishedPosition, called with a service identity."""

    def __init__(self, producer: Producer, target: str, caller: str, timeout: float = 10.0) -> None:
        self._channel = channel(target)
        self._stub = producer.stub(self._channel)
        self._producer, self._caller, self._timeout = producer, caller, timeout

    async def published_position(self, timeout: float) -> int:
        """One GetPublishedPosition call; any failure is Unavailable."""
        try:
            resp = await self._stub.GetPublishedPosition(
                self._producer.request(),
                metadata=service_metadata(self._caller),
                timeout=max(0.05, min(self._timeout, timeout)),
            )
        except aio.AioRpcError as err:
            raise Unavailable(f"the {self._producer.name} service did not answer ({err.code().name}); retry") from err
        return int(resp.stream_seq)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()


class CatchUp:
    """Waits for one of this service's consumers to reach what the producer has acknowledged."""

    def __init__(self, pool: asyncpg.Pool, consumer: str, positions: PublishedPositions, timeout: float = 30.0) -> None:
        self._pool, self._consumer, self._positions, self._timeout = pool, consumer, positions, timeout

    async def caught_up(self, remaining: float | None = None) -> None:
        """Return once the consumer has applied every change acknowledged before the call; Unavailable if it
        does not get there within the time left (capped at the timeout)."""
        budget = _budget(self._timeout, remaining)
        deadline = time.monotonic() + budget
        target = await self._positions.published_position(budget)
        await applied_at_least(self._pool, self._consumer, target, deadline)


class StreamEnd:
    """PublishedPositions read from a JetStream stream itself (its last sequence), without asking its producer: a
    bound on every position the producer ever gave out, since a stream's last sequence never decreases."""

    def __init__(self, js: JetStreamContext, stream: str) -> None:
        self._js, self._stream = js, stream

    async def published_position(self, timeout: float) -> int:
        """The stream's last sequence; Unavailable when NATS does not tell within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):  # not wait_for: it can drop a cancellation (loops.py)
                info = await self._js.stream_info(self._stream)
        except (nats.errors.Error, TimeoutError) as err:
            raise Unavailable(f"the end of {self._stream} could not be read ({type(err).__name__}); retry") from err
        return int(info.state.last_seq or 0)


@dataclass(frozen=True)
class SentPosition:
    """A request field holding a position of a stream this service consumes (one the caller got from the stream's
    producer), and the wait for this service's `consumer` to apply the stream that far."""

    pool: asyncpg.Pool
    consumer: str
    end: PublishedPositions  # the stream's end (StreamEnd), asked only while the consumer is behind the position
    field: str
    timeout: float = 30.0

    async def applied(self, target: int, remaining: float | None = None) -> None:
        """Return once the consumer has applied the stream up to `target`; InvalidArgument naming the field when
        `target` lies past the stream's end, Unavailable when the end cannot be read or the consumer does not get
        there within the time left (capped at the timeout)."""
        budget = _budget(self.timeout, remaining)
        deadline = time.monotonic() + budget
        async with self.pool.acquire() as conn:
            if await applied_position(conn, self.consumer) >= target:
                return  # the common case: one read, as before the bound existed
        end = await self.end.published_position(budget)
        if target > end:
            raise InvalidArgument(
                f"{target} lies past the end of the stream (its last sequence is {end})", field=self.field
            )
        await applied_at_least(self.pool, self.consumer, target, deadline)


async def all_done(*waits: Awaitable[None]) -> None:
    """Await the waits at once; the first failure cancels the others (no wait outlives its request) and is raised
    as it is (a DomainError stays one, unlike a TaskGroup's ExceptionGroup)."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


def _budget(timeout: float, remaining: float | None) -> float:
    return timeout if remaining is None else max(0.1, min(timeout, remaining - 0.2))


async def applied_at_least(pool: asyncpg.Pool, consumer: str, target: int, deadline: float) -> None:
    """Poll the consumer's stored position until it reaches `target`; Unavailable past the monotonic deadline."""
    while True:
        async with pool.acquire() as conn:  # not held while waiting: a lag must not drain the pool
            if await applied_position(conn, consumer) >= target:
                return
        if time.monotonic() > deadline:
            raise Unavailable(f"this service has not yet applied the latest changes ({consumer} lags); retry")
        await asyncio.sleep(POLL_SECONDS)
