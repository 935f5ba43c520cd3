"""Client-side gRPC metrics of the kernel's channels, against a real grpc.aio server (the health service): each
call is counted by method and status code and timed, unary and server-streaming alike."""

from __future__ import annotations

import asyncio

import pytest
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from annostream_kernel.grpc_client import channel
from annostream_kernel.metrics import REGISTRY

CHECK = "/grpc.health.v1.Health/Check"
WATCH = "/grpc.health.v1.Health/Watch"


def _count(method: str, code: str) -> float:
    return REGISTRY.get_sample_value("annostream_grpc_client_handled_total", {"method": method, "code": code}) or 0.0


def _timed(method: str) -> float:
    return REGISTRY.get_sample_value("annostream_grpc_client_handling_seconds_count", {"method": method}) or 0.0


async def test_unary_calls_are_counted_by_method_and_code_and_timed() -> None:
    server = aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await servicer.set("known", health_pb2.HealthCheckResponse.SERVING)
    ok, missing, timed = _count(CHECK, "OK"), _count(CHECK, "NOT_FOUND"), _timed(CHECK)
    try:
        async with channel(f"127.0.0.1:{port}") as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            answer = await stub.Check(health_pb2.HealthCheckRequest(service="known"))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(aio.AioRpcError, match="NOT_FOUND"):
                await stub.Check(health_pb2.HealthCheckRequest(service="unknown"))
    finally:
        await server.stop(None)
    assert _count(CHECK, "OK") == ok + 1
    assert _count(CHECK, "NOT_FOUND") == missing + 1
    assert _timed(CHECK) == timed + 2


async def test_a_server_stream_is_counted_when_it_ends() -> None:
    server = aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    cancelled = _count(WATCH, "CANCELLED")
    try:
        async with channel(f"127.0.0.1:{port}") as ch:
            call = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=""))
            first = await call.read()
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            call.cancel()
            for _ in range(100):  # the count is taken when the call's status is known (a done callback)
                if _count(WATCH, "CANCELLED") > cancelled:
                    break
                await asyncio.sleep(0.01)
    finally:
        await server.stop(None)
    assert _count(WATCH, "CANCELLED") == cancelled + 1
