"""Webhooks: delivery throughput and CPU per delivered event (a backlog of real annotation events), and latency
from a save's answer to the receiver (steady saves), each beside a bare nats-py consumer POSTing the same CloudEvent
bytes to the same receiver (bench/webhooks_raw.py) in the same run."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
import nats

from annostream_cli.embedded import free_port
from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc

from .bench_annotation import Writer, _version_with_frames
from .harness import BenchContext, Result, cpu_seconds, own_servers_cpu, summary_ms
from .webhooks_raw import raw_deliver

FRAMES, SAVES = 200, 10  # 200 frames x 10 saves x 10 RoiMoved = 20,000 events
RATE, RATE_SECONDS = 40, 10.0  # saves per second (400 events/s) in the latency phase
SECRET = "bench-secret-0123456789abcdef"
CONCURRENCY = 64


def _stats(sink: str) -> dict[str, dict[str, float]]:
    first: dict[str, dict[str, float]] = httpx.get(f"{sink}/stats", timeout=30).json()["first"]
    return first


async def _until_delivered(sink: str, path: str, ids: set[str], timeout: float = 300.0) -> float:
    """Wait until the sink got every id on `path` (polling a count, cheap for both sides, then the arrivals once);
    the monotonic time the last one arrived."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=sink) as http:
        while True:
            assert time.monotonic() < deadline, f"{path}: not every event delivered after {timeout} s"
            if int((await http.get(f"/count/{path}")).text) >= len(ids):
                seen = (await asyncio.to_thread(_stats, sink)).get(path, {})
                if ids <= seen.keys():
                    return max(seen[i] for i in ids)
            await asyncio.sleep(0.05)


async def run(ctx: BenchContext) -> None:
    """Throughput, CPU per event and latency of webhook deliveries, each beside the raw consumer."""
    port = free_port()
    sink_proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.webhook_sink", str(port), stdout=asyncio.subprocess.PIPE
    )
    assert sink_proc.stdout is not None and b"ready" in await sink_proc.stdout.readline()
    sink = f"http://127.0.0.1:{port}"
    env = {"ANNOSTREAM_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8", "ANNOSTREAM_WEBHOOK_CONCURRENCY": str(CONCURRENCY)}
    try:
        with ctx.system(**env) as stack:
            await _bench(ctx, stack, sink)
    finally:
        sink_proc.kill()
        await sink_proc.wait()


