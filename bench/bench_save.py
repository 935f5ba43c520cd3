"""The cost of a save, end to end (issue 18): 10 rectangles, 25 rectangles + 25 8-point polygons, and a move of one
object of 50, through HTTP (gateway) and gRPC (annotation service), sequential and with 10 clients. CPU per save is
counted for every process of the system (components, this run's PostgreSQL and nats-server), including the work
done after the answer (consumers, relay): each phase's window closes only once the whole system is idle again,
and the idle background of that window is subtracted. Raw baselines in the same run: bare asyncpg writing the same
event rows and the projection row in one round trip; for HTTP, the same client posting the same bodies to a trivial
uvicorn app (http_raw.py: the client's own cost and HTTP's, `raw_http_*`). `client_cpu_ms`: the bench process's CPU
per save (not in the system's figures)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from asyncpg import Pool

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_kernel.db import create_pool
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from . import http_raw, save_counts, save_raw
from .harness import BenchContext, Result, cpu_seconds, own_servers_cpu, postgres_background_cpu, summary_ms
from .save_clients import HTTP_CLIENT, Saver

SAMPLES = int(os.environ.get("BENCH_SAVE_SAMPLES", "100"))
WARMUP, CLIENTS, PER_CLIENT = 5, 10, int(os.environ.get("BENCH_SAVE_PER_CLIENT", "20"))
TRANSPORTS = os.environ.get("BENCH_SAVE_TRANSPORTS", "http,grpc").split(",")  # e.g. "grpc" for a shorter run
TOP = int(os.environ.get("BENCH_SAVE_TOP", "0"))  # print the N statements run most often per save, per phase
# Saves of every shape through every transport before anything is measured: the first phase measured was 20-30 %
# dearer than the same phase measured later (first calls of each code path, PostgreSQL's first autoanalyze).
PREWARM = int(os.environ.get("BENCH_SAVE_PREWARM", "20"))


def system_cpu(stack: LocalStack, workdir: Path) -> dict[str, float]:
    """CPU seconds so far of each component, this run's PostgreSQL and nats-server."""
    now = {c: cpu_seconds(p.pid) for c, p in stack.procs.items()}
    now.update(own_servers_cpu(workdir))
    return now


async def settle(stack: LocalStack, workdir: Path, quiet_s: float = 0.004, step: float = 0.25) -> None:
    """Wait until the whole system is idle (under `quiet_s` CPU-s per `step` twice in a row): consumers and the
    relay have done the deferred work of what was saved."""
    calm, deadline, before = 0, time.monotonic() + 60, sum(system_cpu(stack, workdir).values())
    while calm < 2 and time.monotonic() < deadline:
        await asyncio.sleep(step)
        now = sum(system_cpu(stack, workdir).values())
        calm = calm + 1 if now - before < quiet_s else 0
        before = now


@dataclass
class Meter:
    """What a phase is measured with: the system's processes, their idle CPU and the load-independent counts."""

    stack: LocalStack
    workdir: Path
    counter: save_counts.Counter
    idle: dict[str, float] = field(default_factory=dict)
    idle_counts: dict[str, float] = field(default_factory=dict)

    async def background(self, seconds: float = 2.0) -> None:
        """CPU seconds and counts per second of each process while nothing is asked of the system."""
        await settle(self.stack, self.workdir)
        c0, t0 = await self.counter.snapshot(), time.perf_counter()
        a = system_cpu(self.stack, self.workdir)
        await asyncio.sleep(seconds)
        b = system_cpu(self.stack, self.workdir)
        self.idle = {k: (b[k] - a[k]) / seconds for k in a}
        c1 = await self.counter.snapshot()
        self.idle_counts = save_counts.rates(c0, c1, time.perf_counter() - t0)

    async def measured(
        self, saves: int, work: Callable[[], Awaitable[list[float]]]
    ) -> tuple[list[float], float, dict[str, float]]:
        """Run `work` (returns latencies), wait for idle; latencies, wall time of the work, and CPU-ms per save per
        process (idle background subtracted; the client is not counted) with the counts per save."""
        stack, workdir = self.stack, self.workdir
        await settle(stack, workdir)
        c0, t0 = await self.counter.snapshot(), time.perf_counter()
        start_cpu, start, client = system_cpu(stack, workdir), time.perf_counter(), time.process_time()
        bg = postgres_background_cpu(workdir)
        lat = await work()
        wall, client = time.perf_counter() - start, time.process_time() - client
        await settle(stack, workdir)
        end_cpu, window = system_cpu(stack, workdir), time.perf_counter() - start
        bg = postgres_background_cpu(workdir) - bg  # included in "postgres" (idle not subtracted)
        per = {k: max(0.0, end_cpu[k] - start_cpu[k] - self.idle.get(k, 0) * window) * 1000 / saves for k in end_cpu}
        q0 = self.counter.queries
        c1 = await self.counter.snapshot()
        counts = save_counts.per_save(c0, c1, self.idle_counts, time.perf_counter() - t0, saves)
        if TOP:
            print(f"  statements per save:\n{save_counts.top_statements(q0, self.counter.queries, saves, TOP)}")
        return lat, wall, {**per, **counts, "client_cpu_ms": client * 1000 / saves, "pg_bg_cpu_ms": bg * 1000 / saves}


