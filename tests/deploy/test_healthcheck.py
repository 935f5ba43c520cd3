"""deploy/healthcheck.py (`annostream-healthcheck` in the image) against real gRPC health and HTTP servers."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from .artefacts import ROOT, load_script

healthcheck = load_script("annostream_healthcheck", ROOT / "deploy" / "healthcheck.py")


@pytest.fixture
def grpc_health() -> Iterator[tuple[int, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, servicer
    finally:
        server.stop(None)


class _Readyz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def http_server() -> Iterator[tuple[int, type[_Readyz]]]:
    handler = type("Handler", (_Readyz,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py"), *args],
        env={**os.environ, "ANNOSTREAM_HEALTHCHECK_TIMEOUT_SECONDS": "2", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthcheck_grpc(grpc_health: tuple[int, health.HealthServicer]) -> None:
    port, servicer = grpc_health
    env = {"ANNOSTREAM_GRPC_PORT": str(port), "ANNOSTREAM_GRPC_HOST": "0.0.0.0"}
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    result = run_healthcheck("tasks", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SERVING" in result.stdout
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    result = run_healthcheck("tasks", **env)
    assert result.returncode == 1
    assert "NOT_SERVING" in result.stdout


def test_healthcheck_grpc_unreachable() -> None:
    with socket.socket() as sock:  # a port that nothing listens on once released
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_healthcheck("datasets", ANNOSTREAM_GRPC_PORT=str(port))
    assert result.returncode == 1
    assert "UNAVAILABLE" in result.stdout or "DEADLINE_EXCEEDED" in result.stdout


def test_healthcheck_gateway(http_server: tuple[int, type[_Readyz]]) -> None:
    port, handler = http_server
    result = run_healthcheck("gateway", ANNOSTREAM_HTTP_PORT=str(port), ANNOSTREAM_HTTP_HOST="0.0.0.0")
    assert result.returncode == 0, result.stdout + result.stderr
    handler.status = 503
    result = run_healthcheck("gateway", ANNOSTREAM_HTTP_PORT=str(port))
    assert result.returncode == 1
    assert "HTTP 503" in result.stdout


def test_healthcheck_finds_the_component_of_pid1(tmp_path: Path) -> None:
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"/opt/venv/bin/python\0/opt/venv/bin/annostream\0serve\0iterator\0")
    assert healthcheck.component_from_pid1(cmdline) == "iterator"
    cmdline.write_bytes(b"python3\0")
    assert healthcheck.component_from_pid1(cmdline) is None
    assert healthcheck.component_from_pid1(tmp_path / "missing") is None
    assert run_healthcheck("nonsense").returncode == 1
