"""Datasets service: streaming frame import vs raw COPY (until the RPC answers, and until the iterator and the
annotation service have indexed every frame, with the CPU seconds each process and this run's PostgreSQL and
nats-server spend per 100k frames), and child-version creation at 1M parent frames vs a bare single-row INSERT
(and vs copying the frames, what copy-on-write avoids)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from .harness import BenchContext, CpuMeter, Result, Timer, summary_ms

IMPORT_FRAMES = 100_000
BATCH = 5_000
PARENT_FRAMES = 1_000_000
CHILDREN = 20
HTTP_FRAMES = 20_000


def _frames(n: int, prefix: str) -> list[t.Frame]:
    return [
        t.Frame(
            frame_id=f"{prefix}{i:07d}",
            context_id=f"seq{i // 100}",
            timestamp=(i % 100) * 40,
            sources=[t.Source(id="front", uri=f"s3://bucket/{prefix}/{i}.jpg", width=1920, height=1080)],
        )
        for i in range(n)
    ]


def _row(version_id: str, f: t.Frame) -> tuple[str, str, str, int, str, str]:
    s = f.sources[0]
    src = json.dumps([{"id": s.id, "uri": s.uri, "width": s.width, "height": s.height}])
    return (version_id, f.frame_id, f.context_id, f.timestamp, src, "{}")


async def _draft(stub: ds_grpc.DatasetsServiceStub) -> ds.Version:
    d = (await stub.CreateDataset(ds.CreateDatasetRequest(name=f"bench-{uuid.uuid4().hex[:8]}"))).dataset
    return (await stub.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v"))).version


async def _raw_copy(dsn: str, rows: list[tuple[str, str, str, int, str, str]]) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            'CREATE TEMP TABLE raw_frames (version_id text, frame_id text COLLATE "C", context_id text, ts bigint,'
            " sources jsonb, metadata jsonb, PRIMARY KEY (version_id, frame_id))"
        )
        with Timer() as tm:
            await conn.copy_records_to_table("raw_frames", records=rows)
        return len(rows) / tm.seconds
    finally:
        await conn.close()


async def _caught_up(dsn: str, version_id: str, last_frame_id: str, timeout: float = 300.0) -> None:
    """Wait until the iterator and the annotation service both hold the import's last frame (each consumer
    applies the datasets stream in order, so then they hold every frame of it)."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM iterator.frames WHERE version_id = $1 AND frame_id = $2)"
                " AND EXISTS (SELECT 1 FROM annotation.base_frames WHERE version_id = $1 AND frame_id = $2)",
                version_id,
                last_frame_id,
            )
            if seen:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the consumers did not index the imported frames")
    finally:
        await conn.close()


async def _bench_import(ctx: BenchContext, stub: ds_grpc.DatasetsServiceStub, stack: LocalStack) -> None:
    v = await _draft(stub)
    frames = _frames(IMPORT_FRAMES, "imp")

    def requests() -> Iterator[ds.ImportFramesStreamRequest]:
        for i in range(0, IMPORT_FRAMES, BATCH):
            yield ds.ImportFramesStreamRequest(version_id=v.version_id, frames=frames[i : i + BATCH])

    load0 = os.getloadavg()[0]
    answers = []
    with CpuMeter(stack, ctx.workdir) as meter:
        with Timer() as tm:
            async for answer in stub.ImportFramesStream(requests()):
                answers.append(answer)
        with Timer() as lag:
            await _caught_up(ctx.dsn, v.version_id, frames[-1].frame_id)
    assert answers[-1].total_imported == IMPORT_FRAMES
    load = max(load0, os.getloadavg()[0])
    used = meter.used
    per_100k = 100_000 / IMPORT_FRAMES
    cpu = {k.removesuffix("_cpu_s"): s * per_100k for k, s in used.items() if k not in ("gateway_cpu_s", "tasks_cpu_s")}
    raw = await _raw_copy(ctx.dsn, [_row(v.version_id, f) for f in frames])
    ctx.add(
        Result(
            "datasets",
            f"streaming gRPC import, {IMPORT_FRAMES:,} frames in batches of {BATCH:,} (import RPC answered)",
            IMPORT_FRAMES / tm.seconds,
            "frames/s",
            raw,
            "asyncpg copy_records_to_table of the frames as rows (sources, metadata JSON; primary key)",
            target=">= 50k frames/s",
            limited_by="the 2 cores: datasets, the iterator and annotation consumers of FramesImported, and"
            " PostgreSQL all run at once (CPU-s per 100k frames in extra)",
            extra={
                "seconds": tm.seconds,
                "load_avg_1m": load,
                **{f"{k}_cpu_s_per_100k": s for k, s in cpu.items()},
                "datasets_frames_per_cpu_s": 100_000 / max(cpu["datasets"], 1e-9),
            },
        )
    )
    ctx.add(
        Result(
            "datasets",
            f"the same import until the iterator and annotation service have indexed all {IMPORT_FRAMES:,} frames",
            IMPORT_FRAMES / (tm.seconds + lag.seconds),
            "frames/s",
            raw,
            "asyncpg copy_records_to_table of the frames as rows (sources, metadata JSON; primary key)",
            limited_by="the 2 cores, as above; the tail is the consumers finishing the last events after the RPC",
            extra={"seconds": tm.seconds + lag.seconds, "tail_seconds": lag.seconds},
        )
    )


