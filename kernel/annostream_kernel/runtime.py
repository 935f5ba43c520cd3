"""Service lifecycle: pool + migrations, NATS + streams, gRPC server with health/reflection,
outbox relay, consumers, and graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import asyncpg
import nats
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from .config import KernelSettings
from .consumer import ConsumerSpec, EventConsumer
from .db import create_pool, migrate
from .grpc_errors import DomainErrorInterceptor
from .limits import GRPC_MESSAGE_OPTIONS, MAX_EVENT_BYTES, NATS_MAX_PAYLOAD_BYTES
from .logs import configure_logging, get_logger
from .metrics import NATS_RECONNECTS, serve_metrics
from .outbox_wire import use_fast_header_parser
from .relay import OutboxRelay
from .sampling import Sampler
from .streams import StreamDef, ensure_stream
from .tracing import configure_tracing, server_interceptors, shutdown_tracing

log = get_logger(__name__)

GC_GEN0_THRESHOLD = 20_000


class Closeable(Protocol):
    """A client the service closes when it stops (a gRPC channel, an HTTP session)."""

    async def close(self) -> None: ...


C = TypeVar("C", bound=Closeable)


@dataclass
class Resources:
    """What a service's composition root gets to build its adapters and handlers from."""

    settings: KernelSettings
    pool: asyncpg.Pool
    nc: NatsClient
    js: JetStreamContext
    schema: str
    notify_channel: str
    closing: list[Closeable] = field(default_factory=list)

    def close_at_stop(self, client: C) -> C:
        """Register a client the runtime closes when the service stops (after on_stop, last opened first)."""
        self.closing.append(client)
        return client


@dataclass
class ServiceDefinition:
    """Everything the runtime needs to know about one service."""

    name: str
    schema: str
    grpc_service_names: Sequence[str]
    register: Callable[[aio.Server, Resources], None]
    migrations_package: str | None = None
    produces: StreamDef | None = None
    consumes: Sequence[StreamDef] = ()
    consumers: Callable[[Resources], list[ConsumerSpec]] = field(default=lambda _r: [])
    on_stop: Callable[[], object] | None = None
    gauges: Callable[[asyncpg.Pool], Awaitable[None]] | None = None  # service gauges sampled with the kernel's
    workers: Callable[[Resources], list[Callable[[], Coroutine[Any, Any, None]]]] = field(default=lambda _r: [])
    # Request-streaming methods (full names) that answer a refused message in the stream (grpc_errors.Refused).
    in_stream_refusals: Sequence[str] = ()


async def connect_nats(url: str, name: str) -> NatsClient:
    """Connect to NATS, retrying reconnects forever once connected."""

    async def reconnected() -> None:
        NATS_RECONNECTS.inc()

    nc = await nats.connect(
        servers=[u.strip() for u in url.split(",")],
        name=name,
        max_reconnect_attempts=-1,
        connect_timeout=5,
        reconnected_cb=reconnected,
    )
    use_fast_header_parser(nc)  # every consumer parses the headers of every event it receives
    return nc


