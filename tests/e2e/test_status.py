"""`annostream status` against a running system: every component healthy with its version, relay lag and
consumer lags per service, dead letters counted per consumer; `--json` has the documented shape."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import asyncpg
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


def _status(system: LocalStack, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "annostream_cli.main", "status", "--data-dir", str(system.data_dir), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_status_json_lists_every_component_healthy_with_relay_and_consumer_lags(system: LocalStack) -> None:
    got = _status(system, "--json")
    assert got.returncode == 0, got.stdout + got.stderr
    components = {c["name"]: c for c in json.loads(got.stdout)["components"]}
    assert set(components) == {"datasets", "tasks", "iterator", "annotation", "webhooks", "gateway"}
    for c in components.values():
        assert c["healthy"] and c["state"] == "SERVING" and c["version"]
        assert set(c) >= {"name", "healthy", "metrics_url", "relay_lag_seconds", "consumer_lags", "dead_letters"}
    assert set(components["annotation"]["consumer_lags"]) == {"annotation-datasets"}
    iterator_consumers = {"iterator-datasets", "iterator-tasks", "iterator-annotation"}
    assert set(components["iterator"]["consumer_lags"]) == iterator_consumers
    assert all(isinstance(v, int) and v >= 0 for v in components["iterator"]["consumer_lags"].values())
    assert all(c["relay_lag_seconds"] >= 0 for n, c in components.items() if n != "gateway")
    assert components["gateway"]["relay_lag_seconds"] is None


async def test_status_counts_a_consumers_dead_letters(system: LocalStack) -> None:
    consumer = f"annotation-status-{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(system.dsn)
    try:  # what a consumer stores for an event it could not apply (kernel consumer.py)
        await conn.execute(
            "INSERT INTO annotation.dead_letters (consumer, stream_seq, event_id, type, error, payload)"
            " VALUES ($1, 1, 'e1', 'RoiCreated', 'boom', ''), ($1, 2, 'e2', 'RoiMoved', 'boom', '')",
            consumer,
        )
        got = _status(system, "--json")
        table = _status(system)
    finally:
        await conn.execute("DELETE FROM annotation.dead_letters WHERE consumer = $1", consumer)
        await conn.close()
    annotation = next(c for c in json.loads(got.stdout)["components"] if c["name"] == "annotation")
    assert annotation["dead_letters"][consumer] == 2
    line = next(x for x in table.stdout.splitlines() if x.startswith("annotation "))
    assert "SERVING" in line and "annotation-datasets" in line and line.split()[-1].isdigit()
