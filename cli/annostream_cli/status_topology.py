"""The topology part of `annostream status`: the NATS nodes (and the JetStream meta leader), where each stream
is led and replicated, and the processes of each service with the leadership (relay, consumers) each holds."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from annostream_kernel.db import advisory_key

from .topology import jsz

# Every advisory lock a process holds while it leads, with its session's application_name (kernel db).
LEADER_LOCKS_SQL = """
SELECT a.application_name AS app, (l.classid::bigint << 32) | l.objid::bigint AS key
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
"""


@dataclass
class NatsNode:
    """One nats-server of the cluster as status sees it."""

    name: str
    monitor_url: str
    up: bool
    meta_leader: bool = False


@dataclass
class StreamPlacement:
    """Where a stream lives: its leader node and its replicas (with whether each is current)."""

    leader: str
    replicas: dict[str, bool] = field(default_factory=dict)


@dataclass
class ProcessStatus:
    """One process of a component: its pid, whether it runs, and what it leads."""

    name: str
    component: str
    pid: int
    alive: bool
    leads: list[str] = field(default_factory=list)


@dataclass
class Topology:
    """The topology section of `status --json`."""

    nats: list[NatsNode] = field(default_factory=list)
    streams: dict[str, StreamPlacement] = field(default_factory=dict)
    processes: list[ProcessStatus] = field(default_factory=list)


def nats_nodes(monitors: list[str]) -> list[NatsNode]:
    """Each node of a recorded cluster: reachable or not, and which one is the JetStream meta leader."""
    nodes: list[NatsNode] = []
    leader = ""
    for i, url in enumerate(monitors):
        doc = jsz(url)
        meta = (doc or {}).get("meta_cluster") or {}
        if isinstance(meta, dict) and meta.get("leader"):
            leader = str(meta["leader"])
        name = str((doc or {}).get("server_name") or f"n{i + 1}")
        nodes.append(NatsNode(name, url, doc is not None))
    for node in nodes:
        node.meta_leader = node.name == leader
    return nodes


async def stream_placements(js: Any, names: list[str]) -> dict[str, StreamPlacement]:
    """Each existing stream's leader and replicas (a single server: leader `-`)."""
    out: dict[str, StreamPlacement] = {}
    for name in names:
        with contextlib.suppress(Exception):
            info = await js.stream_info(name)
            cluster = info.cluster
            if cluster is None:
                continue
            replicas = {str(r.name): bool(r.current) for r in (cluster.replicas or [])}
            out[name] = StreamPlacement(str(cluster.leader or "-"), replicas)
    return out


def _signed(key: int) -> int:
    return key - 2**64 if key >= 2**63 else key


async def leaders(conn: Any, durables: list[str], services: tuple[str, ...]) -> dict[int, list[str]]:
    """Which pid leads what: `relay` of its schema, `consumer <durable>` of the durables its service runs."""
    names: dict[int, str] = {advisory_key(f"relay:{s}"): "relay" for s in services}
    for durable in durables:
        service = durable.split("-", 1)[0]
        names[advisory_key(f"consumer:{service}:{durable}")] = f"consumer {durable}"
    out: dict[int, list[str]] = {}
    for row in await conn.fetch(LEADER_LOCKS_SQL):
        app, what = str(row["app"] or ""), names.get(_signed(int(row["key"])))
        pid = app.rsplit("-", 1)[-1]
        if what and app.startswith("annostream-") and pid.isdigit():
            out.setdefault(int(pid), []).append(what)
    return out


def processes(recorded: dict[str, dict[str, Any]], leads: dict[int, list[str]]) -> list[ProcessStatus]:
    """The recorded processes of a local stack (or, without a record, every pid that leads something)."""
    out: list[ProcessStatus] = []
    for name, p in recorded.items():
        pid = int(p["pid"])
        out.append(ProcessStatus(name, str(p["component"]), pid, _alive(pid), sorted(leads.get(pid, []))))
    if not recorded:
        out = [ProcessStatus(f"pid {pid}", "", pid, True, sorted(what)) for pid, what in leads.items()]
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def render_topology(t: Topology) -> list[str]:
    """Lines for people: nodes, stream leaders, processes and what each leads."""
    lines: list[str] = []
    if t.nats:
        marks = [f"{n.name} {'up' if n.up else 'DOWN'}{' (meta leader)' if n.meta_leader else ''}" for n in t.nats]
        nodes = ", ".join(marks)
        lines.append(f"nats nodes: {nodes}")
    for name, s in sorted(t.streams.items()):
        others = ", ".join(f"{r}{'' if ok else ' (behind)'}" for r, ok in sorted(s.replicas.items())) or "-"
        lines.append(f"stream {name}: leader {s.leader}, replicas {others}")
    for p in t.processes:
        state = "up" if p.alive else "DOWN"
        lines.append(f"process {p.name:<13} pid {p.pid:<7} {state:<4} leads: {', '.join(p.leads) or '-'}")
    return lines
