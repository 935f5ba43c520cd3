"""Composition root of the webhooks service."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from types import MappingProxyType
from typing import Any

from grpc import aio

from annostream_kernel.consumer import ConsumerSpec
from annostream_kernel.runtime import Resources, ServiceDefinition
from annostream_kernel.streams import ANNOTATION, DATASETS, ITERATOR, TASKS, StreamDef
from annostream_protos.events.v1 import envelope_pb2
from annostream_protos.webhooks.v1 import webhooks_service_pb2, webhooks_service_pb2_grpc

from .adapters.cloudevents import headers_for, render
from .adapters.dispatch_store import DispatchStore
from .adapters.http import Sender, SenderLimits, check_target
from .adapters.postgres import NO_WEBHOOK_TAKES, FanOutRepositories, WebhooksUnitOfWork
from .config import WebhooksSettings
from .domain.delivery import RetryPolicy
from .domain.targets import AddressPolicy
from .entrypoints.grpc_api import WebhooksServicer
from .service_layer.consumers import FanOut
from .service_layer.dispatch import Dispatcher, DispatchSettings
from .service_layer.handlers import WebhookHandlers

SCHEMA = "webhooks"
STREAMS: Mapping[str, StreamDef] = MappingProxyType(
    {"datasets": DATASETS, "tasks": TASKS, "annotation": ANNOTATION, "iterator": ITERATOR}
)
OWNER_STREAMS = frozenset({"datasets", "tasks"})  # the fan-out learns owners from these streams' events


def _settings(res: Resources) -> WebhooksSettings:
    s = res.settings
    return s if isinstance(s, WebhooksSettings) else WebhooksSettings()


def dispatch_channel(schema: str) -> str:
    """The PostgreSQL NOTIFY channel that wakes dispatchers when deliveries are queued."""
    return f"{schema}_deliveries"


async def _never(_conn: object, envelope: envelope_pb2.EventEnvelope) -> None:
    raise AssertionError("the webhooks consumers handle events with their subject handler")


def definition(schema: str = SCHEMA) -> ServiceDefinition:
    """The webhooks service as the kernel runtime runs it (`schema` also names its durable consumers)."""

    def register(server: aio.Server, res: Resources) -> None:
        policy = AddressPolicy(_settings(res).allowed_networks)

        async def check(url: str) -> None:
            await check_target(url, policy)

        handlers = WebhookHandlers(
            lambda: WebhooksUnitOfWork(res.pool, res.notify_channel), check, dispatch_channel(schema)
        )
        webhooks_service_pb2_grpc.add_WebhooksServiceServicer_to_server(WebhooksServicer(handlers), server)

    def consumers(res: Resources) -> list[ConsumerSpec]:
        return [
            ConsumerSpec(
                f"{schema}-{name}",
                stream,
                _never,
                subject_handler=FanOut(FanOutRepositories, render, dispatch_channel(schema)).handler(),
                bundled=stream.bundles is not None,  # one message per save, not one per event
                # a batch no webhook takes a type of stores only the position (one statement), unless owners to learn
                idle_when=None if name in OWNER_STREAMS else NO_WEBHOOK_TAKES,
            )
            for name, stream in STREAMS.items()
        ]

    def workers(res: Resources) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        s = _settings(res)
        sender = res.close_at_stop(
            Sender(
                AddressPolicy(s.allowed_networks),
                SenderLimits(timeout_seconds=s.webhook_timeout_seconds, max_connections=s.webhook_concurrency),
            )
        )
        policy = RetryPolicy(s.webhook_max_attempts, s.webhook_backoff_base_seconds, s.webhook_backoff_max_seconds)
        settings = DispatchSettings(
            concurrency=s.webhook_concurrency,
            lease_seconds=s.webhook_timeout_seconds + 30,
            retention_days=s.webhook_retention_days,
        )
        return [
            Dispatcher(
                res.pool, DispatchStore(res.pool), headers_for, sender, policy, dispatch_channel(schema), settings
            ).run
        ]

    return ServiceDefinition(
        name="webhooks",
        schema=schema,
        grpc_service_names=[webhooks_service_pb2.DESCRIPTOR.services_by_name["WebhooksService"].full_name],
        register=register,
        migrations_package="annostream_webhooks.migrations",
        consumes=list(STREAMS.values()),
        consumers=consumers,
        workers=workers,
    )
