"""Counts of a save that do not depend on the machine's load (issue 18): PostgreSQL statements and explicit
transactions (pg_stat_statements), each consumer's batches (one transaction and one ack each) and pull requests
(the components' Prometheus counters), NATS messages in and out of nats-server (/varz) and of each component's
connection (/connz), and the messages JetStream delivered per durable (/jsz).

The bench's PostgreSQL loads pg_stat_statements and its nats-server serves the monitoring port (harness.servers);
pg_stat_database and pg_stat_user_tables are not used: backends flush them up to 10 s late when idle. The
components' idle background (the iterator's planner polls, each idle consumer's pull every second) is measured
like the CPU's and subtracted."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from asyncpg import Pool

METRICS = ("annostream_consumer_batches_total", "annostream_consumer_pull_requests_total")
COMPONENTS = ("annotation", "datasets", "iterator", "webhooks", "tasks", "gateway")
# Per statement (pg_stat_statements): calls, execution and planning ms, WAL bytes, shared blocks hit / read / dirtied.
QUERY_COLUMNS = (
    "sum(calls), sum(total_exec_time), sum(total_plan_time), sum(wal_bytes), sum(shared_blks_hit),"
    " sum(shared_blks_read), sum(shared_blks_dirtied)"
)


class Counter:
    """Snapshots of the counts; `per_save` turns two of them into figures per save."""

    def __init__(self, pool: Pool, monitor: str, metrics: dict[str, str]) -> None:
        """Read PostgreSQL through `pool`, nats-server's monitoring endpoint at `monitor` (may be empty) and the
        components' Prometheus `metrics` URLs."""
        self.pool, self.monitor, self.metrics = pool, monitor, metrics
        self.statements = False
        self.queries: dict[str, tuple[float, ...]] = {}  # QUERY_COLUMNS of each statement, last snapshot

    async def start(self) -> None:
        """Create the pg_stat_statements view when the server has the library loaded."""
        async with self.pool.acquire() as conn:
            libraries = await conn.fetchval("SELECT current_setting('shared_preload_libraries')")
            loaded = "pg_stat_statements" in str(libraries)
            if loaded:
                await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                self.statements = True

    async def snapshot(self) -> dict[str, float]:
        """Cumulative counts now."""
        out: dict[str, float] = {}
        if self.statements:
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT coalesce(sum(calls) FILTER (WHERE query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')), 0) AS s,"
                    " coalesce(sum(calls) FILTER (WHERE query = 'COMMIT'), 0) AS c"
                    " FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"
                )
                out["pg_statements"], out["pg_commits"] = (row["s"], row["c"]) if row else (0, 0)
                rows = await conn.fetch(f"SELECT query, {QUERY_COLUMNS} FROM pg_stat_statements GROUP BY query")
                self.queries = {r["query"]: tuple(float(x) for x in tuple(r)[1:]) for r in rows}
        async with httpx.AsyncClient(timeout=10) as http:
            for url in self.metrics.values():
                with contextlib.suppress(httpx.HTTPError):
                    out.update(_consumer_counts((await http.get(url)).text))
        if self.monitor:
            out.update(await self._nats())
        return {k: float(v) for k, v in out.items()}

    async def _nats(self) -> dict[str, float]:
        out: dict[str, float] = {}
        async with httpx.AsyncClient(base_url=self.monitor, timeout=10) as http:
            varz = (await http.get("/varz")).json()
            out["nats_in"], out["nats_out"] = varz["in_msgs"], varz["out_msgs"]
            for conn in (await http.get("/connz", params={"limit": 4096})).json().get("connections") or []:
                name = str(conn.get("name") or "").removeprefix("annostream-")
                if name in COMPONENTS:
                    out[f"nats_in_{name}"] = out.get(f"nats_in_{name}", 0) + conn["in_msgs"]
                    out[f"nats_out_{name}"] = out.get(f"nats_out_{name}", 0) + conn["out_msgs"]
            jsz: dict[str, Any] = (await http.get("/jsz", params={"consumers": "true"})).json()
            for account in jsz.get("account_details") or []:
                for stream in account.get("stream_detail") or []:
                    for consumer in stream.get("consumer_detail") or []:
                        delivered = consumer.get("delivered", {}).get("consumer_seq", 0)
                        out[f"delivered_{consumer['name']}"] = delivered
        return out


def rates(a: dict[str, float], b: dict[str, float], seconds: float) -> dict[str, float]:
    """Counts per second between two snapshots (the idle background)."""
    return {k: (b[k] - a.get(k, 0)) / seconds for k in b}


def per_save(
    a: dict[str, float], b: dict[str, float], idle: dict[str, float], window: float, saves: int
) -> dict[str, float]:
    """Counts per save between snapshots `a` and `b` taken `window` seconds apart, minus the idle background."""
    per = {k: max(0.0, b[k] - a.get(k, 0) - idle.get(k, 0) * window) / saves for k in b}
    return {f"n_{k}": v for k, v in per.items() if v >= 0.005 or k.startswith("pg_")}


def _consumer_counts(text: str) -> dict[str, float]:
    """`batches_<durable>` and `pulls_<durable>` from a component's Prometheus text."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        name, _, rest = line.partition("{")
        if name in METRICS and 'consumer="' in rest:
            durable = rest.split('consumer="', 1)[1].split('"', 1)[0]
            kind = "batches" if "batches" in name else "pulls"
            out[f"{kind}_{durable}"] = float(line.rsplit(" ", 1)[1])
    return out


def top_statements(a: dict[str, tuple[float, ...]], b: dict[str, tuple[float, ...]], saves: int, n: int) -> str:
    """The `n` statements run most often per save between two snapshots' `queries`, one per line, per save: calls,
    execution ms (PostgreSQL's own timing, without parse, network or commit), planning ms (0 unless
    pg_stat_statements.track_planning is on), WAL bytes and shared
    blocks hit / read / dirtied; last line: the sums over all statements."""
    rows = sorted(
        (tuple((x - y) / saves for x, y in zip(v, a.get(q, (0.0,) * len(v)), strict=True)), q)
        for q, v in b.items()
        if v[0] > a.get(q, (0.0,))[0]
    )[::-1]
    total = [sum(r[0][i] for r in rows) for i in range(len(rows[0][0]))] if rows else []
    lines = [_statement_line(d, q) for d, q in rows[:n]]
    return "\n".join([*lines, _statement_line(tuple(total), "(all statements)")] if rows else lines)


def _statement_line(d: tuple[float, ...], q: str) -> str:
    calls, ms, plan, wal, hit, read, dirtied = d
    return (
        f"    {calls:6.2f} {ms:7.3f} ms plan {plan:6.3f} wal {wal:8.0f} B blks {hit:6.1f}/{read:4.1f}/{dirtied:5.1f}"
        f"  {' '.join(q.split())[:120]}"
    )
