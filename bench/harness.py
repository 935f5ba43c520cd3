"""Shared bench plumbing: real servers, a running system, timing helpers and the result table."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from annostream_cli.embedded import EmbeddedPostgres, NatsServer, free_port
from annostream_cli.stack import LocalStack


@dataclass
class Result:
    """One measured figure beside its raw baseline (same work with bare asyncpg / nats-py)."""

    bench: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    limited_by: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value / baseline (for throughput: ≥ 0.5 means at least half of the raw speed)."""
        return self.value / self.baseline if self.baseline else None


@dataclass
class BenchContext:
    """Servers for one bench run; `system()` starts the components on them."""

    dsn: str
    nats_url: str
    workdir: Path
    nats_monitor: str = ""
    results: list[Result] = field(default_factory=list)

    @contextmanager
    def system(self, **extra_env: str) -> Iterator[LocalStack]:
        """All six components as processes on this run's PostgreSQL and NATS."""
        stack = LocalStack(
            Path(tempfile.mkdtemp(dir=self.workdir)),
            http_port=0,
            dsn=self.dsn,
            nats_url=self.nats_url,
            extra_env={"ANNOSTREAM_LOG_LEVEL": "warning", **extra_env},
        )
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()

    def add(self, result: Result) -> None:
        """Record and print one result."""
        self.results.append(result)
        print(format_result(result), flush=True)


@contextmanager
def servers(workdir: Path) -> Iterator[BenchContext]:
    """Embedded PostgreSQL + nats-server for the run, always stopped."""
    pg = EmbeddedPostgres(workdir / "pg")
    monitor = f"127.0.0.1:{free_port()}"  # counts of messages (/varz, /connz, /jsz): bench/save_counts.py
    nats = NatsServer(workdir / "nats", conf=f"http: {monitor}\n")
    try:
        dsn = pg.start("-c shared_preload_libraries=pg_stat_statements")  # statements per save, same reason
        url = nats.start()
        yield BenchContext(dsn, url, workdir, nats_monitor=f"http://{monitor}")
    finally:
        nats.stop()
        pg.stop()


def percentile(samples: list[float], p: float) -> float:
    """p-th percentile (0..100) of samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


TIMER_SLACK_S = 0.0011


async def sleep_until(due: float) -> None:
    """Sleep until perf_counter() reaches `due`, to within tens of microseconds.

    uvloop's timers have 1 ms resolution (an idle open-loop client woke 0.4 ms late at p50 and 1.0 ms at
    p99, which an open loop that counts latency from the scheduled time charges to the system under test):
    sleep on a timer until 1.1 ms before, then yield to the loop (other requests go on) until the time has
    come. Costs the client ≈ 0.1 CPU-s per second at 100 calls/s.
    """
    if (early := due - time.perf_counter() - TIMER_SLACK_S) > 0:
        await asyncio.sleep(early)
    while time.perf_counter() < due:  # noqa: ASYNC110 - a sub-millisecond wait no timer can do
        await asyncio.sleep(0)


def summary_ms(latencies_s: list[float]) -> dict[str, float]:
    """p50/p99/mean in milliseconds."""
    ms = [x * 1000 for x in latencies_s]
    return {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "mean_ms": statistics.fmean(ms) if ms else 0}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def _own_processes(workdir: Path) -> Iterator[tuple[str, float, str]]:
    """("postmaster" | "postgres child" | "other", CPU seconds, command line) of each live process; the
    postmaster's CPU includes its reaped children. Processes that vanish while read are skipped."""
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = int((workdir / "pg" / "postmaster.pid").read_text().split()[0])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            f = _stat(int(proc.name))
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if int(proc.name) == postmaster:
                yield "postmaster", sum(int(x) for x in f[11:15]) / tick, cmdline  # utime, stime, cutime, cstime
            else:
                kind = "postgres child" if int(f[1]) == postmaster else "other"
                yield kind, (int(f[11]) + int(f[12])) / tick, cmdline
        except (OSError, ValueError, IndexError):
            continue


def own_servers_cpu(workdir: Path) -> dict[str, float]:
    """CPU seconds of this run's PostgreSQL (postmaster, its reaped children and live backends) and nats-server
    only: other sessions' servers on the shared machine are not counted."""
    total, nats, nats_dir = 0.0, 0.0, str(workdir / "nats")
    for kind, cpu, cmdline in _own_processes(workdir):
        if kind != "other":
            total += cpu
        elif nats_dir in cmdline:
            nats += cpu
    return {"postgres": total, "nats": nats}


# Titles of PostgreSQL's own processes (not backends serving a connection): `postgres: checkpointer`, …
_PG_BACKGROUND = ("checkpointer", "background writer", "walwriter", "autovacuum", "logical replication", "io worker")


def postgres_background_cpu(workdir: Path) -> float:
    """CPU seconds of this run's PostgreSQL outside its connections' backends: the postmaster, its reaped children
    (mostly autovacuum workers: the bench's pools keep their backends) and its live background processes. Part of
    `own_servers_cpu`'s "postgres", not added to it."""
    total = 0.0
    for kind, cpu, cmdline in _own_processes(workdir):
        title = cmdline.removeprefix("postgres: ")
        if kind == "postmaster" or (kind == "postgres child" and title.startswith(_PG_BACKGROUND)):
            total += cpu
    return total


class CpuMeter:
    """CPU seconds each component, this run's PostgreSQL and nats-server, and this (client) process spend
    inside a `with` block."""

    def __init__(self, stack: LocalStack, workdir: Path) -> None:
        self.stack, self.workdir = stack, workdir
        self.used: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        now = {c: cpu_seconds(p.pid) for c, p in self.stack.procs.items()}
        now.update(own_servers_cpu(self.workdir))
        now["client"] = time.process_time()
        return now

    def __enter__(self) -> CpuMeter:
        self._start = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._now()
        self.used = {f"{k}_cpu_s": end[k] - self._start[k] for k in end}


class Timer:
    """`with Timer() as t: ...; t.seconds`."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def format_result(r: Result) -> str:
    """One line of the results table."""
    base = f"  baseline {r.baseline:,.1f} {r.unit} ({r.baseline_name})" if r.baseline is not None else ""
    ratio = f"  ratio {r.ratio:.2f}" if r.ratio is not None else ""
    extra = "  " + " ".join(f"{k}={v:,.2f}" for k, v in r.extra.items()) if r.extra else ""
    target = f"  target {r.target}" if r.target else ""
    return f"[{r.bench}] {r.name}: {r.value:,.1f} {r.unit}{base}{ratio}{extra}{target}"


def write_results(results: list[Result], path: Path) -> None:
    """Save results as JSON (bench/results/latest.json, not committed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{**asdict(r), "ratio": r.ratio} for r in results], indent=2))
