"""Task records and plan materialisation: the matching frames of a task, in plan order, as rows.

Order (reproducible on any machine, documented in docs/filters.md):
- sequential: (context_id, timestamp, frame_id), strings compared bytewise (COLLATE "C");
- random: md5 of the UTF-8 text "<seed>:<frame_id>" as lower-case hex, ties by frame_id bytewise;
  with clips, clips are ordered by md5("<seed>:<first frame id of the clip>") and keep their inner order.
"""

from __future__ import annotations

from collections.abc import Sequence

from annostream_kernel.db import Conn, advisory_key

from ..domain.ast import Selection
from ..domain.model import FrameOrder, TaskPlan, TaskStatus
from .compile import Params, selection_sql

C = 'COLLATE "C"'


def frames_cte(lineage: Sequence[str], p: Params, ids: str | None) -> str:
    """CTEs ending in `f`: frames visible in lineage[0] with their effective state version `sv` and metadata.

    A child version sees its own frames plus its ancestors' (the nearest wins); each part is an
    anti-join against the closer versions, which PostgreSQL runs as a hash anti-join.
    """
    only = f" AND x.frame_id = ANY({ids})" if ids else ""
    vis, st = [], []
    for depth, version in enumerate(lineage):
        v = p.add(version, "text")
        closer = p.add(list(lineage[:depth]), "text[]") if depth else ""
        vis.append(
            "SELECT x.frame_id, x.context_id, x.ts, x.metadata, x.sources FROM frames x"
            f" WHERE x.version_id = {v}{only}"
            + (
                f" AND NOT EXISTS (SELECT 1 FROM frames g WHERE g.version_id = ANY({closer})"
                " AND g.frame_id = x.frame_id)"
                if depth
                else ""
            )
        )
        st.append(
            f"SELECT x.frame_id, x.version_id AS sv, x.metadata FROM marks x WHERE x.version_id = {v}{only}"
            + (
                f" AND NOT EXISTS (SELECT 1 FROM marks g WHERE g.version_id = ANY({closer})"
                " AND g.frame_id = x.frame_id)"
                if depth
                else ""
            )
        )
    return (
        f"vis AS ({' UNION ALL '.join(vis)}), st AS ({' UNION ALL '.join(st)}),"
        " f AS (SELECT vis.frame_id, vis.context_id, vis.ts, vis.sources,"
        " coalesce(st.metadata, vis.metadata) AS metadata, coalesce(st.sv, '') AS sv"
        " FROM vis LEFT JOIN st ON st.frame_id = vis.frame_id)"
    )


def plan_sql(
    plan: TaskPlan, sel: Selection, lineage: Sequence[str], *, offset: int, cap: int | None, ids: list[str] | None
) -> tuple[str, list[object]]:
    """INSERT of the task's plan rows (seq and unit after `offset`, at most `cap` frames)."""
    p = Params([plan.task_id, offset, cap])
    ids_param = p.add(ids, "text[]") if ids is not None else None
    ctes = frames_cte(lineage, p, ids_param)
    joins, pred = selection_sql(sel, list(lineage), p)
    if ids is not None:
        pred += " AND NOT EXISTS (SELECT 1 FROM plan q WHERE q.task_id = $1 AND q.frame_id = f.frame_id)"
    matched = f"m AS (SELECT f.frame_id, f.context_id, f.ts FROM f{joins} WHERE {pred})"
    seed = p.add(str(plan.random_seed), "text") if plan.order is FrameOrder.RANDOM else ""
    if plan.clip <= 1:
        if plan.order is FrameOrder.RANDOM:
            key = f"md5({seed} || ':' || frame_id), frame_id {C}"
        else:
            key = f"context_id {C}, ts, frame_id {C}"
        body = (
            f", o AS (SELECT frame_id, row_number() OVER (ORDER BY {key}) AS rn"
            f" FROM (SELECT * FROM m ORDER BY {key} LIMIT $3::int8) s)"
            " INSERT INTO plan (task_id, seq, unit, frame_id) SELECT $1, $2::int4 + rn, $2::int4 + rn, frame_id FROM o"
        )
    else:
        clip = p.add(plan.clip, "int8")
        inner = f"ts, frame_id {C}"
        key = f"md5({seed} || ':' || head), head {C}" if plan.order is FrameOrder.RANDOM else f"context_id {C}, chunk"
        body = (
            f", c AS (SELECT *, (row_number() OVER (PARTITION BY context_id ORDER BY {inner}) - 1) / {clip} AS chunk"
            " FROM m),"
            f" k AS (SELECT *, first_value(frame_id) OVER (PARTITION BY context_id, chunk ORDER BY {inner}) AS head"
            " FROM c),"
            f" o AS (SELECT frame_id, context_id, chunk, row_number() OVER (ORDER BY {key}, {inner}) AS rn FROM k),"
            " u AS (SELECT *, min(rn) OVER (PARTITION BY context_id, chunk) AS first FROM o)"
            " INSERT INTO plan (task_id, seq, unit, frame_id)"
            " SELECT $1, $2::int4 + rn, $2::int4 + first, frame_id FROM u WHERE $3::int8 IS NULL OR rn <= $3::int8"
        )
    return f"WITH {ctes}, {matched}{body}", p.values


