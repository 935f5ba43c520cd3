"""`GET /metrics`: the gateway process's Prometheus metrics (HTTP per route, gRPC client pool, Python runtime)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from annostream_kernel.errors import NotFound
from annostream_kernel.metrics import exposition

from ..contract import errors

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}, **errors(400, 404)},
    summary="The gateway's Prometheus metrics (requests per route, gRPC calls, pool)",
)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this gateway process (404 when it is served on the metrics port only)."""
    if not request.app.state.settings.metrics_on_http:
        raise NotFound("metrics are served on the gateway's metrics port (ANNOSTREAM_METRICS_PORT)")
    return Response(exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