async def _bench(ctx: BenchContext, stack: LocalStack, sink: str) -> None:
    version_id = await _version_with_frames(stack.env["ANNOSTREAM_DATASETS_ADDR"], FRAMES)
    subject = f"annostream.annotation.v1.*.{version_id}.*.RoiMoved"
    nc = await nats.connect(ctx.nats_url)
    js = nc.jetstream()
    async with channel(stack.env["ANNOSTREAM_ANNOTATION_ADDR"]) as ch:
        stub = IdentityStub(ann_grpc.AnnotationServiceStub(ch))
        writers = [Writer(stub, version_id, f"f{i}") for i in range(FRAMES)]
        await asyncio.gather(*(w.ready() for w in writers))  # 10 ROIs per frame, before the webhook exists
        headers = {"X-Annostream-User": "tester", "X-Annostream-Team": "default", "X-Annostream-Role": "admin"}
        async with httpx.AsyncClient(base_url=stack.url, headers=headers, timeout=30) as http:
            body = {"url": f"{sink}/hooks", "secret": SECRET, "subject_filter": subject, "event_types": ["RoiMoved"]}
            hook = (await http.post("/api/v1/webhooks", json=body)).json()
        assert "webhook_id" in hook, hook

        # --- throughput: a backlog of 20,000 events, the webhooks process started on it ---------------------
        stack.stop_components(["webhooks"])
        acked: dict[str, float] = {}

        async def saves(w: Writer, n: int) -> None:
            for _ in range(n):
                resp = await w.stub.SaveFrame(w.next_save().save)
                w.version = resp.frame.version
                now = time.monotonic()
                acked.update(dict.fromkeys(resp.event_ids, now))

        await asyncio.gather(*(saves(w, SAVES) for w in writers))
        await asyncio.sleep(2.0)  # the relay publishes the last saves; the other consumers apply them
        expected = set(acked)
        env = dict(stack.env)
        env["ANNOSTREAM_GRPC_PORT"] = stack.env["ANNOSTREAM_WEBHOOKS_ADDR"].rsplit(":", 1)[1]
        log_size = (stack.log_dir / "webhooks.log").stat().st_size
        proc = stack.spawn("webhooks", env)
        await _wait_log_after(str(stack.log_dir / "webhooks.log"), log_size, "webhooks ready")
        start, cpu0, pg0 = time.monotonic(), cpu_seconds(proc.pid), own_servers_cpu(ctx.workdir)["postgres"]
        last = await _until_delivered(sink, "hooks", expected)
        cpu, pg = cpu_seconds(proc.pid) - cpu0, own_servers_cpu(ctx.workdir)["postgres"] - pg0
        hooks_rate = len(expected) / (last - start)

        raw_start, raw_cpu0 = time.monotonic(), time.process_time()
        await raw_deliver(js, subject, f"{sink}/hooks", SECRET, done=lambda n: n >= len(expected))
        raw_last = await _until_delivered(sink, "raw", expected)
        raw_cpu = time.process_time() - raw_cpu0
        raw_rate = len(expected) / (raw_last - raw_start)
        ctx.add(
            Result(
                "webhooks",
                f"deliveries of a {len(expected):,}-event backlog ({FRAMES} frames, in order per frame)",
                hooks_rate,
                "events/s",
                raw_rate,
                "bare nats-py consumer POSTing the same CloudEvents",
                target=">= 0.5 x raw",
                limited_by="webhooks process CPU: fan-out (render, queue rows) + claim/record per delivery",
                extra={
                    "webhooks_cpu_ms_per_event": cpu / len(expected) * 1000,
                    "postgres_cpu_ms_per_event": pg / len(expected) * 1000,
                    "raw_cpu_ms_per_event": raw_cpu / len(expected) * 1000,
                },
            )
        )

        # --- latency: steady saves, the service and the raw consumer side by side ----------------------------
        acked.clear()
        done = asyncio.Event()
        raw_task = asyncio.create_task(
            raw_deliver(js, subject, f"{sink}/hooks", SECRET, done=lambda _n: done.is_set(), new_only=True)
        )
        await asyncio.sleep(0.5)
        period, due = 1.0 / RATE, time.monotonic()
        end = due + RATE_SECONDS
        i = 0
        while due < end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await saves(writers[i % FRAMES], 1)
            i, due = i + 1, due + period
        ids = set(acked)
        await _until_delivered(sink, "hooks", ids)
        await _until_delivered(sink, "raw", ids)
        done.set()
        await raw_task
        got = await asyncio.to_thread(_stats, sink)
        hooks_lat = summary_ms([got["hooks"][e] - acked[e] for e in ids])
        raw_lat = summary_ms([got["raw"][e] - acked[e] for e in ids])
        for pct in ("p50", "p99"):
            ctx.add(
                Result(
                    "webhooks",
                    f"latency save answered → receiver, {RATE} saves/s ({RATE * 10} events/s), {pct}",
                    hooks_lat[f"{pct}_ms"],
                    "ms",
                    raw_lat[f"{pct}_ms"],
                    "bare nats-py consumer POSTing the same events (running alongside)",
                    limited_by="consumer linger (20 ms) + one PostgreSQL transaction to queue + NOTIFY + claim",
                )
            )
    await nc.close()


async def _wait_log_after(path: str, offset: int, needle: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with open(path, errors="replace") as fh:  # noqa: ASYNC230 - a small log, polled
            fh.seek(offset)
            if needle in fh.read():
                return
        assert time.monotonic() < deadline, f"{needle!r} not in {path}"
        await asyncio.sleep(0.005)
