"""`annostream status` on the production topology: the NATS nodes and their meta leader, where each stream is led
and replicated, and exactly one process of each service leading its relay and each of its consumers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from annostream_cli.stack import LocalStack


def _status(topo: LocalStack) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "annostream_cli.main", "status", "--json", "--data-dir", str(topo.data_dir)]
    got = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stdout + got.stderr
    return dict(json.loads(got.stdout)["topology"])


def test_status_shows_three_nats_nodes_replicated_streams_and_one_leader_per_relay_and_consumer(
    topo: LocalStack,
) -> None:
    deadline = time.monotonic() + 30
    while True:  # a standby takes a lock its peer released (after a fault test) within a second or two
        topology = _status(topo)
        leads: dict[str, list[str]] = {}
        for p in topology["processes"]:
            for what in p["leads"]:
                leads.setdefault(f"{p['component']} {what}", []).append(p["name"])
        if all(len(names) == 1 for names in leads.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    nodes = topology["nats"]
    assert [n["name"] for n in nodes] == ["n1", "n2", "n3"] and all(n["up"] for n in nodes)
    assert sum(n["meta_leader"] for n in nodes) == 1
    annotation = topology["streams"]["ANNOSTREAM_ANNOTATION"]
    assert annotation["leader"] in {"n1", "n2", "n3"}
    assert set(annotation["replicas"]) == {"n1", "n2", "n3"} - {annotation["leader"]}

    processes = {p["name"]: p for p in topology["processes"]}
    assert len(processes) == 11 and all(p["alive"] for p in processes.values())
    for service in ("datasets", "tasks", "iterator", "annotation"):
        assert leads[f"{service} relay"] in ([service], [f"{service}-2"])
    assert leads["iterator consumer iterator-annotation"] in (["iterator"], ["iterator-2"])
    assert all(len(names) == 1 for names in leads.values()), leads
