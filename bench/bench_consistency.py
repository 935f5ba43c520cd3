"""What the cross-service guarantees cost (docs/architecture.md, "Consistency guarantees"), each beside bare
asyncpg doing the same I/O in the same run:

- PublishVersion right after importing 2k, 100k and 1M frames (the consumers still busy with them): the publish
  seals the version in the annotation service synchronously, so it no longer waits for the annotation
  consumer's lag (reported beside it: what the earlier publish waited for);
- the save's Draft test under the seal lock (`version_writable`) against the plain test it replaced;
- CreateTask with the annotation position it records (GetPublishedPosition) and the plan's pending time;
- CompleteTask / DeleteTask with the status recorded in the iterator first (SetTaskStatus).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
import grpc
from grpc import aio

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as it_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as tk_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from .consistency_raw import CALLS, RAW, calls_per_s, raw_publish, raw_task_write
from .harness import BenchContext, Result, summary_ms

SIZES = [int(n) for n in os.environ.get("BENCH_PUBLISH_SIZES", "2000,100000,1000000").split(",")]
BATCH = 5_000
DEADLINE = 10.0  # the gateway's deadline of a call to a service (ANNOSTREAM_PEER_TIMEOUT_SECONDS)
GUARD_SECONDS, GUARD_CONNECTIONS, GUARD_ROUNDS = 1.0, 10, 5
USER = (("x-annostream-user", "bench"), ("x-annostream-role", "admin"))


def _batches(version_id: str, n: int) -> Iterator[ds.ImportFramesStreamRequest]:
    for start in range(0, n, BATCH):
        frames = [
            t.Frame(
                frame_id=f"f{i:07d}",
                context_id=f"seq{i // 100}",
                timestamp=(i % 100) * 40,
                sources=[t.Source(id="front", uri=f"s3://bucket/{i}.jpg", width=1920, height=1080)],
            )
            for i in range(start, min(n, start + BATCH))
        ]
        yield ds.ImportFramesStreamRequest(version_id=version_id, frames=frames)


async def _draft(stub: ds_grpc.DatasetsServiceStub, frames: int) -> ds.Version:
    d = (await stub.CreateDataset(ds.CreateDatasetRequest(name=f"bench-{uuid.uuid4().hex[:8]}"), metadata=USER)).dataset
    v = (await stub.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v"))).version
    if frames:
        async for _ in stub.ImportFramesStream(_batches(v.version_id, frames)):
            pass
    return v


async def _timed(fn: Callable[[], Awaitable[object]], calls: int = CALLS) -> list[float]:
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - start)
    return out


async def _holds(conn: asyncpg.Connection, version_id: str, frame_id: str, timeout: float = 600.0) -> float:
    """Seconds until the annotation service holds the frame (its consumer of the datasets stream got there)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM annotation.base_frames WHERE version_id = $1 AND frame_id = $2)",
            version_id,
            frame_id,
        ):
            return time.perf_counter() - start
        await asyncio.sleep(0.02)
    raise TimeoutError("the annotation service never consumed the import")


async def _bench_publish(ctx: BenchContext, env: dict[str, str], conn: asyncpg.Connection) -> None:
    raw = summary_ms(await raw_publish(conn))
    async with (
        channel(env["ANNOSTREAM_DATASETS_ADDR"]) as dch,
        channel(env["ANNOSTREAM_ANNOTATION_ADDR"]) as ach,
    ):
        datasets, annotation = (
            IdentityStub(ds_grpc.DatasetsServiceStub(dch)),
            IdentityStub(ann_grpc.AnnotationServiceStub(ach)),
        )
        for n in SIZES:
            started = time.perf_counter()
            v = await _draft(datasets, n)
            imported = time.perf_counter() - started
            start = time.perf_counter()
            await datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id), timeout=DEADLINE)
            publish_s = time.perf_counter() - start
            ref = t.FrameRef(version_id=v.version_id, frame_id="f0000000")
            edit = ann.SaveFrameRequest(frame=ref, commands=[ann.Command(add_frame_label=ann.AddFrameLabel(label="x"))])
            try:
                await annotation.SaveFrame(edit, timeout=DEADLINE)
                refused = grpc.StatusCode.OK
            except aio.AioRpcError as err:
                refused = err.code()
            lag = await _holds(conn, v.version_id, f"f{n - 1:07d}")
            ctx.add(
                Result(
                    "consistency",
                    f"PublishVersion right after importing {n:,} frames",
                    publish_s * 1000,
                    "ms",
                    raw["p50_ms"],
                    "bare asyncpg: lock + update the version row + append its event, then the seal's lock + upsert",
                    f"< {DEADLINE:g} s (the caller's deadline), any size",
                    "one gRPC hop to the annotation service (SealVersion) inside the publish transaction; the"
                    " import's consumers share the two cores meanwhile",
                    {
                        "frames": n,
                        "import_s": imported,
                        "annotation_consumer_lag_after_publish_s": lag,
                        "edit_right_after_refused": float(refused == grpc.StatusCode.FAILED_PRECONDITION),
                        "edit_right_after_not_found": float(refused == grpc.StatusCode.NOT_FOUND),
                    },
                )
            )


