"""Ports of the webhooks service layer: storage (the unit of work, the dispatcher's queue) and signing (adapters
fulfil them; bootstrap wires them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from annostream_kernel.db import Conn
from annostream_kernel.uow import UnitOfWorkPort
from annostream_protos.events.v1 import envelope_pb2

from ..domain.delivery import Claim, Delivery, DeliveryState, Outcome
from ..domain.matching import Readers, Subscription
from ..domain.model import Webhook


class Webhooks(Protocol):
    """The webhooks table."""

    async def add(self, w: Webhook) -> Webhook: ...
    async def get(self, webhook_id: str, *, for_update: bool = False) -> Webhook | None: ...
    async def count(self, team: str) -> int: ...
    async def page(self, team: str, after: str, limit: int) -> list[Webhook]: ...
    async def save(self, w: Webhook) -> Webhook: ...
    async def delete(self, webhook_id: str) -> None: ...
    async def subscriptions(self) -> list[Subscription]: ...


class Deliveries(Protocol):
    """Deliveries, queued per (webhook, stream)."""

    async def get(self, webhook_id: str, delivery_id: str) -> Delivery | None: ...
    async def page(
        self, webhook_id: str, state: DeliveryState | None, before: str | None, limit: int
    ) -> list[Delivery]: ...
    async def requeue(self, delivery_id: str) -> None: ...
    async def lock_queues(self, queues: Sequence[tuple[str, str]]) -> None: ...
    async def promote(self, queues: Sequence[tuple[str, str]]) -> None: ...
    async def wake_dispatchers(self, channel: str) -> None: ...
    async def queue(self, payloads: list[tuple[Any, ...]], deliveries: list[tuple[str, str, str, str]]) -> None: ...


class UnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction over webhooks and deliveries."""

    @property
    def webhooks(self) -> Webhooks:
        """Webhooks in this transaction."""
        ...

    @property
    def deliveries(self) -> Deliveries:
        """Deliveries in this transaction."""
        ...


class DispatchQueue(Protocol):
    """The dispatcher's claims on due deliveries (adapters.dispatch_store.DispatchStore)."""

    async def claim(self, limit: int, lease_seconds: float, run_length: int) -> list[list[Claim]]: ...
    async def record(self, outcomes: list[Outcome]) -> int: ...
    async def next_due(self) -> float | None: ...
    async def release(self, claims: list[Claim]) -> None: ...
    async def forget(self, retention_days: float, limit: int = 10_000) -> int: ...


class Signer(Protocol):
    """The headers of one attempt, signed (adapters.cloudevents.headers_for)."""

    def __call__(self, claim: Claim, now: int | None = None) -> list[tuple[bytes, bytes]]: ...


class Owners(Protocol):
    """Who may read datasets, versions and tasks, learned from the datasets and tasks streams."""

    async def dataset_created(self, dataset_id: str, team: str) -> None: ...
    async def version_created(self, version_id: str, dataset_id: str, team: str) -> None: ...
    async def sharing_changed(self, dataset_id: str, teams: list[str]) -> None: ...
    async def task_created(self, task_id: str, team: str) -> None: ...
    async def dataset(self, dataset_id: str) -> Readers | None: ...
    async def version(self, version_id: str) -> Readers | None: ...
    async def task(self, task_id: str) -> Readers | None: ...


class FanOutStores(Protocol):
    """What the fan-out reads and writes in a consumer's transaction (owners remembered for the batch)."""

    @property
    def owners(self) -> Owners:
        """Owners in this transaction."""
        ...

    @property
    def webhooks(self) -> Webhooks:
        """Webhooks in this transaction."""
        ...

    @property
    def deliveries(self) -> Deliveries:
        """Deliveries in this transaction."""
        ...


# The fan-out's stores over the consumer's connection (adapters.postgres.FanOutRepositories; bootstrap wires it).
FanOutStoresFactory = Callable[[Conn], FanOutStores]


class Renderer(Protocol):
    """An event as the body its deliveries post (adapters.cloudevents.render)."""

    def __call__(self, subject: str, envelope: envelope_pb2.EventEnvelope) -> bytes: ...