async def _version(stack: LocalStack, frames: int) -> str:
    async with channel(stack.env["ANNOSTREAM_DATASETS_ADDR"]) as ch:
        stub = IdentityStub(ds_grpc.DatasetsServiceStub(ch))
        d = (await stub.CreateDataset(ds.CreateDatasetRequest(name=f"bench-save-{uuid.uuid4().hex[:8]}"))).dataset
        v = (await stub.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v"))).version
        batch = [
            t.Frame(frame_id=f"f{i:05d}", sources=[t.Source(id="c", uri=f"s3://b/{i}.jpg", width=1920, height=1080)])
            for i in range(frames)
        ]
        for i in range(0, frames, 1000):
            await stub.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=batch[i : i + 1000]))
    return str(v.version_id)


async def _known(saver: Saver, frame_id: str) -> None:
    for _ in range(600):
        r = await saver.http.get(f"/api/v1/versions/{saver.version_id}/frames/{frame_id}")
        if r.status_code == 200:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the annotation service never learned the frames")


def _cpu_extra(per: dict[str, float]) -> dict[str, float]:
    out = {f"{k}_cpu_ms": v for k, v in per.items() if v >= 0.05}
    out["system_cpu_ms"] = sum(per.values())
    return out


async def sequential(saver: Saver, frames: list[str], kind: str) -> list[float]:
    """One save per fresh frame, one after another."""
    out = []
    for f in frames:
        start = time.perf_counter()
        await saver.save(f, 0, kind)
        out.append(time.perf_counter() - start)
    return out


async def concurrent(saver: Saver, groups: list[list[str]]) -> list[float]:
    """One client per group of fresh frames, all at once."""
    out: list[float] = []

    async def client(frames: list[str]) -> None:
        for f in frames:
            start = time.perf_counter()
            await saver.save(f, 0, "mixed50")
            out.append(time.perf_counter() - start)

    await asyncio.gather(*(client(g) for g in groups))
    return out


async def moves(saver: Saver, frame_id: str, version: int, n: int) -> list[float]:
    """Move one object of the frame's 50, n times in a row (the first WARMUP not reported)."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        version = await saver.save(frame_id, version, "move")
        out.append(time.perf_counter() - start)
    return out[WARMUP:]


async def prewarm(saver: Saver, fresh: Iterator[str]) -> None:
    """Every save shape through this transport, unmeasured, so no phase pays for code paths run the first time."""
    for _ in range(PREWARM):
        await saver.save(next(fresh), 0, "rect10")
    frame = next(fresh)
    version = await saver.save(frame, 0, "mixed50")
    await moves(saver, frame, version, PREWARM)
    await concurrent(saver, [[next(fresh)] for _ in range(min(PREWARM, CLIENTS))])


async def raw_http(saver: Saver, kind: str, n: int, clients: int = 1) -> dict[str, float]:
    """The raw HTTP baseline of an HTTP phase: the same client posting the same bodies to the raw server
    (http_raw.py), answered the gateway's last answer of the shape; p50 (saves/s with several clients), and CPU-ms
    per save of the client and of the raw server."""
    if saver.transport != "http" or RAW_HTTP is None:
        return {}
    await saver.canned(kind)
    for _ in range(WARMUP):
        await saver.save("warm", 0, kind, raw=True)
    lat: list[float] = []

    async def client(c: int) -> None:
        for i in range(n):
            start = time.perf_counter()
            await saver.save(f"raw{c}-{i}", i, kind, raw=True)
            lat.append(time.perf_counter() - start)

    server, own, start = cpu_seconds(RAW_HTTP.pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    wall, own, server = time.perf_counter() - start, time.process_time() - own, cpu_seconds(RAW_HTTP.pid) - server
    out = {"raw_http_p50_ms": summary_ms(lat)["p50_ms"]} if clients == 1 else {"raw_http_saves_per_s": len(lat) / wall}
    return {**out, "raw_http_client_cpu_ms": own * 1000 / len(lat), "raw_http_server_cpu_ms": server * 1000 / len(lat)}


RAW_HTTP: http_raw.RawServer | None = None
RAW_HTTP_NAME = f"uvicorn: the same client ({HTTP_CLIENT}) posting the same body to a trivial route"


async def run(ctx: BenchContext) -> None:
    """Every save shape through HTTP and gRPC, beside the raw one-round-trip write (and for HTTP the raw server)."""
    global RAW_HTTP
    per_transport = 2 * (WARMUP + SAMPLES) + CLIENTS * PER_CLIENT + 2 + 2 * PREWARM
    total = len(TRANSPORTS) * per_transport
    with ctx.system(ANNOSTREAM_DB_POOL_MAX="20") as stack:
        RAW_HTTP = http_raw.RawServer() if "http" in TRANSPORTS else None
        try:
            version_id = await _version(stack, total)
            fresh = iter(f"f{i:05d}" for i in range(total))
            raw = await create_pool(ctx.dsn, "bench_raw", min_size=1, max_size=CLIENTS + 2)
            counter = save_counts.Counter(raw, ctx.nats_monitor, stack.metrics_urls())
            await counter.start()
            savers = [Saver(transport, stack, version_id) for transport in TRANSPORTS]
            for saver in savers:
                saver.raw_url = RAW_HTTP.url if RAW_HTTP else ""
            await _known(savers[0], f"f{total - 1:05d}")
            for saver in savers:
                await prewarm(saver, fresh)
            for saver in savers:
                await _transport(ctx, Meter(stack, ctx.workdir, counter), saver, fresh, raw)
                await saver.close()
            await save_raw.drop(raw)
            await raw.close()
        finally:
            if RAW_HTTP is not None:
                RAW_HTTP.stop()


def _with_raw_http(p50_ms: float, raw: dict[str, float]) -> dict[str, float]:
    """The raw HTTP figures, with the phase's p50 over the raw one."""
    if "raw_http_p50_ms" not in raw:
        return raw
    return {**raw, "raw_http_ratio": p50_ms / raw["raw_http_p50_ms"]}


