"""FastAPI application factory and the `serve gateway` entry point."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import Depends

from annostream_kernel.limits import MAX_REQUEST_BYTES
from annostream_kernel.logs import configure_logging, get_logger
from annostream_kernel.metrics import serve_metrics
from annostream_kernel.runtime import run_async
from annostream_kernel.tracing import configure_tracing, instrument_fastapi, shutdown_tracing

from . import contract, errors
from .clients import Clients
from .config import GatewaySettings
from .edge import EdgeGuard, check_path
from .front import Gateway
from .routes import (
    datasets,
    exports,
    frames,
    health,
    iterator,
    live,
    me,
    media,
    metrics,
    review,
    review_history,
    save_route,
    tasks,
    web,
    webhooks,
)
from .routes.deps import identity

log = get_logger(__name__)
DESCRIPTION = (
    "HTTP API of annostream: datasets, tasks, frames and annotation edits. Every error is "
    '`{"error", "message", "field", "details"}` with a 4xx naming the field (503: a service is unreachable). '
    "Text must not contain NUL or lone surrogates, numbers must be finite and integers 64-bit (400); a body is "
    f"at most {MAX_REQUEST_BYTES} bytes (413); schema violations are 422."
)


def create_app(settings: GatewaySettings | None = None) -> Gateway:
    """Build the app; gRPC channels open at startup and close at shutdown."""
    s = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: Gateway) -> AsyncIterator[None]:
        app.state.clients = Clients.open(s)
        app.state.settings = s
        if s.metrics_port:  # the same metrics port as the services (k8s: 9464), apart from the public one
            log.info("gateway_metrics", port=serve_metrics(s.metrics_host, s.metrics_port))
        # As the services do (kernel runtime): what startup allocated lives as long as the process, so the cyclic
        # collector's full passes scan only request garbage, not the app, its models and the protobuf modules.
        gc.freeze()
        app.start_lean()  # the save ahead of FastAPI's layers, unless tracing or another middleware must see it
        yield
        await live.close(app)
        await app.state.clients.close()

    app = Gateway(
        title="annostream",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(check_path)],
        description=DESCRIPTION,
    )
    errors.install(app)
    app.add_middleware(EdgeGuard)  # checks and counts every HTTP request (observed.py)
    for r in (
        health.router,
        me.router,
        datasets.router,
        tasks.router,
        iterator.router,
        review.router,
        review_history.router,
        frames.router,
        media.router,
    ):
        app.include_router(r)
    app.include_router(exports.router)
    app.include_router(metrics.router)
    app.include_router(webhooks.router)
    app.include_router(live.router, dependencies=[Depends(identity)])  # proxy mode: 401 on the upgrade request
    app.include_router(web.router)  # last: its SPA fallback answers only paths nothing else does
    save_route.install(app)  # first of all: the save without FastAPI's per-request dependency resolution
    contract.document(app)
    instrument_fastapi(app)  # traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set (annostream_kernel.tracing)
    return app


def run_gateway(settings: GatewaySettings) -> None:
    """Serve HTTP until SIGTERM/SIGINT (uvicorn finishes in-flight requests first)."""
    configure_logging(settings.log_level, settings.log_format, component="gateway")
    configure_tracing("gateway")
    config = uvicorn.Config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        http="httptools",  # C parser: h11 cost ≈ 15 % of a small request's gateway CPU (bench/README.md)
        log_level="warning",
        access_log=False,  # never written at "warning"; on, each answer still built its line's client and path
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    server = uvicorn.Server(config)
    log.info("gateway_starting", url=f"http://{settings.http_host}:{settings.http_port}")
    try:
        run_async(server.serve())
    finally:
        shutdown_tracing()
