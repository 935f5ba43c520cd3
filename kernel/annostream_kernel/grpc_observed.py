"""Client-side gRPC metrics: interceptors on every channel the kernel opens (the gateway's and each service's
calls to another) that count each call by method and status code and time it until its status is known."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from grpc import aio

from .metrics import GRPC_CLIENT_HANDLED, GRPC_CLIENT_SECONDS, child

_pending: set[asyncio.Task[None]] = set()


def _method(details: aio.ClientCallDetails) -> str:
    m = details.method
    return m.decode() if isinstance(m, bytes) else str(m)


def _record(method: str, code: str, seconds: float) -> None:
    child(GRPC_CLIENT_HANDLED, method, code).inc()
    child(GRPC_CLIENT_SECONDS, method).observe(seconds)


def _count(method: str, code: str, started: float) -> None:
    _record(method, code, time.perf_counter() - started)


async def _await_unary(call: Any, method: str, started: float) -> None:
    try:
        await call
        code = "OK"
    except aio.AioRpcError as err:
        code = err.code().name
    except asyncio.CancelledError:
        _count(method, "CANCELLED", started)
        raise
    _count(method, code, started)


def _on_done(method: str, started: float) -> Any:
    elapsed_at: list[float] = []

    async def record(call: Any) -> None:
        code: grpc.StatusCode = await call.code()
        _record(method, code.name, elapsed_at[0] - started)

    def done(call: Any) -> None:
        elapsed_at.append(time.perf_counter())
        task = asyncio.get_running_loop().create_task(record(call))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    return done


async def _streaming(continuation: Any, client_call_details: Any, request: Any) -> Any:
    """Start a call with a streaming side and count it when it ends (the caller may still write: never await it)."""
    started, method = time.perf_counter(), _method(client_call_details)
    call = await continuation(client_call_details, request)
    call.add_done_callback(_on_done(method, started))
    return call


class _UnaryUnary(aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        started, method = time.perf_counter(), _method(client_call_details)
        call = await continuation(client_call_details, request)
        await _await_unary(call, method, started)
        return call


class _StreamUnary(aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await _streaming(continuation, client_call_details, request_iterator)


class _UnaryStream(aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await _streaming(continuation, client_call_details, request)


class _StreamStream(aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        return await _streaming(continuation, client_call_details, request_iterator)


def metrics_interceptors() -> list[aio.ClientInterceptor]:
    """One interceptor per call shape, counting `annostream_grpc_client_handled` and timing calls."""
    return [_UnaryUnary(), _StreamUnary(), _UnaryStream(), _StreamStream()]
