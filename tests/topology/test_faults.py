"""Losing parts of the production topology under a steady write load loses nothing: every acknowledged edit is
stored and reaches a downstream JetStream subscriber, and no call the SDK retries fails."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import nats
import nats.errors
import nats.js.errors

from annostream_cli.components import COMPONENTS
from annostream_cli.stack import LocalStack
from annostream_cli.topology import NatsCluster
from annostream_kernel.streams import ANNOTATION

from .checks import STEADY, under_load
from .conftest import serving
from .load import Load
from .subscriber import Subscriber

SERVICES = [c for c in COMPONENTS if c != "gateway"]
# After a restarted process serves, callers reconnect to it within their reconnect backoff (kernel grpc_client
# RECONNECT_MAX_MS, jittered): a rollout waits that long (Kubernetes: minReadySeconds) before stopping the next.
SETTLE = 1.5


def _stream_leader(nats_url: str, timeout: float = 60.0) -> str:
    """The node leading the annotation stream, once it has one (asked again while a leader is being elected)."""

    async def leader() -> str:
        nc = await nats.connect(servers=nats_url.split(","))
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    info = await nc.jetstream(timeout=1).stream_info(ANNOTATION.name)
                    if info.cluster is not None and info.cluster.leader:
                        return str(info.cluster.leader)
                except (nats.errors.TimeoutError, nats.js.errors.APIError):
                    pass
                assert time.monotonic() < deadline, "the annotation stream has no leader"
                await asyncio.sleep(0.05)
        finally:
            await nc.close()

    return asyncio.run(leader())


def test_killing_the_annotation_streams_leader_nats_node_then_restarting_it_loses_no_edit_or_event(
    topo: LocalStack, load: Load, subscriber: Subscriber
) -> None:
    cluster = topo.nats
    assert isinstance(cluster, NatsCluster)

    def kill_leader_node() -> dict[str, float]:
        victim = int(_stream_leader(topo.nats_url).removeprefix("n")) - 1
        cluster.nodes[victim].kill()
        start = time.monotonic()
        new_leader = _stream_leader(topo.nats_url)  # answered once a new leader is elected
        elected = time.monotonic() - start
        assert new_leader != f"n{victim + 1}"
        time.sleep(STEADY)
        start = time.monotonic()
        cluster.restart(victim)
        return {"new_stream_leader_s": round(elected, 3), "node_back_healthy_s": round(time.monotonic() - start, 3)}

    under_load("kill -9 the annotation stream's leader node, restart it", topo, load, subscriber, kill_leader_node)


def test_killing_one_replica_of_every_service_loses_no_edit_and_fails_no_retried_call(
    topo: LocalStack, load: Load, subscriber: Subscriber
) -> None:
    victims = [topo.processes_of(s)[0] for s in SERVICES]  # the first process: it leads most relays/consumers

    def kill_replicas() -> dict[str, float]:
        for name in victims:
            os.kill(topo.procs[name].pid, signal.SIGKILL)
        for name in victims:
            topo.procs[name].wait()
        time.sleep(STEADY)
        start = time.monotonic()
        for name in victims:
            topo.restart(name)
        back = max(serving(topo.grpc_ports[name]) for name in victims)
        return {"killed_replicas": len(victims), "replicas_back_serving_s": round(time.monotonic() - start, 3)} | {
            "slowest_replica_start_s": round(back, 3)
        }

    under_load("kill -9 one process of each service", topo, load, subscriber, kill_replicas)


def test_a_rolling_restart_of_every_service_one_process_at_a_time_loses_nothing(
    topo: LocalStack, load: Load, subscriber: Subscriber
) -> None:
    def rolling_restart() -> dict[str, float]:
        # Each service's rollout replaces one process at a time; the five services roll out side by side, as their
        # Deployments would: first every service's first process, then every second one.
        figures: dict[str, float] = {}
        start = time.monotonic()
        for round_ in range(topo.replicas):
            names = [topo.processes_of(s)[round_] for s in SERVICES]
            began = time.monotonic()
            topo.stop_components(names)
            stopped = time.monotonic() - began
            for name in names:
                topo.restart(name)
            back = max(serving(topo.grpc_ports[name]) for name in names)
            figures |= {f"round{round_ + 1}_drain_s": round(stopped, 3), f"round{round_ + 1}_start_s": round(back, 3)}
            time.sleep(SETTLE)  # what a rollout's minReadySeconds gives: callers reconnect before the next
        return figures | {"rolling_restart_total_s": round(time.monotonic() - start, 3)}

    under_load("rolling restart, one process of each service at a time", topo, load, subscriber, rolling_restart)