async def _transport(ctx: BenchContext, meter: Meter, saver: Saver, fresh: Iterator[str], raw: Pool) -> None:
    await meter.background()
    tr = saver.transport
    for kind, label in (("rect10", "10 rectangles"), ("mixed50", "25 rectangles + 25 8-point polygons")):
        for _ in range(WARMUP):
            await saver.save(next(fresh), 0, kind)
        frames = [next(fresh) for _ in range(SAMPLES)]
        lat, wall, per = await meter.measured(SAMPLES, partial(sequential, saver, frames, kind))
        p50 = summary_ms(lat)["p50_ms"]
        http = _with_raw_http(p50, await raw_http(saver, kind, SAMPLES))
        base, base_name, raw_cpu = http.get("raw_http_p50_ms"), RAW_HTTP_NAME, {}
        if kind == "mixed50":
            sample = await save_raw.setup(raw, saver.version_id, frames[0])
            before = own_servers_cpu(ctx.workdir)["postgres"]
            base = summary_ms((await save_raw.saves(raw, sample, 1, SAMPLES))[0])["p50_ms"]
            base_name = "asyncpg: the same event rows + projection row in one round trip"
            raw_cpu = {"raw_postgres_cpu_ms": (own_servers_cpu(ctx.workdir)["postgres"] - before) * 1000 / SAMPLES}
        ctx.add(
            Result(
                "save",
                f"{tr}: {label} on a fresh frame, sequential (p50)",
                p50,
                "ms",
                base,
                base_name if base else "",
                "p50 <= 15 ms, <= 20 CPU-ms" if kind == "mixed50" else "p50 <= 8 ms",
                "",
                {**summary_ms(lat), "saves_per_s": SAMPLES / wall, **per, **raw_cpu, **http},
            )
        )
    groups = [[next(fresh) for _ in range(PER_CLIENT)] for _ in range(CLIENTS)]
    lat, wall, per = await meter.measured(CLIENTS * PER_CLIENT, partial(concurrent, saver, groups))
    raw_lat, raw_wall = await save_raw.saves(raw, sample, CLIENTS, PER_CLIENT)
    http = await raw_http(saver, "mixed50", PER_CLIENT, CLIENTS)
    ctx.add(
        Result(
            "save",
            f"{tr}: 25 rectangles + 25 polygons, {CLIENTS} clients (saves/s)",
            CLIENTS * PER_CLIENT / wall,
            "saves/s",
            CLIENTS * PER_CLIENT / raw_wall,
            "asyncpg: the same write from 10 connections",
            ">= 100 saves/s",
            "",
            {**summary_ms(lat), "raw_p50_ms": summary_ms(raw_lat)["p50_ms"], **per, **http},
        )
    )
    moving = next(fresh)
    version = await saver.save(moving, 0, "mixed50")
    n = WARMUP + SAMPLES
    lat, wall, per = await meter.measured(n, partial(moves, saver, moving, version, n))
    p50 = summary_ms(lat)["p50_ms"]
    http = _with_raw_http(p50, await raw_http(saver, "move", SAMPLES))
    ctx.add(
        Result(
            "save",
            f"{tr}: move one object of 50, sequential (p50)",
            p50,
            "ms",
            http.get("raw_http_p50_ms"),
            RAW_HTTP_NAME if http else "",
            "p50 <= 15 ms",
            "",
            {**summary_ms(lat), **per, **http},
        )
    )
