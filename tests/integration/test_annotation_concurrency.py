"""Many writers, two annotation-service processes, and a kill -9: no acknowledged edit is ever lost."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import grpc
import nats
import pytest
from grpc import aio

from annostream_cli.embedded import _set_pdeathsig, free_port
from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.events.v1 import envelope_pb2
from annostream_protos.types.v1 import frames_pb2 as t

from ..conftest import service_addr
from .annotation_helpers import known_frame, move, rect
from .conftest import Stubs, make_version


class AnnotationProcess:
    """An extra annotation-service process on the session's PostgreSQL and NATS."""

    def __init__(self, system: LocalStack, log: Path) -> None:
        self.port = free_port()
        self.env = {**system.env, "ANNOSTREAM_GRPC_PORT": str(self.port), "ANNOSTREAM_RELAY_POLL_SECONDS": "0.2"}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "annostream_cli.main", "serve", "annotation"],
                env=self.env,
                stdout=out,
                stderr=out,
                preexec_fn=_set_pdeathsig,  # never outlives the test run, whatever fails
            )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)


@pytest.fixture
def second(system: LocalStack, tmp_path: Path) -> Iterator[AnnotationProcess]:
    p = AnnotationProcess(system, tmp_path / "annotation-2.log")
    p.start()
    try:
        yield p
    finally:
        p.stop(signal.SIGKILL)


async def _ready(target: str) -> None:
    for _ in range(200):
        try:
            async with channel(target) as ch:
                await IdentityStub(ann_grpc.AnnotationServiceStub(ch)).GetFrame(
                    ann.GetFrameRequest(frame=t.FrameRef(version_id="x", frame_id="y")), timeout=1
                )
        except aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"annotation service at {target} did not start")


async def _writer(
    stub: ann_grpc.AnnotationServiceStub,
    ref: t.FrameRef,
    name: str,
    saves: int,
    acked: dict[str, list[str]],
    stop: asyncio.Event | None = None,
) -> float:
    """Create a ROI then move it; returns the x it should end at. Records acknowledged event ids."""
    roi_id, x, version = f"roi-{name}", 10.0, 0
    first = True
    for i in range(saves):
        if stop is not None and stop.is_set():
            break
        cmd = rect(name, x=10, roi_id=roi_id) if first else move(roi_id, 1)
        req = ann.SaveFrameRequest(frame=ref, expected_version=version, idempotency_key=f"{name}-{i}", commands=[cmd])
        while True:
            try:
                resp = await stub.SaveFrame(req, timeout=10, metadata=(("x-annostream-user", name),))
                break
            except aio.AioRpcError as err:
                if err.code() != grpc.StatusCode.UNAVAILABLE or stop is None:
                    raise
                if stop.is_set():
                    return x  # the service is down for good: this save was never acknowledged
                await asyncio.sleep(0.05)  # the process was killed: retry the same key after restart
        acked.setdefault(name, []).extend(resp.event_ids)
        version = resp.frame.version
        x = 10.0 if first else x + 1
        first = False
    return x


async def _frames(stubs: Stubs, unique: str, n: int) -> list[t.FrameRef]:
    v = await make_version(stubs, unique, n, publish=False)
    return [(await known_frame(stubs, v.version_id, f"f{i:03d}")).frame for i in range(n)]


async def test_fifty_writers_through_two_processes_lose_no_acknowledged_edit(
    stubs: Stubs, unique: str, system: LocalStack, second: AnnotationProcess, postgres_dsn: str
) -> None:
    frames = await _frames(stubs, unique, 5)
    await _ready(f"127.0.0.1:{second.port}")
    channels = [
        channel(service_addr(system, "annotation")),
        channel(f"127.0.0.1:{second.port}"),
    ]
    acked: dict[str, list[str]] = {}
    try:
        stubs_ = [IdentityStub(ann_grpc.AnnotationServiceStub(ch)) for ch in channels]
        ends = await asyncio.gather(
            *(_writer(stubs_[w % 2], frames[w % 5], f"w{w}-{unique}", 6, acked) for w in range(50))
        )
    finally:
        for ch in channels:
            await ch.close()
    conn = await asyncpg.connect(postgres_dsn)
    try:
        stored = {
            str(r["event_id"])
            for r in await conn.fetch(
                "SELECT event_id FROM annotation.events WHERE stream_id = ANY($1::text[])",
                [f"frame:{f.version_id}:{f.frame_id}" for f in frames],
            )
        }
        docs = await conn.fetch(
            "SELECT doc FROM annotation.frame_projections WHERE version_id = $1", frames[0].version_id
        )
    finally:
        await conn.close()
    all_acked = [e for ids in acked.values() for e in ids]
    assert len(all_acked) == 50 * 6 == len(set(all_acked))
    assert set(all_acked) == stored  # every acknowledged edit is stored, nothing else was
    xs = {r["roi_id"]: r["points"][0][0] for d in docs for r in json.loads(d["doc"])["rois"]}
    assert xs == {f"roi-w{w}-{unique}": ends[w] for w in range(50)}


async def test_kill_9_during_load_loses_nothing_and_subscribers_see_each_event_once(
    stubs: Stubs, unique: str, system: LocalStack, tmp_path: Path, postgres_dsn: str, nats_url: str
) -> None:
    frames = await _frames(stubs, unique, 3)
    victim = AnnotationProcess(system, tmp_path / "victim.log")
    victim.start()
    target = f"127.0.0.1:{victim.port}"
    await _ready(target)
    acked: dict[str, list[str]] = {}
    stop = asyncio.Event()
    async with channel(target) as ch:
        stub = IdentityStub(ann_grpc.AnnotationServiceStub(ch))
        writers = [
            asyncio.create_task(_writer(stub, frames[w % 3], f"k{w}-{unique}", 40, acked, stop)) for w in range(12)
        ]
        while sum(map(len, acked.values())) < 60:  # noqa: ASYNC110 - polls a plain dict
            await asyncio.sleep(0.01)
        victim.stop(signal.SIGKILL)  # no drain, no relay flush
        await asyncio.sleep(0.3)
        victim.start()  # same port: writers retry their unacknowledged save with the same key
        await _ready(target)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*writers)
    victim.stop()

    all_acked = {e for ids in acked.values() for e in ids}
    conn = await asyncpg.connect(postgres_dsn)
    try:
        stored = {
            str(r["event_id"])
            for r in await conn.fetch(
                "SELECT event_id FROM annotation.events WHERE stream_id = ANY($1::text[])",
                [f"{kind}frame:{f.version_id}:{f.frame_id}" for f in frames for kind in ("", "saves:")],
            )
        }
    finally:
        await conn.close()
    assert all_acked <= stored
    # (a save that committed but whose answer was lost to the kill is stored without being acknowledged)

    # The relays caught up: a subscriber gets every stored event exactly once.
    nc = await nats.connect(nats_url)
    seen: list[str] = []
    try:
        sub = await nc.jetstream().subscribe(
            f"annostream.annotation.v1.*.{frames[0].version_id}.>", ordered_consumer=True
        )
        deadline = asyncio.get_running_loop().time() + 20
        while len(set(seen)) < len(stored) and asyncio.get_running_loop().time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                continue
            seen.append(envelope_pb2.EventEnvelope.FromString(msg.data).event_id)
        while True:  # drain anything left, to count duplicates
            try:
                msg = await sub.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                break
            seen.append(envelope_pb2.EventEnvelope.FromString(msg.data).event_id)
    finally:
        await nc.close()
    assert set(seen) == stored
    assert len(seen) == len(set(seen))  # each event once
