"""`annostream status`: each component with its health and version, how far each relay lags behind what its
service committed, how many events each consumer has yet to apply, and its dead letters.

Where to look comes from the environment (`ANNOSTREAM_DATABASE_URL`, `ANNOSTREAM_NATS_URL`, the gateway's
`ANNOSTREAM_HTTP_HOST`/`PORT`: what a pod has) or, for a local `annostream up`, from the `stack.json` it writes
in its data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.js.errors import NotFoundError

from annostream_kernel.sampling import dead_letters, events_to_apply, relay_lag
from annostream_kernel.streams import ANNOTATION, ANNOTATION_BUNDLES, DATASETS, ITERATOR, TASKS
from annostream_sdk import AnnostreamError, Client

from .components import COMPONENTS
from .status_topology import Topology, leaders, nats_nodes, processes, render_topology, stream_placements

STREAMS = (DATASETS, TASKS, ITERATOR, ANNOTATION, ANNOTATION_BUNDLES)  # the last: internal consumers' durables
SERVICES = tuple(c for c in COMPONENTS if c != "gateway")  # each service's schema has its name


@dataclass
class ComponentStatus:
    """One component as `status --json` prints it."""

    name: str
    healthy: bool
    state: str
    version: str
    metrics_url: str | None = None
    relay_lag_seconds: float | None = None
    consumer_lags: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Targets:
    """Where the gateway, PostgreSQL and NATS of the system are."""

    url: str
    database_url: str
    nats_url: str
    metrics: dict[str, str] = field(default_factory=dict)
    nats_monitors: list[str] = field(default_factory=list)
    processes: dict[str, dict[str, Any]] = field(default_factory=dict)


def targets(data_dir: Path) -> Targets:
    """The environment's addresses, else those `annostream up` recorded in `data_dir`/stack.json."""
    recorded: dict[str, Any] = {}
    stack_file = data_dir / "stack.json"
    if stack_file.exists():
        recorded = json.loads(stack_file.read_text())
    host = os.environ.get("ANNOSTREAM_HTTP_HOST", "127.0.0.1")
    port = os.environ.get("ANNOSTREAM_HTTP_PORT", "8080")
    return Targets(
        url=recorded.get("url") or f"http://{host}:{port}",
        database_url=os.environ.get("ANNOSTREAM_DATABASE_URL") or recorded.get("database_url", ""),
        nats_url=os.environ.get("ANNOSTREAM_NATS_URL") or recorded.get("nats_url", ""),
        metrics=recorded.get("metrics") or {},
        nats_monitors=recorded.get("nats_monitors") or [],
        processes=recorded.get("processes") or {},
    )


def collect(t: Targets) -> list[ComponentStatus]:
    """Ask the gateway, PostgreSQL and JetStream; a part that cannot be reached shows as unhealthy/unknown."""
    version = metadata.version("annostream")
    states = _health(t.url)
    out = [
        ComponentStatus(c, states.get(c) == "SERVING", states.get(c, "UNREACHABLE"), version, t.metrics.get(c))
        for c in COMPONENTS
    ]
    lags = asyncio.run(_lags(t)) if t.database_url and t.nats_url else {}
    for status in out:
        status.relay_lag_seconds, status.consumer_lags, status.dead_letters = lags.get(status.name, (None, {}, {}))
    return out


def _health(url: str) -> dict[str, str]:
    try:
        with Client(url, timeout=3, retries=0) as client:
            ready = client.readiness()
    except AnnostreamError:
        return {}
    return {**ready.services, "gateway": "SERVING"}


async def _lags(t: Targets) -> dict[str, tuple[float | None, dict[str, int], dict[str, int]]]:
    conn = await asyncpg.connect(t.database_url, timeout=5)
    nc = await _connect_nats(t.nats_url)
    try:
        pending = await _pending(nc)
        out: dict[str, tuple[float | None, dict[str, int], dict[str, int]]] = {}
        for service in SERVICES:
            mine = {name: n for name, n in pending.items() if name.split("-", 1)[0] == service}
            out[service] = (await relay_lag(conn, service), mine, await dead_letters(conn, service))
        return out
    finally:
        await conn.close()
        await nc.close()


async def _connect_nats(url: str) -> Any:
    return await nats.connect(servers=url.split(","), connect_timeout=5, max_reconnect_attempts=0)


def topology(t: Targets) -> Topology:
    """The NATS nodes, stream placement and the processes of each service with what each leads."""
    topo = Topology(nats=nats_nodes(t.nats_monitors))
    if t.database_url and t.nats_url:
        with contextlib.suppress(Exception):
            asyncio.run(_placement(t, topo))
    if not topo.processes:
        topo.processes = processes(t.processes, {})
    return topo


async def _placement(t: Targets, topo: Topology) -> None:
    conn = await asyncpg.connect(t.database_url, timeout=5)
    nc = await _connect_nats(t.nats_url)
    try:
        topo.streams = await stream_placements(nc.jetstream(), [s.name for s in STREAMS])
        leads = await leaders(conn, list(await _pending(nc)), SERVICES)
        topo.processes = processes(t.processes, leads)
    finally:
        await conn.close()
        await nc.close()


async def _pending(nc: Any) -> dict[str, int]:
    """Events each durable consumer has yet to apply: not delivered yet + delivered but not acknowledged."""
    jsm = nc.jsm()
    found: dict[str, int] = {}
    for stream in STREAMS:
        try:
            consumers = await jsm.consumers_info(stream.name)
        except NotFoundError:
            continue
        for info in consumers:
            found[info.name] = events_to_apply(info)
    return found


def render(statuses: list[ComponentStatus], as_json: bool, topo: Topology | None = None) -> str:
    """The `--json` document, or a table for people (the topology below it)."""
    if as_json:
        doc: dict[str, Any] = {"components": [asdict(s) for s in statuses]}
        if topo is not None:
            doc["topology"] = asdict(topo)
        return json.dumps(doc, indent=2)
    lines = [f"{'component':<11} {'health':<12} {'version':<8} {'relay lag':>9}  consumers (events to apply)  dead"]
    for s in statuses:
        lag = "-" if s.relay_lag_seconds is None else f"{s.relay_lag_seconds:.1f} s"
        consumers = ", ".join(f"{k} {v}" for k, v in sorted(s.consumer_lags.items())) or "-"
        dead = sum(s.dead_letters.values()) if s.relay_lag_seconds is not None else "-"
        lines.append(f"{s.name:<11} {s.state:<12} {s.version:<8} {lag:>9}  {consumers:<28} {dead}")
    return "\n".join([*lines, *(render_topology(topo) if topo is not None else [])])
