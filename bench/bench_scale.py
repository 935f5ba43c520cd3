"""Scale-out bench: annotation save throughput (closed loop) and NextFrame p99 (open loop) with 1 vs 2 processes
per service and 1 vs 3 NATS nodes (streams at R3), and the CPU-ms each operation costs across every process of the
system (services, gateway, PostgreSQL, every nats-server), beside the single-node figure of the same run.

On this 2-core machine the cores are the limit: more processes cannot add throughput, the point is what
replication (R3 publishes, a second process per service) costs per operation."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import asyncpg

from annostream_cli.grpc_identity import IdentityStub
from annostream_cli.stack import LocalStack
from annostream_cli.topology import NatsCluster
from annostream_kernel.authz import member, to_metadata
from annostream_kernel.grpc_client import channel
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as it_grpc
from annostream_sdk import Client, NewFrame, NewSource

from .bench_annotation import Writer, _closed, _version_with_frames
from .bench_iterator import open_loop
from .harness import BenchContext, Result, cpu_seconds, summary_ms

TOPOLOGIES = [(1, 1), (2, 1), (1, 3), (2, 3)]  # (processes per service, NATS nodes)
WRITERS, SAVE_SECONDS = 32, 5.0
ANNOTATORS, PERIOD, OPEN_SECONDS = 200, 2.0, 8.0
TAIL_SECONDS = 2.0  # after the load: the relay publishes and the consumers apply what it committed
IDLE_SECONDS = 2.0
TASK_FRAMES = 1500  # 200 annotators x (8 s / 2 s) leases, each completing the previous one


def system_cpu(stack: LocalStack) -> float:
    """CPU seconds so far of every component process, every nats-server and PostgreSQL (with its backends)."""
    total = sum(cpu_seconds(p.pid) for p in stack.procs.values() if p.poll() is None)
    nodes = stack.nats.nodes if isinstance(stack.nats, NatsCluster) else [stack.nats] if stack.nats else []
    total += sum(cpu_seconds(n.proc.pid) for n in nodes if n.proc is not None and n.proc.poll() is None)
    postmaster = int((stack.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(proc.name) == postmaster:
                total += sum(int(x) for x in fields[11:15]) / tick  # with its reaped children
            elif int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


async def _idle_rate(stack: LocalStack) -> float:
    """CPU seconds per second the idle system spends (health checks, samplers, cluster heartbeats)."""
    start = system_cpu(stack)
    await asyncio.sleep(IDLE_SECONDS)
    return (system_cpu(stack) - start) / IDLE_SECONDS


async def _measured(stack: LocalStack, idle: float, work: object) -> tuple[object, float]:
    """Run `work()`, then the tail; returns its result and the CPU seconds above idle the system spent."""
    start_cpu, start = system_cpu(stack), time.perf_counter()
    result = await work()  # type: ignore[operator]
    await asyncio.sleep(TAIL_SECONDS)
    return result, system_cpu(stack) - start_cpu - idle * (time.perf_counter() - start)


def _task(url: str) -> str:
    """A task over TASK_FRAMES frames whose plan is built; returns its id."""
    with Client(url, user="tester", team="default", role="admin") as c:
        ds = c.create_dataset("scale")
        v = c.create_version(ds.dataset_id, "v")
        frames = [
            NewFrame(id=f"f{i:05d}", sources=[NewSource(uri=f"s3://b/{i}", width=64, height=64)])
            for i in range(TASK_FRAMES)
        ]
        c.import_frames(v.version_id, frames)
        c.publish_version(v.version_id)
        task = c.create_task("scale", v.version_id)
        deadline = time.monotonic() + 60
        while (lease := c.next_frame(task.task_id, wait=5)).total < TASK_FRAMES:
            assert time.monotonic() < deadline, f"plan of {lease.total} frames"
            time.sleep(0.1)
        if lease.lease_id:
            c.release(task.task_id, lease.lease_id)
        return task.task_id


STORAGE_SQL = """
SELECT (SELECT count(*) FROM annotation.events) AS events,
       (SELECT count(*) FROM annotation.frame_projections) AS frames,
       (SELECT count(*) FROM annotation.saves) AS saves,
       pg_relation_size('annotation.events') AS events_heap,
       pg_indexes_size('annotation.events') AS events_indexes,
       pg_total_relation_size('annotation.frame_projections') AS projections,
       pg_total_relation_size('annotation.saves') + pg_total_relation_size('annotation.idempotency_keys') AS saves_bytes
"""


async def storage(dsn: str) -> dict[str, float]:
    """Bytes per event of the event store (heap, its indexes) and per save / frame of what goes with it."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")
        r = await conn.fetchrow(STORAGE_SQL)
    finally:
        await conn.close()
    assert r is not None
    return {
        "events": float(r["events"]),
        "heap_bytes_per_event": r["events_heap"] / r["events"],
        "index_bytes_per_event": r["events_indexes"] / r["events"],
        "save_record_bytes_per_save": r["saves_bytes"] / max(1, r["saves"]),
        "projection_bytes_per_frame": r["projections"] / max(1, r["frames"]),
    }


