"""HTTP metrics of the gateway: each request counted by route template and status, with its duration (the route
template, not the path, so ids do not multiply the series); the edge's one ASGI layer (edge.EdgeGuard) calls
`count` for every HTTP request, refused ones included; routes/metrics.py serves them."""

from __future__ import annotations

import time

from starlette.types import Scope

from annostream_kernel.metrics import HTTP_HANDLED, HTTP_SECONDS, child

UNMATCHED = "(unmatched)"


def count(scope: Scope, status: int, started: float) -> None:
    """One count and one duration for the request of `scope`, answered `status`, begun at `started`
    (time.perf_counter)."""
    route = getattr(scope.get("route"), "path", UNMATCHED)
    method = scope.get("method", "")
    child(HTTP_HANDLED, method, route, str(status)).inc()
    child(HTTP_SECONDS, method, route).observe(time.perf_counter() - started)
