"""The topology tier: the production shape on one machine (a 3-node JetStream cluster with streams at R3, two
processes of every service), a steady SDK write load, and a plain JetStream subscriber downstream. The fault tests
kill parts of it and check that nothing acknowledged is lost; the recovery times they measure are printed at the
end of the run."""

from __future__ import annotations

import atexit
import time
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from annostream_cli.stack import LocalStack

from .load import Load
from .subscriber import Subscriber


@pytest.fixture(scope="package")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """PostgreSQL, three clustered nats-servers and two processes of each service (one gateway)."""
    stack = LocalStack(
        tmp_path_factory.mktemp("topology"),
        http_port=0,
        replicas=2,
        nats_cluster=3,
        extra_env={"ANNOSTREAM_RELAY_POLL_SECONDS": "0.2", "ANNOSTREAM_SHUTDOWN_GRACE_SECONDS": "5"},
    )
    atexit.register(stack.stop)
    stack.start(ready_timeout=120)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def subscriber(topo: LocalStack) -> Iterator[Subscriber]:
    """The downstream subscriber, receiving from the first event on."""
    sub = Subscriber(topo.nats_url)
    sub.start()
    try:
        yield sub
    finally:
        sub.stop()


@pytest.fixture(scope="package")
def load(topo: LocalStack) -> Load:
    """The write load's task, version and import version, prepared (not running)."""
    generator = Load(topo.url)
    generator.prepare()
    return generator


def serving(port: int, timeout: float = 60.0) -> float:
    """Wait until the gRPC server on `port` answers health SERVING; returns how long that took."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
                got = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if got.status == health_pb2.HealthCheckResponse.SERVING:
                    return time.monotonic() - start
        except grpc.RpcError:
            pass
        assert time.monotonic() < deadline, f"nothing SERVING on port {port} after {timeout}s"
        time.sleep(0.1)
