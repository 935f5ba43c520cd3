"""Iterator bench: 1M frames (COPY into the iterator's index), plan materialisation with a label filter,
NextFrame open loop (200 annotators every 2 s) and closed loop (1/10/100 claimers), each beside the bare
SQL doing the same work through asyncpg in the same run."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_kernel.authz import member, to_metadata
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc
from annostream_protos.types.v1 import filters_pb2 as fl

from .harness import BenchContext, Result, Timer, sleep_until, summary_ms

FRAMES = 1_000_000
LABELS = ["car", "person", "bike", "truck", "red"]
MD = (("x-annostream-user", "bench"),)
OPEN_ANNOTATORS, OPEN_PERIOD, OPEN_SECONDS = 200, 2.0, 20.0
CLOSED_SECONDS = 5.0

# The bare SQL of one lease: finish the previous one, take the first open head with SKIP LOCKED (through the
# same plan_open index the service uses; the service also looks for an expired lease first, the baseline not).
RAW_FINISH = (
    "UPDATE iterator.plan SET state = 'done', done_by = $2, done_at = now()"
    " WHERE task_id = $1 AND lease_id = $3 AND state = 'leased'"
)
RAW_CLAIM = (
    "WITH c AS (SELECT seq FROM iterator.plan WHERE task_id = $1 AND seq = unit AND state = 'open'"
    " ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " UPDATE iterator.plan p SET state = 'leased', annotator = $2, lease_id = $3,"
    " expires_at = now() + interval '10 minutes' FROM c WHERE p.task_id = $1 AND p.seq = c.seq RETURNING p.frame_id"
)
RAW_PLAN = (
    "INSERT INTO iterator.plan (task_id, seq, unit, frame_id) SELECT $2, rn, rn, frame_id FROM ("
    ' SELECT f.frame_id, row_number() OVER (ORDER BY f.context_id COLLATE "C", f.ts, f.frame_id COLLATE "C") rn'
    " FROM iterator.frames f WHERE f.version_id = $1 AND EXISTS (SELECT 1 FROM iterator.rois r"
    " WHERE r.version_id = $1 AND r.frame_id = f.frame_id AND 'car' = ANY(r.labels))) s"
)


async def load_frames(conn: asyncpg.Connection, version: str) -> None:
    """COPY 1M frames, their ROI state and ROIs (0-3 per frame, labels cycling) into the iterator's index."""
    chunk = 100_000
    for start in range(0, FRAMES, chunk):
        ids = range(start, min(FRAMES, start + chunk))
        await conn.copy_records_to_table(
            "frames",
            schema_name="iterator",
            columns=["version_id", "frame_id", "context_id", "ts", "metadata", "sources"],
            records=[
                (version, f"fr{i:07d}", f"ctx{i // 500:05d}", i % 500, f'{{"speed": {i % 100}}}', "[]") for i in ids
            ],
        )
        await conn.copy_records_to_table(
            "marks",
            schema_name="iterator",
            columns=["version_id", "frame_id"],
            records=[(version, f"fr{i:07d}") for i in ids if i % 4],
        )
        await conn.copy_records_to_table(
            "rois",
            schema_name="iterator",
            columns=["version_id", "frame_id", "roi_id", "labels", "confidence"],
            records=[
                (version, f"fr{i:07d}", f"r{j}", [LABELS[(i * 7 + j) % 5], LABELS[(i + j * 3) % 5]], 0.5)
                for i in ids
                for j in range(i % 4)
            ],
        )
    await conn.execute("ANALYZE iterator.frames; ANALYZE iterator.marks; ANALYZE iterator.rois")


async def create_task(tasks: tasks_service_pb2_grpc.TasksServiceStub, version: str, conn: asyncpg.Connection) -> str:
    """A task with the label filter `car`; returns when its plan is built."""
    sel = fl.FrameSelection(
        mode=fl.FILTER_MODE_CUSTOM,
        filters=[fl.FrameFilter(roi_rules=[fl.RoiRule(kind=fl.ROI_RULE_KIND_INCLUDE, label_expression="car")])],
    )
    req = tk.CreateTaskRequest(name=f"bench-{uuid.uuid4().hex[:6]}", dataset_version_id=version, selection=sel)
    task = (await tasks.CreateTask(req, metadata=MD, timeout=60)).task.task_id
    while await conn.fetchval("SELECT plan_ms FROM iterator.tasks WHERE task_id = $1", task) is None:  # noqa: ASYNC110 - polls the DB
        await asyncio.sleep(0.05)
    return task


async def open_loop(call: object, period: float, annotators: int, seconds: float) -> list[float]:
    """Each annotator calls `call(i, prev)` every `period` s; latency counts from the scheduled time."""
    latencies: list[float] = []
    start = time.perf_counter() + 0.5

    async def annotator(i: int) -> None:
        prev, k = "", 0
        while (due := start + i * period / annotators + k * period) < start + seconds:
            await sleep_until(due)
            prev = await call(i, prev)  # type: ignore[operator]
            latencies.append(time.perf_counter() - due)
            k += 1

    await asyncio.gather(*(annotator(i) for i in range(annotators)))
    return latencies


async def closed_loop(call: object, claimers: int, seconds: float) -> float:
    """Leases per second with `claimers` calling back to back."""
    done = 0
    end = time.perf_counter() + seconds

    async def claimer(i: int) -> None:
        nonlocal done
        prev = ""
        while time.perf_counter() < end:
            prev = await call(i, prev)  # type: ignore[operator]
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(claimer(i) for i in range(claimers)))
    return done / (time.perf_counter() - started)


