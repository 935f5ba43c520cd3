"""What observability costs: the annotation bench's closed loop of saves (10 writers, 10 commands a save) on three
systems in one run — metrics off (ANNOSTREAM_METRICS_PORT=0), metrics on (the default build: counted and sampled;
tracing off), and tracing on (OTLP/HTTP to a local sink) — with CPU per save summed over every component,
PostgreSQL and nats-server, beside bare asyncpg doing the save's 10-row transaction in the same run; the CPU one
scrape costs each component (a fixed cost per scrape interval, not per save). Then the
in-process cost of what stays on in every build: one RPC's counter and histogram, and the tracing-off helpers a
save passes through."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.trace import SpanKind

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_kernel import tracing
from annostream_kernel.db import create_pool
from annostream_kernel.grpc_errors import Observed
from annostream_kernel.grpc_observed import _count, metrics_interceptors
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc

from .annotation_raw import raw_closed
from .bench_annotation import BATCH, Writer, _closed, _moves, _version_with_frames
from .harness import BenchContext, CpuMeter, Result, summary_ms

WRITERS, SECONDS = 10, 6.0
PROCESSES = ("datasets", "tasks", "iterator", "annotation", "webhooks", "gateway", "postgres", "nats")


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that takes every export and answers 200 (what a collector costs is not measured)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


SCRAPES = 20


def _scrape_cost(system: LocalStack, ctx: BenchContext) -> dict[str, float]:
    """CPU milliseconds one scrape costs each component (SCRAPES scrapes of every component, measured together)."""
    urls = system.metrics_urls()
    with CpuMeter(system, ctx.workdir) as cpu, httpx.Client(timeout=5) as client:
        for _ in range(SCRAPES):
            for url in urls.values():
                assert client.get(url).status_code == 200
    return {f"{c}_ms_per_scrape": cpu.used[f"{c}_cpu_s"] / SCRAPES * 1000 for c in urls}


async def _measure(ctx: BenchContext, label: str, env: dict[str, str]) -> dict[str, float]:
    with ctx.system(**env) as system:
        version_id = await _version_with_frames(system.env["ANNOSTREAM_DATASETS_ADDR"], WRITERS * 2)
        async with channel(system.env["ANNOSTREAM_ANNOTATION_ADDR"]) as ch:
            stub = IdentityStub(ann_grpc.AnnotationServiceStub(ch))
            writers = [Writer(stub, version_id, f"f{i}") for i in range(WRITERS)]
            await asyncio.gather(*(w.ready() for w in writers))
            await _closed(writers, 1.0)  # warm up
            await asyncio.sleep(1.0)  # the consumers catch up before the window
            with CpuMeter(system, ctx.workdir) as cpu:
                saves, lat = await _closed(writers, SECONDS)
                await asyncio.sleep(0.5)  # the relay and the consumers finish the window's events
        scrapes = _scrape_cost(system, ctx) if system.metrics_ports else {}
    used = {k.removesuffix("_cpu_s"): v for k, v in cpu.used.items()}
    total = sum(used.get(p, 0.0) for p in PROCESSES)
    print(f"  {label}: {saves / SECONDS:,.0f} saves/s, {total / saves * 1000:.2f} CPU-ms/save", flush=True)
    return {
        "saves_per_s": saves / SECONDS,
        "cpu_ms_per_save": total / saves * 1000,
        **{f"{p}_cpu_ms_per_save": used.get(p, 0.0) / saves * 1000 for p in PROCESSES},
        **summary_ms(lat),
        **scrapes,
    }


def _per_call_us(call: Callable[[], object], n: int = 200_000) -> float:
    """CPU microseconds per call (process time: other processes on the shared cores do not count)."""
    start = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - start) / n * 1e6


def _micro() -> dict[str, float]:
    method = "/annostream.annotation.v1.AnnotationService/SaveFrame"
    tp = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"

    def tracing_off_path() -> None:  # what a save and its consumers pass through with tracing off
        tracing.current_traceparent()
        with tracing.batch_span("apply x", (t for t in (tp,)), SpanKind.CONSUMER, {}):
            pass
        tracing.add_trace_ids(None, "info", {"event": "x"})

    assert not tracing.tracing_enabled()
    return {
        "rpc_metrics_us": _per_call_us(lambda: Observed(method).done()),
        "rpc_client_metrics_us": _per_call_us(lambda: _count(method, "OK", time.perf_counter())),
        "tracing_off_us": _per_call_us(tracing_off_path),
    }


async def _channel_cost(calls: int = 3000) -> dict[str, float]:
    """CPU per unary call (client and server in this process) on a plain grpc.aio channel and on one with the
    kernel's client metrics interceptors, alternating twice."""
    server = aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    request = health_pb2.HealthCheckRequest(service="")
    used: dict[str, list[float]] = {"plain": [], "intercepted": []}
    try:
        for label in ("plain", "intercepted", "plain", "intercepted"):
            interceptors = metrics_interceptors() if label == "intercepted" else None
            async with aio.insecure_channel(f"127.0.0.1:{port}", interceptors=interceptors) as ch:
                stub = health_pb2_grpc.HealthStub(ch)
                for _ in range(300):
                    await stub.Check(request)
                start = time.process_time()
                for _ in range(calls):
                    await stub.Check(request)
                used[label].append((time.process_time() - start) / calls * 1e6)
    finally:
        await server.stop(None)
    return {label: min(values) for label, values in used.items()}