class ServiceApp:
    """A running service; start() then stop(), or run_until_signal()."""

    def __init__(self, definition: ServiceDefinition, settings: KernelSettings) -> None:
        self.definition, self.settings = definition, settings
        self.port = 0
        self.metrics_port: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._server: aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self.resources: Resources | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []

    async def start(self) -> int:
        """Bring the service up; returns the bound gRPC port."""
        d, s = self.definition, self.settings
        pool = await create_pool(s.database_url, d.schema, min_size=s.db_pool_min, max_size=s.db_pool_max)
        await migrate(pool, d.schema, [d.migrations_package] if d.migrations_package else [])
        nc = await connect_nats(s.nats_url, f"annostream-{d.name}")
        if nc.max_payload < MAX_EVENT_BYTES:  # an event the relay could never publish would block its stream
            log.error(
                "nats_max_payload_too_small",
                max_payload=nc.max_payload,
                needed=MAX_EVENT_BYTES,
                hint=f"set max_payload: {NATS_MAX_PAYLOAD_BYTES} in the NATS server configuration",
            )
        js = nc.jetstream()
        for stream in [*([d.produces] if d.produces else []), *d.consumes]:
            await ensure_stream(js, stream, replicas=s.stream_replicas)
            if stream.bundles is not None:
                await ensure_stream(js, stream.bundles, replicas=s.stream_replicas)
        res = Resources(s, pool, nc, js, d.schema, f"{d.schema}_events")
        self.resources = res
        interceptors = [*server_interceptors(), DomainErrorInterceptor(d.in_stream_refusals)]
        server = aio.server(interceptors=interceptors, options=GRPC_MESSAGE_OPTIONS)
        d.register(server, res)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection([*d.grpc_service_names, reflection.SERVICE_NAME], server)
        self.port = server.add_insecure_port(f"{s.grpc_host}:{s.grpc_port}")
        await server.start()
        self._server = server
        if d.produces:
            self.relay = OutboxRelay(
                pool,
                nc,
                schema=d.schema,
                producer=d.name,
                batch=s.relay_batch,
                poll_seconds=s.relay_poll_seconds,
                linger_seconds=s.relay_linger_seconds,
                bundles=d.produces.bundles,
            )
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{d.name}-relay"))
        for spec in d.consumers(res):
            consumer = EventConsumer(
                pool,
                js,
                spec,
                schema=d.schema,
                batch=s.consumer_batch,
                max_attempts=s.consumer_max_attempts,
                linger=s.consumer_linger_seconds,
                delay=s.consumer_delay(spec.durable),
            )
            self.consumers.append(consumer)
            self._tasks.append(asyncio.create_task(consumer.run(), name=f"{d.name}-{spec.durable}"))
        for i, worker in enumerate(d.workers(res)):  # background loops of the service (cancelled on stop)
            self._tasks.append(asyncio.create_task(worker(), name=f"{d.name}-worker-{i}"))
        self._tasks.append(asyncio.create_task(self._watch_health(), name=f"{d.name}-health"))
        if s.metrics_port:
            self.metrics_port = serve_metrics(s.metrics_host, s.metrics_port)
            own = [(c.spec.durable_stream.name, c.spec.durable) for c in self.consumers]
            sampler = Sampler(pool, js, d.schema, own, s.metrics_interval_seconds, d.gauges)
            self._tasks.append(asyncio.create_task(sampler.run(), name=f"{d.name}-metrics"))
        await self._check_health()
        # Everything allocated so far lives as long as the process: keep it out of the cyclic collector,
        # so a full collection under load scans only request garbage (long GC pauses were the p99 tail).
        gc.freeze()
        log.info("service_started", service=d.name, grpc_port=self.port, metrics_port=self.metrics_port)
        return self.port

    async def _check_health(self) -> bool:
        assert self.resources is not None
        ok = self.resources.nc.is_connected
        if ok:
            try:
                async with asyncio.timeout(2):
                    await self.resources.pool.fetchval("SELECT 1")
            except Exception:
                ok = False
        status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self.definition.grpc_service_names]:
            await self._health.set(name, status)
        return ok

    async def _watch_health(self) -> None:
        while True:
            await asyncio.sleep(self.settings.health_interval_seconds)
            with contextlib.suppress(Exception):
                await self._check_health()

    async def stop(self) -> None:
        """Graceful stop: NOT_SERVING, finish in-flight RPCs, flush the relay, drain NATS, close the pool.

        Every step after the RPCs is bounded: with PostgreSQL or NATS already gone (the order Kubernetes
        or a crashed host may give), a step that waits for them gives up and the process still exits."""
        log.info("service_stopping", service=self.definition.name)
        await self._health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(self.settings.shutdown_grace_seconds)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_STEP_SECONDS)
        res = self.resources
        if res is not None:
            if self.relay is not None:  # publish what the last requests committed
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.relay.flush(), STOP_STEP_SECONDS)
            if self.definition.on_stop:
                with contextlib.suppress(Exception):
                    result = self.definition.on_stop()
                    if asyncio.iscoroutine(result):
                        await asyncio.wait_for(result, STOP_STEP_SECONDS)
            while res.closing:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(res.closing.pop().close(), STOP_STEP_SECONDS)
            try:
                await asyncio.wait_for(res.nc.drain(), STOP_STEP_SECONDS)
            except Exception:  # NATS gone: close without draining
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(res.nc.close(), STOP_STEP_SECONDS)
            try:
                await asyncio.wait_for(res.pool.close(), STOP_STEP_SECONDS)
            except Exception:  # PostgreSQL gone, or a connection never released: drop them all
                res.pool.terminate()
        log.info("service_stopped", service=self.definition.name)

    async def run_until_signal(self) -> None:
        """Start, wait for SIGTERM or SIGINT, then stop gracefully."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        print(f"{self.definition.name} ready on {self.settings.grpc_host}:{self.port}", flush=True)
        await stop.wait()
        await self.stop()


STOP_STEP_SECONDS = 5.0  # the longest one shutdown step may wait for PostgreSQL or NATS


def run_async(main: Coroutine[Any, Any, None]) -> None:
    """Run a component's main coroutine on uvloop (faster asyncpg/gRPC/NATS I/O), or asyncio without it."""
    # Fewer, cheaper young-generation collections: request objects die young, a pass per 700
    # allocations (the default) costs more than it frees at thousands of requests per second.
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; stay runnable without it
        asyncio.run(main)
        return
    uvloop.run(main)


def run_service(definition: ServiceDefinition, settings: KernelSettings) -> None:
    """Blocking entry point used by `annostream serve <component>`."""
    configure_logging(settings.log_level, settings.log_format, component=definition.name)
    configure_tracing(definition.name)  # only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    try:
        run_async(ServiceApp(definition, settings).run_until_signal())
    finally:
        shutdown_tracing()