INDEX_LOCK = advisory_key("iterator:frames-and-plans")
# A task's status: the one the tasks service recorded in task_gates (alias g) wins over the one the task events
# gave (tasks alias t), except for what only the iterator decides (invalid) or already applied (deleted).
EFFECTIVE_STATUS = (
    "CASE WHEN g.status IS NOT NULL AND t.status IN ('active', 'completed') THEN g.status ELSE t.status END"
)


async def lock_frames_and_plans(conn: Conn) -> None:
    """Serialise, until commit, indexing new frames against materialising plans.

    The datasets consumer indexes frames and then joins them to the plans of the tasks it sees; the tasks
    consumer plans a new task from the frames it sees. In two concurrent transactions each could miss the
    other's uncommitted rows (a plan without the frames imported meanwhile); with this lock one of them runs
    after the other committed and sees its rows (each statement takes a fresh snapshot).
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1)", INDEX_LOCK)


class PlanStore:
    """Task rows and plan materialisation on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add_task(self, plan: TaskPlan, selection: bytes, reason: str = "", awaits: int = 0) -> bool:
        """Record a task's parameters (its plan pending until the annotation consumer reaches `awaits`, if
        given); False when it was already known."""
        row = await self.conn.fetchrow(
            "INSERT INTO tasks (task_id, version_id, frame_order, random_seed, frame_limit, clip_length, selection,"
            " status, status_reason, awaits_annotation_seq, team) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
            " ON CONFLICT (task_id) DO NOTHING RETURNING 1",
            plan.task_id,
            plan.version_id,
            plan.order.value,
            plan.random_seed,
            plan.limit,
            plan.clip_length,
            selection,
            plan.status.value,
            reason,
            awaits,
            plan.team,
        )
        return row is not None

    async def get_task(self, task_id: str) -> TaskPlan | None:
        """A task's plan parameters with its status as the tasks service last decided it (None when unknown or
        deleted, by either)."""
        r = await self.conn.fetchrow(
            f"SELECT t.*, {EFFECTIVE_STATUS} AS effective FROM tasks t LEFT JOIN task_gates g USING (task_id)"
            " WHERE t.task_id = $1 AND t.status <> 'deleted'",
            task_id,
        )
        if r is None or r["effective"] == "deleted":
            return None
        return TaskPlan(
            r["task_id"],
            r["version_id"],
            FrameOrder(r["frame_order"]),
            r["random_seed"],
            r["frame_limit"],
            r["clip_length"],
            TaskStatus(r["effective"]),
            r["total"],
            r["awaits_annotation_seq"] > 0,
            r["team"],
        )

    async def set_gate(self, task_id: str, status: str, revision: int) -> bool:
        """Record the task's status decided at `revision` unless a later one is recorded; True if it was."""
        row = await self.conn.fetchrow(
            "INSERT INTO task_gates AS g (task_id, status, revision) VALUES ($1, $2, $3)"
            " ON CONFLICT (task_id) DO UPDATE SET status = EXCLUDED.status, revision = EXCLUDED.revision"
            " WHERE g.revision < EXCLUDED.revision RETURNING 1",
            task_id,
            status,
            revision,
        )
        return row is not None

    async def active_tasks_on(self, version_id: str) -> list[tuple[str, str]]:
        """(task id, team) of the tasks annotating the version that are neither completed nor deleted (by the
        tasks service's gate or the task events), in task id order."""
        rows = await self.conn.fetch(
            f"SELECT t.task_id, coalesce(t.team, '') AS team FROM tasks t LEFT JOIN task_gates g USING (task_id)"
            f" WHERE t.version_id = $1 AND {EFFECTIVE_STATUS} = 'active' ORDER BY t.task_id",
            version_id,
        )
        return [(r["task_id"], r["team"]) for r in rows]

    async def seal_version(self, version_id: str) -> None:
        """Record that the version is Published: its tasks lease nothing from now on (idempotent)."""
        await self.conn.execute(
            "INSERT INTO version_seals (version_id) VALUES ($1) ON CONFLICT (version_id) DO NOTHING", version_id
        )

    async def version_sealed(self, version_id: str) -> bool:
        """Whether the version is Published as far as the iterator knows."""
        return bool(
            await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM version_seals WHERE version_id = $1)", version_id)
        )

    async def selection_bytes(self, task_id: str) -> bytes:
        """The task's selection as stored (serialized FrameSelection)."""
        return bytes(await self.conn.fetchval("SELECT selection FROM tasks WHERE task_id = $1", task_id) or b"")

    async def set_status(self, task_id: str, status: TaskStatus, reason: str = "") -> None:
        """Change a task's status (with the reason when invalid)."""
        await self.conn.execute(
            "UPDATE tasks SET status = $2, status_reason = $3 WHERE task_id = $1", task_id, status.value, reason
        )

    async def started(self, task_id: str) -> bool:
        """Whether any frame of the task was ever leased or finished."""
        return bool(await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM trail WHERE task_id = $1)", task_id))

    async def materialise(self, plan: TaskPlan, sel: Selection, lineage: Sequence[str], ids: list[str] | None) -> int:
        """Insert the plan rows (all, or only the frames `ids` appended at the end); returns the new total."""
        await lock_frames_and_plans(self.conn)
        await self.conn.execute("SET LOCAL work_mem = '64MB'")
        offset = int(await self.conn.fetchval("SELECT total FROM tasks WHERE task_id = $1", plan.task_id) or 0)
        if ids is None:
            await self.conn.execute("DELETE FROM plan WHERE task_id = $1", plan.task_id)
            offset = 0
        cap = max(0, plan.limit - offset) if plan.limit else None
        total = offset
        if cap != 0:
            sql, args = plan_sql(plan, sel, lineage, offset=offset, cap=cap, ids=ids)
            status = await self.conn.execute(sql, *args)
            total += int(status.rsplit(" ", 1)[-1])
        await self.conn.execute("UPDATE tasks SET total = $2 WHERE task_id = $1", plan.task_id, total)
        return total

    async def record_plan_ms(self, task_id: str, ms: float) -> None:
        """How long the first materialisation took (the bench reads it)."""
        await self.conn.execute("UPDATE tasks SET plan_ms = $2 WHERE task_id = $1", task_id, ms)

    async def delete(self, task_id: str) -> None:
        """Forget a task's plan, trail and progress; the task row stays as 'deleted'."""
        for table in ("plan", "trail", "progress"):
            await self.conn.execute(f"DELETE FROM {table} WHERE task_id = $1", task_id)
        await self.set_status(task_id, TaskStatus.DELETED)