async def _one(ctx: BenchContext, replicas: int, nodes: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(dir=ctx.workdir))
    stack = LocalStack(
        workdir, http_port=0, replicas=replicas, nats_cluster=nodes, extra_env={"ANNOSTREAM_LOG_LEVEL": "warning"}
    )
    stack.start(ready_timeout=120)
    try:
        ann_ch = channel(stack.env["ANNOSTREAM_ANNOTATION_ADDR"])
        it_ch = channel(stack.env["ANNOSTREAM_ITERATOR_ADDR"])
        version = await _version_with_frames(stack.env["ANNOSTREAM_DATASETS_ADDR"].split(",")[0], WRITERS)
        stub = IdentityStub(ann_grpc.AnnotationServiceStub(ann_ch))
        writers = [Writer(stub, version, f"f{i}") for i in range(WRITERS)]
        await asyncio.gather(*(w.ready() for w in writers))
        task = await asyncio.to_thread(_task, stack.url)
        idle = await _idle_rate(stack)

        async def saves() -> tuple[int, list[float]]:
            return await _closed(writers, SAVE_SECONDS)

        (count, save_lat), save_cpu = await _measured(stack, idle, saves)  # type: ignore[misc]
        iterator = IdentityStub(it_grpc.IteratorServiceStub(it_ch))
        callers = {i: tuple(to_metadata(member(f"a{i}", "default"))) for i in range(ANNOTATORS)}

        async def next_frame(i: int, prev: str) -> str:
            req = it.NextFrameRequest(task_id=task, annotator=f"a{i}", complete_lease_id=prev)
            return str((await iterator.NextFrame(req, metadata=callers[i], timeout=30)).lease_id)

        async def leases() -> list[float]:
            return await open_loop(next_frame, PERIOD, ANNOTATORS, OPEN_SECONDS)

        lease_lat, lease_cpu = await _measured(stack, idle, leases)
        await ann_ch.close()
        await it_ch.close()
        if (replicas, nodes) == (1, 1):
            sizes = await storage(stack.dsn)
            ctx.add(Result("scale", "event store bytes per event (annotation.events heap)",
                           sizes.pop("heap_bytes_per_event"), "B", extra=sizes))  # fmt: skip
        lat = summary_ms(lease_lat)  # type: ignore[arg-type]
        return {
            "saves_per_s": count / SAVE_SECONDS,
            "save_p99_ms": summary_ms(save_lat)["p99_ms"],
            "cpu_ms_per_save": 1000 * save_cpu / count,
            "next_frame_p99_ms": lat["p99_ms"],
            "cpu_ms_per_next_frame": 1000 * lease_cpu / len(lease_lat),  # type: ignore[arg-type]
            "idle_cpu_cores": idle,
        }
    finally:
        stack.stop()


async def run(ctx: BenchContext) -> None:
    """Each topology on a fresh system of its own (PostgreSQL, NATS node(s), every process)."""
    figures = {}
    for replicas, nodes in TOPOLOGIES:
        figures[(replicas, nodes)] = f = await _one(ctx, replicas, nodes)
        print(
            f"  {replicas} process(es)/service, {nodes} NATS node(s): "
            + ", ".join(f"{k}={v:.2f}" for k, v in f.items())
        )
    single = figures[(1, 1)]
    for (replicas, nodes), f in figures.items():
        where = f"{replicas} proc/service, {nodes} NATS node{'s' if nodes > 1 else ''}"
        ctx.add(
            Result(
                "scale",
                f"saves, {WRITERS} writers closed loop, {where}",
                f["saves_per_s"],
                "saves/s",
                single["saves_per_s"],
                "1 proc/service, 1 NATS node (same run)",
                "",
                "the two cores (bench client, annotation process(es), PostgreSQL, NATS)",
                {"cpu_ms_per_save": f["cpu_ms_per_save"], "single_cpu_ms_per_save": single["cpu_ms_per_save"],
                 "save_p99_ms": f["save_p99_ms"]},
            )
        )  # fmt: skip
        ctx.add(
            Result(
                "scale",
                f"NextFrame open loop {ANNOTATORS} annotators / {PERIOD:g} s: p99, {where}",
                f["next_frame_p99_ms"],
                "ms",
                single["next_frame_p99_ms"],
                "1 proc/service, 1 NATS node (same run)",
                "",
                "iterator process(es) and PostgreSQL",
                {"cpu_ms_per_next_frame": f["cpu_ms_per_next_frame"],
                 "single_cpu_ms_per_next_frame": single["cpu_ms_per_next_frame"],
                 "idle_cpu_cores": f["idle_cpu_cores"]},
            )
        )  # fmt: skip
