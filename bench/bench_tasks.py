"""Tasks service: the task list at 10,000 tasks (first page + total, RECENT and NAME) through gRPC and
through the gateway, beside bare asyncpg running the same two queries."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as tk_grpc

from .harness import BenchContext, Result, summary_ms

TASKS = 10_000
CALLS = 100
ITERATION = json.dumps({"order": "sequential", "random_seed": 0, "limit": 0, "clip_length": 0})
SQL = {
    "recent": "SELECT * FROM tasks.tasks WHERE team = $1 AND status = 'active'"
    " ORDER BY created_at DESC, task_id DESC LIMIT 51",
    "name": "SELECT * FROM tasks.tasks WHERE team = $1 AND status = 'active' ORDER BY lower(name), task_id LIMIT 51",
}
COUNT = "SELECT count(*) FROM tasks.tasks WHERE team = $1 AND status = 'active'"


async def _timed(fn: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(5):
        await fn()
    out = []
    for _ in range(CALLS):
        start = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - start)
    return out


async def run(ctx: BenchContext) -> None:
    """List latency at 10k tasks in one team."""
    team = f"bench-{uuid.uuid4().hex[:8]}"
    with ctx.system() as stack:
        conn = await asyncpg.connect(ctx.dsn)
        try:
            rows = [
                (
                    f"task_{i:06d}",
                    f"Task {uuid.uuid4().hex[:12]}",
                    f"user{i % 50}",
                    team,
                    f"ds_{i % 20}",
                    "ver_src",
                    f"ver_{i}",
                    ITERATION,
                    "active" if i % 10 else "completed",
                )
                for i in range(TASKS)
            ]
            await conn.copy_records_to_table(
                "tasks",
                schema_name="tasks",
                columns=[
                    "task_id",
                    "name",
                    "owner",
                    "team",
                    "dataset_id",
                    "source_version_id",
                    "annotated_version_id",
                    "iteration",
                    "status",
                ],
                records=rows,
            )
            await conn.execute(  # spread creation times so RECENT has a real order
                "UPDATE tasks.tasks SET created_at = created_at - substr(task_id, 6)::int * interval '1 second'"
                " WHERE team = $1",  # only this bench's rows (other benches of the run made real tasks)
                team,
            )
            await conn.execute("ANALYZE tasks.tasks")
            md = (("x-annostream-user", "user1"), ("x-annostream-team", team))
            async with (
                channel(stack.env["ANNOSTREAM_TASKS_ADDR"]) as ch,
                httpx.AsyncClient(
                    base_url=stack.url, headers={"X-Annostream-User": "user1", "X-Annostream-Team": team}
                ) as http,
            ):
                stub = IdentityStub(tk_grpc.TasksServiceStub(ch))
                for sort, enum in (("recent", tk.TASK_SORT_RECENT), ("name", tk.TASK_SORT_NAME)):
                    req = tk.ListTasksRequest(status=tk.TASK_STATUS_ACTIVE, sort=enum)

                    async def grpc_list(req: tk.ListTasksRequest = req) -> object:
                        resp = await stub.ListTasks(req, metadata=md)
                        assert len(resp.tasks) == 50 and resp.total_size == TASKS * 9 // 10
                        return resp

                    async def http_list(sort: str = sort) -> object:
                        r = await http.get("/api/v1/tasks", params={"status": "active", "sort": sort})
                        assert r.status_code == 200
                        return r

                    async def raw(sort: str = sort) -> object:
                        await conn.fetchval(COUNT, team)
                        return await conn.fetch(SQL[sort], team)

                    g, h, b = (
                        summary_ms(await _timed(grpc_list)),
                        summary_ms(await _timed(http_list)),
                        summary_ms(await _timed(raw)),
                    )
                    ctx.add(
                        Result(
                            "tasks",
                            f"ListTasks at {TASKS:,} tasks, first page of 50 + total, sort {sort.upper()} (p50)",
                            g["p50_ms"],
                            "ms",
                            b["p50_ms"],
                            "bare asyncpg: the same count + page queries",
                            target="< 100 ms",
                            limited_by="tasks process CPU (row → Task → protobuf for 51 rows), then the count(*)",
                            extra={"p99_ms": g["p99_ms"], "http_p50_ms": h["p50_ms"], "http_p99_ms": h["p99_ms"]},
                        )
                    )
        finally:
            await conn.close()
