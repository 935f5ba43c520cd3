"""Read-your-writes across services: an id a producer (the datasets or the tasks service) acknowledged is never
"unknown" to a consumer of its stream.

A service that learns versions, lineage, frames or tasks from another service's stream (the annotation service, the
iterator) may not have applied a change yet right after the producer acknowledged it. A request that misses an id
asks the producer for the stream sequence covering everything it acknowledged (GetPublishedPosition), waits until
this service's consumer has applied that far, and runs once more; only then is the miss an answer.
The retry is unconditional: the consumer may have applied the change between the miss and the call, so "already
there" does not mean the miss was real. A miss costs one call and one more read (an id that does not exist).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from grpc import aio

from annostream_protos.datasets.v1 import datasets_service_pb2 as ds_api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk_api
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as tk_grpc

from .errors import Unavailable
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
        budget = self._budget(remaining)
        deadline = time.monotonic() + budget
        target = await self._positions.published_position(budget)
        await applied_at_least(self._pool, self._consumer, target, deadline)

    async def applied(self, consumer: str, target: int, remaining: float | None = None) -> None:
        """Return once this service's `consumer` has applied its stream up to `target` (a position the caller
        got from that stream's producer); Unavailable if it does not get there within the time left."""
        await applied_at_least(self._pool, consumer, target, time.monotonic() + self._budget(remaining))

    def _budget(self, remaining: float | None) -> float:
        return self._timeout if remaining is None else max(0.1, min(self._timeout, remaining - 0.2))


async def applied_at_least(pool: asyncpg.Pool, consumer: str, target: int, deadline: float) -> None:
    """Poll the consumer's stored position until it reaches `target`; Unavailable past the monotonic deadline."""
    while True:
        async with pool.acquire() as conn:  # not held while waiting: a lag must not drain the pool
            if await applied_position(conn, consumer) >= target:
                return
        if time.monotonic() > deadline:
            raise Unavailable(f"this service has not yet applied the latest changes ({consumer} lags); retry")
        await asyncio.sleep(POLL_SECONDS)
