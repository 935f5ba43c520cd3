"""The production topology on one machine: a JetStream cluster of nats-server processes on loopback, and how
many processes of each service `annostream up` runs (ANNOSTREAM_NATS_CLUSTER, ANNOSTREAM_REPLICAS)."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .components import COMPONENTS
from .embedded import NatsServer, free_port

CLUSTER_NAME = "annostream"


class TopologySettings(BaseSettings):
    """How many NATS nodes and processes per service `annostream up` starts (1 and 1: the development default)."""

    model_config = SettingsConfigDict(env_prefix="ANNOSTREAM_", extra="ignore", frozen=True)

    nats_cluster: int = Field(default=1, ge=1, le=5, description="nats-server processes, clustered (streams at R3).")
    replicas: int = Field(default=1, ge=1, le=4, description="Processes of each gRPC service (the gateway stays one).")


def process_names(replicas: int) -> dict[str, str]:
    """Every process of a stack and its component: `annotation`, `annotation-2`, ...; one gateway."""
    out: dict[str, str] = {}
    for component in COMPONENTS:
        count = 1 if component == "gateway" else replicas
        for i in range(1, count + 1):
            out[component if i == 1 else f"{component}-{i}"] = component
    return out


class NatsCluster:
    """`size` nats-server processes with JetStream, clustered over loopback routes, each with its own store."""

    def __init__(self, data_dir: Path, size: int = 3, host: str = "127.0.0.1") -> None:
        taken: set[int] = set()

        def port() -> int:
            while (p := free_port(host)) in taken:
                pass
            taken.add(p)
            return p

        cluster_ports = [port() for _ in range(size)]
        self.monitor_ports = [port() for _ in range(size)]
        routes = ", ".join(f"nats-route://{host}:{p}" for p in cluster_ports)
        self.nodes = [
            NatsServer(
                data_dir / f"n{i + 1}",
                port=port(),
                host=host,
                conf=(
                    f"server_name: n{i + 1}\nhttp: {host}:{self.monitor_ports[i]}\n"
                    f"cluster {{\n  name: {CLUSTER_NAME}\n  listen: {host}:{cluster_ports[i]}\n"
                    f"  routes: [{routes}]\n}}\n"
                ),
            )
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (what ANNOSTREAM_NATS_URL takes)."""
        return ",".join(n.url for n in self.nodes)

    @property
    def monitor_urls(self) -> list[str]:
        """Each node's monitoring endpoint (/varz, /jsz, /healthz)."""
        return [f"http://{n.host}:{p}" for n, p in zip(self.nodes, self.monitor_ports, strict=True)]

    def start(self, timeout: float = 30) -> str:
        """Start every node and wait until JetStream has a meta leader on all of them; returns the URL list."""
        try:
            for node in self.nodes:
                node.start()
            self.wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def wait_healthy(self, timeout: float, nodes: list[int] | None = None) -> None:
        """Wait until each node (all, or the indexes given) answers /healthz 200: JetStream current and led."""
        deadline = time.monotonic() + timeout
        for i in nodes if nodes is not None else range(len(self.nodes)):
            while not healthz(self.monitor_urls[i]):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"NATS node n{i + 1} not healthy after {timeout}s")
                time.sleep(0.1)

    def restart(self, index: int, timeout: float = 30) -> None:
        """Start node `index` again with its port, store and routes (after a kill)."""
        self.nodes[index].start()
        self.wait_healthy(timeout, [index])

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop()


def healthz(monitor_url: str) -> bool:
    """The node answers /healthz with 200 (its JetStream is up and in its cluster)."""
    try:
        with urllib.request.urlopen(f"{monitor_url}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def jsz(monitor_url: str) -> dict[str, object] | None:
    """The node's /jsz document (JetStream state, its view of the meta leader), or None when unreachable."""
    try:
        with urllib.request.urlopen(f"{monitor_url}/jsz", timeout=1) as resp:
            return dict(json.loads(resp.read()))
    except (OSError, ValueError):
        return None
