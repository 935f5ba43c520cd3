"""free_port keeps the port it returns from every other bind to port 0 for a while, yet a server gets it at once."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler, HTTPServer

from annostream_cli.embedded import free_port


def _bound_to_port_0() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_bind_to_port_0_gets_a_port_free_port_returned() -> None:
    ports = {free_port() for _ in range(200)}
    assert len(ports) == 200  # nor does free_port itself twice
    # The kernel picks port 0's answer at random among ≈ 14 k ports: ≈ 70 of 5 000 draws would hit 200 ports only
    # bound and released (one in 60 concurrent starts of two stacks shared a port so); kept in TIME_WAIT, none.
    assert not ports & {_bound_to_port_0() for _ in range(5_000)}


def test_no_outgoing_connection_gets_a_port_free_port_returned() -> None:
    ports = {free_port() for _ in range(200)}
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        for _ in range(500):
            with socket.create_connection(server.getsockname()) as client:
                assert client.getsockname()[1] not in ports
                server.accept()[0].close()


def test_a_server_binds_the_port_at_once() -> None:
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)  # SO_REUSEADDR, as uvicorn, grpc, nats-server
    try:
        assert server.server_address[1] == port
    finally:
        server.server_close()


def test_nothing_listens_on_it() -> None:
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", free_port())) != 0  # refused: a client of a stopped server fails fast