async def run(ctx: BenchContext) -> None:
    """Run the iterator bench on a fresh system."""
    with ctx.system() as stack:
        addr = {c: stack.env[f"ANNOSTREAM_{c.upper()}_ADDR"] for c in ("datasets", "tasks", "iterator")}
        chans = {c: channel(a) for c, a in addr.items()}
        datasets = IdentityStub(datasets_service_pb2_grpc.DatasetsServiceStub(chans["datasets"]))
        tasks = IdentityStub(tasks_service_pb2_grpc.TasksServiceStub(chans["tasks"]))
        iterator = IdentityStub(iterator_service_pb2_grpc.IteratorServiceStub(chans["iterator"]))
        conn = await asyncpg.connect(ctx.dsn)
        pool = await asyncpg.create_pool(ctx.dsn, min_size=10, max_size=10)
        assert pool is not None
        try:
            d = (await datasets.CreateDataset(ds.CreateDatasetRequest(name="bench-it"), metadata=MD)).dataset
            v = (await datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v"))).version
            while not await conn.fetchval("SELECT 1 FROM iterator.versions WHERE version_id = $1", v.version_id):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            with Timer() as tm:
                await load_frames(conn, v.version_id)
            print(f"  loaded {FRAMES:,} frames by COPY in {tm.seconds:.1f} s", flush=True)

            task = await create_task(tasks, v.version_id, conn)
            plan_ms = await conn.fetchval("SELECT plan_ms FROM iterator.tasks WHERE task_id = $1", task)
            total = await conn.fetchval("SELECT total FROM iterator.tasks WHERE task_id = $1", task)
            with Timer() as raw:
                await conn.execute(RAW_PLAN, v.version_id, "raw-plan")
            await conn.execute("DELETE FROM iterator.plan WHERE task_id = 'raw-plan'")
            ctx.add(
                Result(
                    "iterator",
                    "plan materialisation, label filter 'car'",
                    plan_ms / 1000,
                    "s",
                    raw.seconds,
                    "INSERT…SELECT with EXISTS on rois",
                    "< 5 s",
                    "postgres (one backend, CPU)",
                    {"frames_planned": float(total)},
                )
            )

            raw_task = await create_task(tasks, v.version_id, conn)

            callers: dict[int, tuple[tuple[str, str | bytes], ...]] = {}

            async def grpc_next(i: int, prev: str) -> str:
                req = it.NextFrameRequest(task_id=task, annotator=f"a{i}", complete_lease_id=prev)
                md = callers.get(i) or callers.setdefault(i, tuple(to_metadata(member(f"a{i}", "default"))))
                return str((await iterator.NextFrame(req, metadata=md, timeout=30)).lease_id)

            async def raw_next(i: int, prev: str, durable: bool = False) -> str:
                lease = uuid.uuid4().hex
                async with pool.acquire() as c, c.transaction():
                    if not durable:  # the same durability as the iterator's lease commits (migration 0005)
                        await c.execute("SET LOCAL synchronous_commit = off")
                    if prev:
                        await c.execute(RAW_FINISH, raw_task, f"a{i}", prev)
                    await c.fetchval(RAW_CLAIM, raw_task, f"a{i}", lease)
                return lease

            async def raw_next_durable(i: int, prev: str) -> str:
                return await raw_next(i, prev, durable=True)

            lat = summary_ms(await open_loop(grpc_next, OPEN_PERIOD, OPEN_ANNOTATORS, OPEN_SECONDS))
            base = summary_ms(await open_loop(raw_next, OPEN_PERIOD, OPEN_ANNOTATORS, OPEN_SECONDS))
            durable = summary_ms(await open_loop(raw_next_durable, OPEN_PERIOD, OPEN_ANNOTATORS, OPEN_SECONDS))
            ctx.add(
                Result(
                    "iterator",
                    "NextFrame open loop 200 annotators / 2 s: p99",
                    lat["p99_ms"],
                    "ms",
                    base["p99_ms"],
                    "claim+finish SQL via asyncpg, async commit",
                    "p99 < 5 ms",
                    "iterator process (Python gRPC + asyncpg, one core)",
                    {
                        "p50_ms": lat["p50_ms"],
                        "baseline_p50_ms": base["p50_ms"],
                        "durable_baseline_p99_ms": durable["p99_ms"],
                    },
                )
            )
            for claimers in (1, 10, 100):
                svc = await closed_loop(grpc_next, claimers, CLOSED_SECONDS)
                rawr = await closed_loop(raw_next, claimers, CLOSED_SECONDS)
                raw_durable = await closed_loop(raw_next_durable, claimers, CLOSED_SECONDS)
                ctx.add(
                    Result(
                        "iterator",
                        f"NextFrame closed loop, {claimers} claimer(s)",
                        svc,
                        "leases/s",
                        rawr,
                        "claim+finish SQL via asyncpg, async commit",
                        ">= 0.5 x baseline",
                        "the two cores: bench client (gRPC), iterator (gRPC + one statement), PostgreSQL"
                        if claimers > 1
                        else "round trips (gRPC + PostgreSQL latency)",
                        {"durable_baseline": raw_durable},
                    )
                )
        finally:
            await pool.close()
            await conn.close()
            for ch in chans.values():
                await ch.close()
