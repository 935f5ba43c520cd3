#!/usr/bin/env python3
"""Container health check for the annostream image: `annostream-healthcheck [COMPONENT]`.

Exit 0 when the component in this container is healthy, 1 otherwise (Docker HEALTHCHECK and
compose `healthcheck` semantics):

- datasets, tasks, iterator, annotation, webhooks: the standard grpc.health.v1 `Check` for the whole server
  ("" service) on ANNOSTREAM_GRPC_PORT answers SERVING (the services report SERVING only while
  PostgreSQL and NATS are reachable);
- gateway: GET /readyz on ANNOSTREAM_HTTP_PORT answers 200 (every service is healthy).

Without COMPONENT it is read from the command line of PID 1 (`annostream serve COMPONENT`), so the
image's HEALTHCHECK works for every component without configuration.
"""

from __future__ import annotations

import itertools
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

GRPC_PORTS = {"datasets": 50051, "tasks": 50052, "iterator": 50053, "annotation": 50054, "webhooks": 50055}
HTTP_PORT = 8080
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def component_from_pid1(cmdline: Path = Path("/proc/1/cmdline")) -> str | None:
    """The word after `serve` on PID 1's command line, if there is one."""
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return None
    for word, following in itertools.pairwise(args):
        if word == b"serve" and following:
            return following.decode()
    return None


def local_host(env_name: str) -> str:
    """Where to reach this container's server: loopback when it listens on every interface."""
    host = os.environ.get(env_name, "").strip()
    return "127.0.0.1" if host in WILDCARD_HOSTS else host


def timeout_seconds() -> float:
    return float(os.environ.get("ANNOSTREAM_HEALTHCHECK_TIMEOUT_SECONDS", "3"))


def check_grpc(component: str) -> tuple[bool, str]:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = int(os.environ.get("ANNOSTREAM_GRPC_PORT", GRPC_PORTS[component]))
    target = f"{local_host('ANNOSTREAM_GRPC_HOST')}:{port}"
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout_seconds()
            )
        except grpc.RpcError as exc:
            return False, f"{component} {target}: {exc.code().name}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return reply.status == health_pb2.HealthCheckResponse.SERVING, f"{component} {target}: {status}"


def check_http(component: str) -> tuple[bool, str]:
    port = int(os.environ.get("ANNOSTREAM_HTTP_PORT", HTTP_PORT))
    host = local_host("ANNOSTREAM_HTTP_HOST")
    url = f"http://{host}:{port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=timeout_seconds()) as reply:
            status = int(reply.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        return False, f"{component} {url}: {exc}"
    return status == 200, f"{component} {url}: HTTP {status}"


def main(argv: list[str]) -> int:
    component = argv[1] if len(argv) > 1 else component_from_pid1()
    if component == "gateway":
        healthy, detail = check_http(component)
    elif component in GRPC_PORTS:
        healthy, detail = check_grpc(component)
    else:
        print(f"unknown component {component!r}: pass one of gateway, {', '.join(GRPC_PORTS)}")
        return 1
    print(detail)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
