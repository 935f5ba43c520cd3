"""Annotation service: saves through gRPC (closed and open loop) and projection replay, each beside the
bare asyncpg doing the same I/O in the same run."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import asyncpg
from grpc import aio

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_kernel.db import create_pool
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_raw import raw_closed, raw_same_io, same_io_setup
from .harness import BenchContext, CpuMeter, Result, summary_ms

BATCH = 10
CLOSED_SECONDS = 5.0
OPEN_SECONDS = 12.0
ANNOTATORS, PERIOD = 200, 2.0


def _create(i: int) -> ann.Command:
    roi = t.Roi(
        roi_id=f"r{i}",
        type=t.ROI_TYPE_RECTANGLE,
        labels=["car"],
        points=[t.Point(x=10 + i, y=10), t.Point(x=60 + i, y=60)],
    )
    return ann.Command(create_roi=ann.CreateRoi(roi=roi))


def _moves(k: int) -> list[ann.Command]:
    d = 1.0 if k % 2 else -1.0
    return [ann.Command(move_roi=ann.MoveRoi(roi_id=f"r{i}", dx=d, dy=d)) for i in range(BATCH)]


async def _version_with_frames(target: str, n: int) -> str:
    async with channel(target) as ch:
        stub = IdentityStub(ds_grpc.DatasetsServiceStub(ch))
        d = (await stub.CreateDataset(ds.CreateDatasetRequest(name=f"bench-{uuid.uuid4().hex[:8]}"))).dataset
        v = (await stub.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v"))).version
        frames = [
            t.Frame(frame_id=f"f{i}", sources=[t.Source(id="c", uri=f"x{i}", width=4000, height=4000)])
            for i in range(n)
        ]
        for i in range(0, n, 1000):
            await stub.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames[i : i + 1000]))
        return str(v.version_id)


class Writer:
    """One annotator on its own frame: first save creates 10 ROIs, later saves move them (10 events each)."""

    def __init__(self, stub: ann_grpc.AnnotationServiceStub, version_id: str, frame_id: str) -> None:
        self.stub, self.ref, self.version, self.k = stub, t.FrameRef(version_id=version_id, frame_id=frame_id), 0, 0
        # The two move batches (+1 / -1) built once, like the raw baseline's payload: the client's CPU goes
        # to sending saves, not to building the same 10 commands again.
        self.moves = [
            ann.SaveFramesRequest(save=ann.SaveFrameRequest(frame=self.ref, commands=_moves(k))) for k in (0, 1)
        ]

    def next_save(self) -> ann.SaveFramesRequest:
        """The next move batch, made against the version last seen."""
        self.k += 1
        request = self.moves[self.k % 2]
        request.save.expected_version = self.version
        return request

    async def ready(self) -> None:
        while True:
            try:
                await self.stub.GetFrame(ann.GetFrameRequest(frame=self.ref))
                break
            except aio.AioRpcError:
                await asyncio.sleep(0.05)
        resp = await self.stub.SaveFrame(
            ann.SaveFrameRequest(frame=self.ref, expected_version=0, commands=[_create(i) for i in range(BATCH)])
        )
        self.version = resp.frame.version

    async def save(self) -> float:
        start = time.perf_counter()
        resp = await self.stub.SaveFrame(self.next_save().save)
        self.version = resp.frame.version
        return time.perf_counter() - start

    async def close(self) -> None:
        """Nothing to close for unary calls."""


class StreamWriter(Writer):
    """The same annotator saving over one SaveFrames stream (one request/response pair per save)."""

    async def save(self) -> float:
        if not hasattr(self, "call"):
            self.call = self.stub.SaveFrames()
        start = time.perf_counter()
        await self.call.write(self.next_save())
        resp = await self.call.read()
        assert resp.HasField("saved"), resp.error.message
        self.version = resp.saved.frame.version
        return time.perf_counter() - start

    async def close(self) -> None:
        if hasattr(self, "call"):
            await self.call.done_writing()


async def _closed(writers: list[Writer], seconds: float) -> tuple[int, list[float]]:
    lat: list[float] = []
    end = time.perf_counter() + seconds

    async def loop(w: Writer) -> None:
        while time.perf_counter() < end:
            lat.append(await w.save())

    await asyncio.gather(*(loop(w) for w in writers))
    return len(lat), lat


async def _open_loop(writers: list[Writer], seconds: float) -> list[float]:
    lat: list[float] = []

    async def annotator(w: Writer) -> None:
        await asyncio.sleep(random.uniform(0, PERIOD))
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            started = time.perf_counter()
            lat.append(await w.save())
            await asyncio.sleep(max(0.0, PERIOD - (time.perf_counter() - started)))

    await asyncio.gather(*(annotator(w) for w in writers))
    return lat


async def run(ctx: BenchContext) -> None:
    """All annotation figures."""
    raw = await create_pool(ctx.dsn, "bench_raw", min_size=1, max_size=110)
    with ctx.system(ANNOSTREAM_DB_POOL_MAX="40") as system:
        await raw.execute("CREATE SCHEMA IF NOT EXISTS bench_raw")
        await raw.execute("CREATE TABLE IF NOT EXISTS bench_raw.events (LIKE annotation.events INCLUDING ALL)")
        target = system.env["ANNOSTREAM_ANNOTATION_ADDR"]
        version_id = await _version_with_frames(system.env["ANNOSTREAM_DATASETS_ADDR"], 700)
        async with channel(target) as ch:
            stub = IdentityStub(ann_grpc.AnnotationServiceStub(ch))
            frame_ids = iter(range(700))
            sample: tuple[str, list[asyncpg.Record]] | None = None
            for kind, n in ((Writer, 1), (Writer, 10), (Writer, 100), (StreamWriter, 10), (StreamWriter, 100)):
                writers = [kind(stub, version_id, f"f{next(frame_ids)}") for _ in range(n)]
                await asyncio.gather(*(w.ready() for w in writers))
                with CpuMeter(system, ctx.workdir) as cpu:
                    saves, lat = await _closed(writers, CLOSED_SECONDS)
                await asyncio.gather(*(w.close() for w in writers))
                raw_saves = await raw_closed(raw, n, CLOSED_SECONDS, _moves(1)[0].SerializeToString() * 2)
                sample = sample or await same_io_setup(raw, version_id, writers[0].ref.frame_id)
                same_io = [f"f{next(frame_ids)}" for _ in range(n)]
                same_io_saves = await raw_same_io(raw, version_id, same_io, sample, CLOSED_SECONDS)
                how = "SaveFrames streams" if kind is StreamWriter else "SaveFrame calls"
                ctx.add(
                    Result(
                        "annotation",
                        f"closed loop, {n} writer(s), 10 commands/save, {how}",
                        saves * BATCH / CLOSED_SECONDS,
                        "events/s",
                        raw_saves * BATCH / CLOSED_SECONDS,
                        "bare asyncpg 10-row transactions",
                        ">= 0.5x raw at saturation",
                        "the two cores: client, annotation service, PostgreSQL and nats-server",
                        {
                            "saves_per_s": saves / CLOSED_SECONDS,
                            **summary_ms(lat),
                            **cpu.used,
                            "raw_same_io_events_per_s": same_io_saves * BATCH / CLOSED_SECONDS,
                            "ratio_to_same_io": saves / same_io_saves,
                        },
                    )
                )
            writers = [Writer(stub, version_id, f"f{next(frame_ids)}") for _ in range(ANNOTATORS)]
            await asyncio.gather(*(w.ready() for w in writers))
            lat = await _open_loop(writers, OPEN_SECONDS)
            s = summary_ms(lat)
            ctx.add(
                Result(
                    "annotation",
                    f"open loop, {ANNOTATORS} annotators saving every {PERIOD:g}s (p99)",
                    s["p99_ms"],
                    "ms",
                    None,
                    "",
                    "p99 < 50 ms",
                    "annotation service CPU",
                    {"saves_per_s": len(lat) / OPEN_SECONDS, **s},
                )
            )
        await _replay(ctx, system.env["ANNOSTREAM_DATABASE_URL"])
    await raw.execute("DROP SCHEMA bench_raw CASCADE")
    await raw.close()


async def _replay(ctx: BenchContext, dsn: str) -> None:
    from annostream_annotation.service_layer.rebuild import rebuild_projections

    pool = await create_pool(dsn, "annotation", min_size=1, max_size=2)
    async with pool.acquire() as conn:
        start = time.perf_counter()
        n = 0
        async with conn.transaction():
            async for _ in conn.cursor(
                "SELECT stream_id, type, schema_version, payload FROM events"
                " WHERE stream_id LIKE 'frame:%' ORDER BY stream_id, stream_version",
                prefetch=20_000,
            ):
                n += 1
        raw_rate = n / (time.perf_counter() - start)
        report = await rebuild_projections(conn)
    await pool.close()
    ctx.add(
        Result(
            "annotation",
            f"replay (rebuild-projections) of {report.events:,} events",
            report.events_per_second,
            "events/s",
            raw_rate,
            "bare sequential read of the events table",
            ">= 100k events/s",
            "one Python process decoding protobuf and folding state",
            {"equal": float(report.equal), "frames": report.frames},
        )
    )
