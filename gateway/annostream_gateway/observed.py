"""HTTP metrics of the gateway: an ASGI middleware counting each request by route template and status, with its
duration (the route template, not the path, so ids do not multiply the series); routes/metrics.py serves them."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from annostream_kernel.metrics import HTTP_HANDLED, HTTP_SECONDS

UNMATCHED = "(unmatched)"


class HttpMetrics:
    """ASGI middleware: one count and one duration per HTTP request (WebSockets pass through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            method = scope.get("method", "")
            HTTP_HANDLED.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - started)
