"""The consistency tier: the cross-service promises checked under load. Two CPU-burning processes run on this
2-core machine, the consumers of a private system lag on purpose (ANNOSTREAM_CONSUMER_DELAY_SECONDS: each fetched
batch waits before it is applied) and a second annotation-service process serves edits beside the first."""

from __future__ import annotations

import asyncio
import atexit
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from grpc import aio

from annostream_cli.embedded import _set_pdeathsig, free_port
from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from ..conftest import service_addr
from ..integration.conftest import Stubs, stubs_on
from ..processes import component

# How far each consumer lags: events reach the annotation service 3 s late (longer than the 2 s peer timeout,
# so nothing may wait for them), the iterator's task events 1.5 s late and its annotation events 4 s late
# (later than the task that follows an edit: its plan must wait for them); its dataset events 2 s late (a filtered
# export right after an import must wait for them).
DELAYS = "annotation-datasets=3,iterator-datasets=2,iterator-tasks=1.5,iterator-annotation=4"
BURNERS = 2


@pytest.fixture(scope="package")
def burners() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two processes spinning on the CPU for the whole tier (the machine has two cores): started once the system and
    the replica serve (their start under the burners took ≈ 19 s), before the first test."""
    procs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=_set_pdeathsig) for _ in range(BURNERS)
    ]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
            p.wait()


@pytest.fixture(scope="package")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A whole system of its own (PostgreSQL, NATS, every component) with lagging consumers (its tests run under the
    burners)."""
    stack = LocalStack(
        tmp_path_factory.mktemp("loaded"),
        http_port=0,
        extra_env={
            "ANNOSTREAM_CONSUMER_DELAY_SECONDS": DELAYS,
            "ANNOSTREAM_PEER_TIMEOUT_SECONDS": "2",
            "ANNOSTREAM_RELAY_POLL_SECONDS": "0.2",
        },
    )
    atexit.register(stack.stop)
    stack.start(ready_timeout=90)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def replica(loaded: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Address of a second annotation-service process on the loaded system (same database and streams)."""
    port = free_port()
    log = tmp_path_factory.mktemp("replica") / "annotation-2.log"
    with component("annotation", {**loaded.env, "ANNOSTREAM_GRPC_PORT": str(port)}, log) as proc:
        asyncio.run(_serving(f"127.0.0.1:{port}", proc, log.read_text))
        yield f"127.0.0.1:{port}"


async def _serving(target: str, proc: subprocess.Popen[bytes], log: object) -> None:
    for _ in range(600):
        assert proc.poll() is None, f"the second annotation process exited: {log() if callable(log) else ''}"
        try:
            async with channel(target) as ch:
                await IdentityStub(ann_grpc.AnnotationServiceStub(ch)).GetFrame(
                    ann.GetFrameRequest(frame=t.FrameRef(version_id="none", frame_id="none")), timeout=2
                )
        except aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the second annotation process at {target} did not start")


@dataclass
class Loaded:
    """Stubs of the loaded system, the second annotation replica's stub and the system's database."""

    stubs: Stubs
    replica: Any  # IdentityStub over AnnotationServiceStub
    dsn: str


@pytest.fixture
async def sys_(loaded: LocalStack, replica: str, burners: list[subprocess.Popen[bytes]]) -> AsyncIterator[Loaded]:
    """The loaded system's stubs for one test, run under the burners."""
    addrs = {c: service_addr(loaded, c) for c in ("datasets", "tasks", "iterator", "annotation")}
    async with stubs_on(addrs) as s, channel(replica) as ch:
        yield Loaded(s, IdentityStub(ann_grpc.AnnotationServiceStub(ch)), loaded.dsn)
