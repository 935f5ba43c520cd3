"""SIGTERM under load: in-flight requests finish, every acknowledged write is stored and published."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import grpc
import nats
from grpc import aio

from annostream_cli.embedded import free_port
from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as api_grpc
from annostream_protos.events.v1 import envelope_pb2


async def _wait_serving(target: str) -> None:
    for _ in range(200):
        try:
            async with channel(target) as ch:
                await IdentityStub(api_grpc.DatasetsServiceStub(ch)).GetDataset(
                    api.GetDatasetRequest(dataset_id="probe"), timeout=1
                )
        except aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("datasets service did not start")


async def test_sigterm_under_load_loses_no_acknowledged_request(
    postgres_dsn: str, nats_url: str, tmp_path: Path
) -> None:
    port = free_port()
    target = f"127.0.0.1:{port}"
    env = {
        **os.environ,
        "ANNOSTREAM_DATABASE_URL": postgres_dsn,
        "ANNOSTREAM_NATS_URL": nats_url,
        "ANNOSTREAM_GRPC_PORT": str(port),
        "ANNOSTREAM_SHUTDOWN_GRACE_SECONDS": "10",
    }
    log = open(tmp_path / "datasets.log", "wb")  # noqa: ASYNC230, SIM115
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before the load
        [sys.executable, "-m", "annostream_cli.main", "serve", "datasets"], env=env, stdout=log, stderr=log
    )
    team = f"shutdown-{uuid.uuid4().hex[:8]}"
    acked: list[str] = []
    refused: list[tuple[str, grpc.StatusCode]] = []
    stop = asyncio.Event()
    try:
        await _wait_serving(target)

        async def writer(n: int) -> None:
            async with channel(target) as ch:
                stub = IdentityStub(api_grpc.DatasetsServiceStub(ch))
                i = 0
                while not stop.is_set():
                    i += 1
                    name = f"w{n}-{i}"
                    try:
                        resp = await stub.CreateDataset(
                            api.CreateDatasetRequest(name=name),
                            timeout=5,
                            metadata=(("x-annostream-user", "tester"), ("x-annostream-team", team)),
                        )
                        acked.append(resp.dataset.dataset_id)
                    except aio.AioRpcError as err:
                        refused.append((name, err.code()))
                        return

        writers = [asyncio.create_task(writer(n)) for n in range(20)]
        while len(acked) < 200:  # noqa: ASYNC110 - polls a plain list
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) == 0
        stop.set()
        await asyncio.gather(*writers)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()

    assert len(acked) >= 200
    conn = await asyncpg.connect(postgres_dsn)
    try:
        rows = await conn.fetch("SELECT dataset_id, name FROM datasets.datasets WHERE team = $1", team)
    finally:
        await conn.close()
    stored = {r["dataset_id"] for r in rows}
    assert set(acked) <= stored  # every acknowledged write is in the database
    # A refused request (the server had stopped accepting) was refused before it did anything.
    assert {c for _, c in refused} <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}, refused
    assert not {name for name, _ in refused} & {r["name"] for r in rows}
    assert len(stored) == len(acked)

    # ... and its event reached JetStream before the process exited (the relay flushes on shutdown).
    nc = await nats.connect(nats_url)
    try:
        published: set[str] = set()
        sub = await nc.jetstream().subscribe("annostream.datasets.v1.>", ordered_consumer=True)
        try:
            while True:
                msg = await sub.next_msg(timeout=2)
                env_ = envelope_pb2.EventEnvelope.FromString(msg.data)
                if env_.type == "DatasetCreated":
                    published.add(env_.stream_id.removeprefix("dataset:"))
        except (TimeoutError, nats.errors.TimeoutError):
            pass
    finally:
        await nc.close()
    assert set(acked) <= published
