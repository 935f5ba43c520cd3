"""Migrations run once under concurrency; health reports SERVING only when PostgreSQL and NATS are up; a service
stops even when they are gone."""

from __future__ import annotations

import asyncio
import uuid
from importlib import resources
from pathlib import Path

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from annostream_annotation.bootstrap import definition as annotation_definition
from annostream_annotation.config import AnnotationSettings
from annostream_cli.embedded import EmbeddedPostgres, NatsServer
from annostream_cli.grpc_identity import channel
from annostream_datasets.bootstrap import definition
from annostream_datasets.config import DatasetsSettings
from annostream_kernel.db import create_pool, migrate
from annostream_kernel.runtime import Resources, ServiceApp


async def test_two_processes_migrating_at_once_apply_each_file_once(postgres_dsn: str) -> None:
    schema = f"m_{uuid.uuid4().hex[:10]}"
    pools = [await create_pool(postgres_dsn, schema) for _ in range(2)]
    try:
        results = await asyncio.gather(*(migrate(p, schema, ["annostream_datasets.migrations"]) for p in pools))
        expected = sorted(
            f"{pkg.split('.')[0]}/{f.name}"
            for pkg in ("annostream_kernel.migrations", "annostream_datasets.migrations")
            for f in resources.files(pkg).iterdir()
            if f.name.endswith(".sql")
        )
        assert sorted(len(r) for r in results) == [0, len(expected)]
        names = await pools[0].fetch(f"SELECT name FROM {schema}.schema_migrations ORDER BY name")
        assert [r["name"] for r in names] == expected
        assert await migrate(pools[0], schema, ["annostream_datasets.migrations"]) == []
    finally:
        await pools[0].execute(f"DROP SCHEMA {schema} CASCADE")
        for p in pools:
            await p.close()


async def _status(port: int) -> int:
    async with channel(f"127.0.0.1:{port}") as ch:
        resp = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2)
        return int(resp.status)


async def _wait_status(port: int, want: int) -> None:
    for _ in range(100):
        if await _status(port) == want:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"health never became {want}")


async def test_health_follows_nats_reachability_and_sigterm_drains(postgres_dsn: str, tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats")
    url = nats.start()
    settings = DatasetsSettings(database_url=postgres_dsn, nats_url=url, grpc_port=0, health_interval_seconds=0.1)
    app = ServiceApp(definition(), settings)
    port = await app.start()
    try:
        assert await _status(port) == health_pb2.HealthCheckResponse.SERVING
        nats.stop()
        await _wait_status(port, health_pb2.HealthCheckResponse.NOT_SERVING)
        nats = NatsServer(tmp_path / "nats", port=nats.port)
        nats.start()
        await _wait_status(port, health_pb2.HealthCheckResponse.SERVING)
    finally:
        await app.stop()
        nats.stop()
    with pytest.raises(aio.AioRpcError) as err:
        await _status(port)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_service_still_stops_when_postgresql_and_nats_are_already_gone(tmp_path: Path) -> None:
    # Its own servers: this test stops them under the running service (relay, consumers, pool, NATS client).
    pg, nats = EmbeddedPostgres(tmp_path / "pg"), NatsServer(tmp_path / "nats")
    dsn, url = pg.start(), nats.start()
    try:
        app = ServiceApp(annotation_definition(), AnnotationSettings(database_url=dsn, nats_url=url, grpc_port=0))
        await app.start()
    finally:
        nats.stop()
        pg.stop()
    # Every step after the RPCs is bounded (5 s each); before, the stop waited for the servers for good.
    await asyncio.wait_for(app.stop(), 60)


async def test_clients_a_composition_root_registers_are_closed_when_the_service_stops(
    postgres_dsn: str, nats_url: str
) -> None:
    closed: list[str] = []

    class Client:
        def __init__(self, name: str) -> None:
            self.name = name

        async def close(self) -> None:
            closed.append(self.name)

    d = definition()
    register = d.register

    def registering(server: aio.Server, res: Resources) -> None:
        register(server, res)
        res.close_at_stop(Client("first"))
        res.close_at_stop(Client("second"))

    d.register = registering
    app = ServiceApp(d, DatasetsSettings(database_url=postgres_dsn, nats_url=nats_url, grpc_port=0))
    await app.start()
    assert closed == []
    await app.stop()
    # Every registered client (the datasets service's own SealVersion client included), last opened first.
    assert closed == ["second", "first"]
    assert app.resources is not None
    assert app.resources.closing == []
