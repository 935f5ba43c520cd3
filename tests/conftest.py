"""Test harness: real PostgreSQL and nats-server started once per session (temp dirs, free ports) and
always stopped; a whole running system (services + gateway as processes) for the tiers that need it."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient

from annostream_cli.embedded import EmbeddedPostgres, NatsServer
from annostream_cli.stack import LocalStack
from annostream_kernel.db import create_pool, migrate

from .parallel import AT_END, RunAloneLast


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (CI cancelling a run) takes the same path as Ctrl+C: pytest tears fixtures down.
    def _raise(_sig: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> RunAloneLast | None:
    """`-n 2 --dist loadfile` (make test): the files that need the machine to themselves run last, alone."""
    return RunAloneLast(config, log) if config.getvalue("dist") == "loadfile" else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker sends the lines its tiers print at the end to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["at_end"] = AT_END


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """The controller gathers what the finished worker's tiers print at the end."""
    for title, lines in getattr(node, "workeroutput", {}).get("at_end", {}).items():
        AT_END.setdefault(title, []).extend(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the tiers' end-of-run lines (e.g. the topology tier's recovery times) once, in the run's summary."""
    for title, lines in AT_END.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of a PostgreSQL 18 server private to this test session."""
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    atexit.register(pg.stop)  # also on paths that skip fixture teardown
    try:
        yield pg.start()
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a nats-server with JetStream private to this test session."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    atexit.register(server.stop)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def system(postgres_dsn: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """All six components as real processes on the session's PostgreSQL and NATS."""
    media = tmp_path_factory.mktemp("media")
    stack = LocalStack(
        tmp_path_factory.mktemp("system"),
        http_port=0,
        dsn=postgres_dsn,
        nats_url=nats_url,
        extra_env={
            "ANNOSTREAM_RELAY_POLL_SECONDS": "0.2",
            "ANNOSTREAM_LOG_LEVEL": "info",
            "ANNOSTREAM_MEDIA_ROOTS": str(media),
            # Webhook receivers of the tests listen on loopback; fast retries, dead-lettered after 8 attempts (≈ 3-4 s).
            "ANNOSTREAM_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
            "ANNOSTREAM_WEBHOOK_MAX_ATTEMPTS": "8",
            "ANNOSTREAM_WEBHOOK_BACKOFF_BASE_SECONDS": "0.1",
            "ANNOSTREAM_WEBHOOK_BACKOFF_MAX_SECONDS": "0.8",
            "ANNOSTREAM_WEBHOOK_TIMEOUT_SECONDS": "5",
        },
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for names that must not collide between tests."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def schema_pool(postgres_dsn: str) -> AsyncIterator[tuple[str, object]]:
    """A fresh schema with the kernel tables, and a pool on it; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    pool = await create_pool(postgres_dsn, schema, min_size=1, max_size=8)
    await migrate(pool, schema, [])
    try:
        yield schema, pool
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pool.execute(f"DROP SCHEMA {schema} CASCADE"), 10)
        try:
            await asyncio.wait_for(pool.close(), 5)
        except TimeoutError:  # a test left a connection checked out
            pool.terminate()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    """A NATS connection for the test."""
    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.close()


def service_addr(system: LocalStack, component: str) -> str:
    """host:port of a running component's gRPC server."""
    return system.env[f"ANNOSTREAM_{component.upper()}_ADDR"]


def logs_of(system: LocalStack, component: str) -> str:
    """A component's log so far (for failure messages)."""
    return (Path(system.log_dir) / f"{component}.log").read_text()[-4000:]
