"""PostgreSQL repository of the tasks service."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.uow import PgUnitOfWork

from ..domain.events import Event
from ..domain.model import FilterMode, Iteration, Order, Scope, Selection, SortBy, Task, TaskQuery, TaskStatus
from .messages import new_event


def _task(r: asyncpg.Record) -> Task:
    it = json.loads(r["iteration"])
    sel = json.loads(r["selection"])
    return Task(
        task_id=r["task_id"],
        name=r["name"],
        owner=r["owner"],
        team=r["team"],
        dataset_id=r["dataset_id"],
        source_version_id=r["source_version_id"],
        annotated_version_id=r["annotated_version_id"],
        iteration=Iteration(Order(it["order"]), it["random_seed"], it["limit"], it["clip_length"]),
        default_labels=list(r["default_labels"]),
        status=TaskStatus(r["status"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        selection=Selection(FilterMode(sel["mode"]), sel["filters"]),
        label_set=list(r["label_set"]),
        completed_at=r["completed_at"],
        label_colors=json.loads(r["label_colors"]),
    )


def _filters(q: TaskQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = ["team = $1"]
    args: list[Any] = [q.team]
    if q.scope is Scope.MINE:
        args.append(q.actor)
        where.append(f"owner = ${len(args)}")
    if q.status is not None:
        args.append(q.status.value)
        where.append(f"status = ${len(args)}")
    if q.dataset_id:
        args.append(q.dataset_id)
        where.append(f"dataset_id = ${len(args)}")
    if q.only is not None:
        args.append(list(q.only))
        where.append(f"task_id = ANY(${len(args)}::text[])")
    return where, args


class TaskRepository:
    """Tasks table."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, t: Task) -> None:
        """Insert a task."""
        it = t.iteration
        await self.conn.execute(
            "INSERT INTO tasks (task_id, name, owner, team, dataset_id, source_version_id, annotated_version_id,"
            " iteration, default_labels, selection, label_set)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9,$10::jsonb,$11)",
            t.task_id,
            t.name,
            t.owner,
            t.team,
            t.dataset_id,
            t.source_version_id,
            t.annotated_version_id,
            json.dumps(
                {
                    "order": it.order.value,
                    "random_seed": it.random_seed,
                    "limit": it.limit,
                    "clip_length": it.clip_length,
                }
            ),
            t.default_labels,
            json.dumps({"mode": t.selection.mode.value, "filters": t.selection.filters}),
            t.label_set,
        )

    async def get(self, task_id: str, *, for_update: bool = False) -> Task | None:
        """Load one task."""
        sql = "SELECT * FROM tasks WHERE task_id = $1" + (" FOR UPDATE" if for_update else "")
        r = await self.conn.fetchrow(sql, task_id)
        return _task(r) if r else None

    async def set_status(self, task_id: str, status: TaskStatus) -> None:
        """Complete or reopen."""
        await self.conn.execute(
            "UPDATE tasks SET status = $2, updated_at = now(),"
            " completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE task_id = $1",
            task_id,
            status.value,
        )

    async def set_label_color(self, task_id: str, label: str, color: str) -> None:
        """Set one label's color (other labels' colors stay)."""
        await self.conn.execute(
            "UPDATE tasks SET label_colors = label_colors || jsonb_build_object($2::text, $3::text) WHERE task_id = $1",
            task_id,
            label,
            color,
        )

    async def delete(self, task_id: str) -> None:
        """Remove a task."""
        await self.conn.execute("DELETE FROM tasks WHERE task_id = $1", task_id)

    async def list_page(self, q: TaskQuery, limit: int, after: tuple[Any, str] | None) -> tuple[list[Task], int]:
        """A page of tasks matching the view options in the chosen order, and the matching total."""
        where, args = _filters(q)
        total = await self.conn.fetchval(f"SELECT count(*) FROM tasks WHERE {' AND '.join(where)}", *args)
        key, order = (
            ("updated_at", "updated_at DESC, task_id DESC")  # RECENT: last changed first, as the cards show
            if q.sort is SortBy.RECENT
            else ("lower(name)", "lower(name), task_id")
        )
        if after is not None:
            args += [after[0], after[1]]
            op = "<" if q.sort is SortBy.RECENT else ">"
            where.append(f"({key}, task_id) {op} (${len(args) - 1}, ${len(args)})")
        args.append(limit)
        rows = await self.conn.fetch(
            f"SELECT * FROM tasks WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ${len(args)}", *args
        )
        return [_task(r) for r in rows], int(total)


class TasksUnitOfWork(PgUnitOfWork):
    """One transaction with the tasks repository; domain events are mapped to protobuf by adapters/messages.py."""

    def emit(self, *events: Event) -> None:
        """Queue domain events to append at commit."""
        self.collect(*(new_event(e) for e in events))

    async def emit_now(self, event: Event) -> int:
        """Append one domain event now (in the transaction); returns its stream version (the task's revision)."""
        [version] = await self.append([new_event(event)])
        return version

    @property
    def tasks(self) -> TaskRepository:
        """Tasks in this transaction."""
        return TaskRepository(self.conn)
