"""FastAPI application factory and the `serve gateway` entry point."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import Depends, FastAPI

from annostream_kernel.logs import configure_logging, get_logger
from annostream_kernel.runtime import run_async

from . import errors
from .clients import Clients
from .config import GatewaySettings
from .routes import datasets, frames, health, iterator, live, me, media, tasks, web, webhooks
from .routes.deps import identity

log = get_logger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the app; gRPC channels open at startup and close at shutdown."""
    s = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clients = Clients.open(s)
        app.state.settings = s
        yield
        await live.close(app)
        await app.state.clients.close()

    app = FastAPI(
        title="annostream",
        version="0.1.0",
        lifespan=lifespan,
        description="HTTP API of annostream: datasets, tasks, frames and annotation edits.",
    )
    errors.install(app)
    for r in (health.router, me.router, datasets.router, tasks.router, iterator.router, frames.router, media.router):
        app.include_router(r)
    app.include_router(webhooks.router)
    app.include_router(live.router, dependencies=[Depends(identity)])  # proxy mode: 401 on the upgrade request
    app.include_router(web.router)  # last: its SPA fallback answers only paths nothing else does
    return app


def run_gateway(settings: GatewaySettings) -> None:
    """Serve HTTP until SIGTERM/SIGINT (uvicorn finishes in-flight requests first)."""
    configure_logging(settings.log_level, settings.log_format, component="gateway")
    config = uvicorn.Config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    server = uvicorn.Server(config)
    log.info("gateway_starting", url=f"http://{settings.http_host}:{settings.http_port}")
    run_async(server.serve())