async def run(ctx: BenchContext) -> None:
    """Saves with metrics off, on (scraped) and with tracing on, beside bare asyncpg; per-call costs."""
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    modes = {
        "metrics off (ANNOSTREAM_METRICS_PORT=0)": {"ANNOSTREAM_METRICS_PORT": "0"},
        "metrics on, tracing off (default)": {},
        "metrics on + tracing on (OTLP/HTTP to a local sink)": {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_port}"
        },
    }
    figures = {label: await _measure(ctx, label, env) for label, env in modes.items()}
    scrape = {k: v for k, v in figures["metrics on, tracing off (default)"].items() if k.endswith("_per_scrape")}
    sink.shutdown()
    raw = await create_pool(ctx.dsn, "bench_raw", min_size=1, max_size=20)
    await raw.execute("CREATE SCHEMA IF NOT EXISTS bench_raw")
    await raw.execute("CREATE TABLE IF NOT EXISTS bench_raw.events (LIKE annotation.events INCLUDING ALL)")
    raw_saves = await raw_closed(raw, WRITERS, SECONDS, _moves(1)[0].SerializeToString() * 2) / SECONDS
    await raw.execute("DROP SCHEMA bench_raw CASCADE")
    await raw.close()
    off = figures["metrics off (ANNOSTREAM_METRICS_PORT=0)"]
    for label, f in figures.items():
        ctx.add(
            Result(
                "observability",
                f"closed loop, {WRITERS} writers, SaveFrame: {label}",
                f["saves_per_s"] * BATCH,
                "events/s",
                raw_saves * BATCH,
                "bare asyncpg 10-row transactions",
                "",
                "the two cores",
                {**f, "cpu_vs_metrics_off": f["cpu_ms_per_save"] / off["cpu_ms_per_save"]},
            )
        )
    ctx.add(
        Result(
            "observability",
            "one scrape of every component (after the saves above), CPU summed over the six",
            sum(scrape.values()),
            "CPU-ms/scrape",
            None,
            "",
            "",
            "generating the text format of every series; the gateway's also passes its HTTP middleware",
            scrape,
        )
    )
    cost = await _channel_cost()
    ctx.add(
        Result(
            "observability",
            "unary gRPC call with the kernel's client metrics interceptors (client + server CPU)",
            cost["intercepted"],
            "µs/call",
            cost["plain"],
            "the same call on a channel without interceptors",
            "",
            "grpc.aio runs every intercepted call through an extra task and call wrapper",
        )
    )
    micro = _micro()
    ctx.add(
        Result(
            "observability",
            "in-process: one RPC's server counter + histogram (every build)",
            micro["rpc_metrics_us"],
            "µs/call",
            None,
            "",
            "",
            "prometheus-client: `.labels()` per call (a lock and a dict lookup), then a lock and a bucket search",
        )
    )
    ctx.add(
        Result(
            "observability",
            "in-process: one RPC's client counter + histogram (label children cached)",
            micro["rpc_client_metrics_us"],
            "µs/call",
            None,
            "",
            "",
            "prometheus-client: a lock and a bucket search per observation",
        )
    )
    ctx.add(
        Result(
            "observability",
            "in-process: tracing-off helpers a save passes (traceparent, batch span, log processor)",
            micro["tracing_off_us"],
            "µs/save",
            None,
            "",
            "",
            "a module flag read per helper",
        )
    )