async def _bench_http_import(ctx: BenchContext, url: str, stub: ds_grpc.DatasetsServiceStub) -> None:
    v = await _draft(stub)
    lines = [
        {"id": f"h{i:07d}", "sources": [{"uri": f"s3://bucket/h/{i}.jpg", "width": 1920, "height": 1080}]}
        for i in range(HTTP_FRAMES)
    ]
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        with Timer() as tm:
            for i in range(0, HTTP_FRAMES, 2000):
                r = await client.post(f"/api/v1/versions/{v.version_id}/frames", json={"frames": lines[i : i + 2000]})
                assert r.status_code == 200, r.text
    rate = HTTP_FRAMES / tm.seconds
    ctx.add(
        Result(
            "datasets",
            "HTTP import through the gateway (what `annostream import` does), batches of 2,000",
            rate,
            "frames/s",
            None,
            limited_by="gateway process CPU (pydantic validation + proto building per frame)",
        )
    )


async def _bench_child(ctx: BenchContext, stub: ds_grpc.DatasetsServiceStub) -> None:
    v = await _draft(stub)
    conn = await asyncpg.connect(ctx.dsn)
    try:
        src = t.Source(id="front", uri="s3://bucket/x.jpg", width=1920, height=1080)

        def rows() -> Iterator[tuple[str, str, str, int, bytes]]:
            for i in range(PARENT_FRAMES):
                f = t.Frame(frame_id=f"p{i:07d}", context_id=f"seq{i // 100}", timestamp=(i % 100) * 40, sources=[src])
                yield (v.version_id, f.frame_id, f.context_id, f.timestamp, f.SerializeToString())

        await conn.copy_records_to_table(
            "frames",
            schema_name="datasets",
            columns=["version_id", "frame_id", "context_id", "ts", "frame"],
            records=rows(),
        )
        await conn.execute(
            "UPDATE datasets.versions SET own_frame_count = $2 WHERE version_id = $1", v.version_id, PARENT_FRAMES
        )
        await stub.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))
        latencies = []
        for i in range(CHILDREN):
            req = ds.CreateVersionRequest(dataset_id=v.dataset_id, name=f"child{i}", parent_version_id=v.version_id)
            start = time.perf_counter()
            child = (await stub.CreateVersion(req)).version
            latencies.append(time.perf_counter() - start)
            assert child.frame_count == PARENT_FRAMES
        raw = []
        await conn.execute("CREATE TEMP TABLE raw_versions (LIKE datasets.versions INCLUDING DEFAULTS)")
        for i in range(CHILDREN):
            start = time.perf_counter()
            await conn.execute(
                "INSERT INTO raw_versions (version_id, dataset_id, name, parent_version_id, status)"
                " VALUES ($1, $2, $3, $4, 'draft')",
                f"raw{i}",
                v.dataset_id,
                f"raw{i}",
                v.version_id,
            )
            raw.append(time.perf_counter() - start)
        await conn.execute("CREATE TEMP TABLE copied (LIKE datasets.frames)")
        with Timer() as copy_tm:
            await conn.execute(
                "INSERT INTO copied SELECT 'c', frame_id, context_id, ts, sources, metadata, frame"
                " FROM datasets.frames WHERE version_id = $1",
                v.version_id,
            )
    finally:
        await conn.close()
    s, b = summary_ms(latencies), summary_ms(raw)
    ctx.add(
        Result(
            "datasets",
            f"child version of a Published 1M-frame parent (CreateVersion p50, {CHILDREN} children)",
            s["p50_ms"],
            "ms",
            b["p50_ms"],
            "bare asyncpg INSERT of one version row",
            target="< 100 ms",
            limited_by="gRPC round trip + one transaction (no frame is touched)",
            extra={"p99_ms": s["p99_ms"], "copying_all_frames_ms": copy_tm.seconds * 1000},
        )
    )


async def run(ctx: BenchContext) -> None:
    """Import throughput, HTTP import, and child-version creation."""
    with ctx.system(ANNOSTREAM_RELAY_POLL_SECONDS="0.2") as stack:
        target = stack.env["ANNOSTREAM_DATASETS_ADDR"]
        options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
        async with channel(target, options=options) as ch:
            stub = IdentityStub(ds_grpc.DatasetsServiceStub(ch))
            await _bench_import(ctx, stub, stack)
            await _bench_http_import(ctx, stack.url, stub)
            await _bench_child(ctx, stub)
