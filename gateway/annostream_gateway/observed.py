"""HTTP metrics of the gateway: each request counted by route template and status, with its duration (the route
template, not the path, so ids do not multiply the series); the edge's one ASGI layer (edge.EdgeGuard) calls
`count` for every HTTP request, refused ones included; routes/metrics.py serves them."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import Scope

from annostream_kernel.metrics import HTTP_HANDLED, HTTP_SECONDS

UNMATCHED = "(unmatched)"
# Label children cached per label values, as the gRPC client metrics do (annostream_kernel.grpc_observed): `.labels()`
# takes a lock and builds the key on every call. Bounded as the series themselves are (methods, routes and statuses).
_handled: dict[tuple[str, str, int], Any] = {}
_seconds: dict[tuple[str, str], Any] = {}


def count(scope: Scope, status: int, started: float) -> None:
    """One count and one duration for the request of `scope`, answered `status`, begun at `started`
    (time.perf_counter)."""
    route = getattr(scope.get("route"), "path", UNMATCHED)
    method = scope.get("method", "")
    if (handled := _handled.get((method, route, status))) is None:
        handled = _handled[method, route, status] = HTTP_HANDLED.labels(method, route, str(status))
    if (timer := _seconds.get((method, route))) is None:
        timer = _seconds[method, route] = HTTP_SECONDS.labels(method, route)
    handled.inc()
    timer.observe(time.perf_counter() - started)