async def _bench_guard(ctx: BenchContext, dsn: str, version_id: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=GUARD_CONNECTIONS, max_size=GUARD_CONNECTIONS)
    try:
        old = "SELECT EXISTS (SELECT 1 FROM annotation.versions v WHERE v.version_id = $1 AND v.status = 'draft')"
        plains, guardeds = [], []
        for _ in range(GUARD_ROUNDS):  # alternated: the machine's speed drifts (other tenants)
            plains.append(await calls_per_s(pool, old, version_id, GUARD_SECONDS, GUARD_CONNECTIONS))
            guardeds.append(
                await calls_per_s(
                    pool, "SELECT annotation.version_writable($1)", version_id, GUARD_SECONDS, GUARD_CONNECTIONS
                )
            )
        plain, guarded = statistics.median(plains), statistics.median(guardeds)
    finally:
        await pool.close()
    ctx.add(
        Result(
            "consistency",
            f"a save's Draft test under the seal lock (version_writable), {GUARD_CONNECTIONS} connections, one version",
            guarded,
            "tests/s",
            plain,
            "bare asyncpg: the plain status test it replaced (EXISTS … status = 'draft')",
            "a few µs per save",
            "PostgreSQL: a plpgsql call, a shared advisory lock (lock manager) and a fresh snapshot per test",
            {"extra_us_per_save_2_cores": (2 / guarded - 2 / plain) * 1e6},
        )
    )


async def _bench_tasks(ctx: BenchContext, env: dict[str, str], conn: asyncpg.Connection) -> None:
    async with (
        channel(env["ANNOSTREAM_DATASETS_ADDR"]) as dch,
        channel(env["ANNOSTREAM_TASKS_ADDR"]) as tch,
        channel(env["ANNOSTREAM_ITERATOR_ADDR"]) as ich,
        channel(env["ANNOSTREAM_ANNOTATION_ADDR"]) as ach,
    ):
        datasets, tasks = IdentityStub(ds_grpc.DatasetsServiceStub(dch)), IdentityStub(tk_grpc.TasksServiceStub(tch))
        iterator, annotation = (
            IdentityStub(it_grpc.IteratorServiceStub(ich)),
            IdentityStub(ann_grpc.AnnotationServiceStub(ach)),
        )
        v = await _draft(datasets, 100)
        created: list[str] = []
        pending: list[float] = []

        async def create() -> None:
            req = tk.CreateTaskRequest(name=f"t{len(created)}", dataset_version_id=v.version_id)
            task = (await tasks.CreateTask(req, metadata=USER)).task
            created.append(task.task_id)

        async def planned(task_id: str) -> None:
            start = time.perf_counter()
            while True:
                try:
                    p = await iterator.GetProgress(it.GetProgressRequest(task_id=task_id))
                    if p.status != "pending" and p.total == 100:
                        break
                except aio.AioRpcError:
                    pass
                await asyncio.sleep(0.005)
            pending.append(time.perf_counter() - start)

        position = summary_ms(await _timed(lambda: annotation.GetPublishedPosition(ann.GetPublishedPositionRequest())))
        creates = []
        for _ in range(CALLS):
            start = time.perf_counter()
            await create()
            creates.append(time.perf_counter() - start)
            await planned(created[-1])
        raw_create = await raw_task_write(conn, "INSERT")
        ctx.add(
            Result(
                "consistency",
                "CreateTask (Draft version of 100 frames, p50), with the annotation position it records",
                summary_ms(creates)["p50_ms"],
                "ms",
                summary_ms(raw_create)["p50_ms"],
                "bare asyncpg: insert the task row + append TaskCreated",
                "< 100 ms",
                "the gRPC hops (datasets GetVersion, annotation GetPublishedPosition, in parallel) and the commit",
                {
                    "get_published_position_p50_ms": position["p50_ms"],
                    "get_published_position_p99_ms": position["p99_ms"],
                    "until_planned_p50_ms": summary_ms(pending)["p50_ms"],
                    "until_planned_p99_ms": summary_ms(pending)["p99_ms"],
                },
            )
        )
        status = summary_ms(
            await _timed(
                lambda: iterator.SetTaskStatus(
                    it.SetTaskStatusRequest(task_id=created[0], status=it.TASK_GATE_ACTIVE, revision=1)
                )
            )
        )
        completes = await _timed(
            lambda: tasks.CompleteTask(tk.CompleteTaskRequest(task_id=created.pop()), metadata=USER), CALLS // 2
        )
        deletes = await _timed(
            lambda: tasks.DeleteTask(tk.DeleteTaskRequest(task_id=created.pop()), metadata=USER), CALLS // 2
        )
        raw_update = summary_ms(await raw_task_write(conn, "UPDATE"))["p50_ms"]
        for name, lat in (("CompleteTask", completes), ("DeleteTask", deletes)):
            ctx.add(
                Result(
                    "consistency",
                    f"{name} (p50), with the status recorded in the iterator before the commit",
                    summary_ms(lat)["p50_ms"],
                    "ms",
                    raw_update,
                    "bare asyncpg: lock + update the task row + append its event",
                    "< 100 ms",
                    "two gRPC hops (tasks, then the iterator's SetTaskStatus inside the tasks transaction)",
                    {"set_task_status_p50_ms": status["p50_ms"], "p99_ms": summary_ms(lat)["p99_ms"]},
                )
            )


async def run(ctx: BenchContext) -> None:
    """Every consistency figure, on one running system."""
    with ctx.system() as stack:
        conn = await asyncpg.connect(ctx.dsn, server_settings={"search_path": RAW})
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
        try:
            await _bench_tasks(ctx, stack.env, conn)
            await _bench_publish(ctx, stack.env, conn)
            draft = await conn.fetchval("SELECT version_id FROM annotation.versions WHERE status = 'draft' LIMIT 1")
            await asyncio.sleep(10)  # let the consumers finish the last import first
            await _bench_guard(ctx, ctx.dsn, draft)
        finally:
            await conn.execute(f"DROP SCHEMA {RAW} CASCADE")
            await conn.close()
