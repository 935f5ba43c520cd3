"""PostgreSQL repository of the tasks service."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.uow import PgUnitOfWork

from ..domain.model import Iteration, Order, Task, TaskStatus


def _task(r: asyncpg.Record) -> Task:
    it = json.loads(r["iteration"])
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
    )


def encode_cursor(created_at: datetime, task_id: str) -> str:
    """Opaque page token for keyset paging."""
    return base64.urlsafe_b64encode(json.dumps([created_at.isoformat(), task_id]).encode()).decode()


def decode_cursor(token: str) -> tuple[datetime, str]:
    """Invert encode_cursor; a bad token is INVALID_ARGUMENT."""
    try:
        ts, task_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(ts), str(task_id)
    except Exception as exc:
        raise InvalidArgument("is not a token returned by ListTasks", field="page_token") from exc


class TaskRepository:
    """Tasks table."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def add(self, t: Task) -> None:
        """Insert a task."""
        it = t.iteration
        await self.conn.execute(
            "INSERT INTO tasks (task_id, name, owner, team, dataset_id, source_version_id, annotated_version_id,"
            " iteration, default_labels) VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9)",
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
        )

    async def get(self, task_id: str) -> Task | None:
        """Load one task."""
        r = await self.conn.fetchrow("SELECT * FROM tasks WHERE task_id = $1", task_id)
        return _task(r) if r else None

    async def list_recent(self, team: str, limit: int, after: tuple[datetime, str] | None) -> tuple[list[Task], int]:
        """A page of the team's tasks, newest first, and the team's total."""
        if after is None:
            rows = await self.conn.fetch(
                "SELECT * FROM tasks WHERE team = $1 ORDER BY created_at DESC, task_id DESC LIMIT $2",
                team,
                limit,
            )
        else:
            rows = await self.conn.fetch(
                "SELECT * FROM tasks WHERE team = $1 AND (created_at, task_id) < ($3, $4)"
                " ORDER BY created_at DESC, task_id DESC LIMIT $2",
                team,
                limit,
                after[0],
                after[1],
            )
        total = await self.conn.fetchval("SELECT count(*) FROM tasks WHERE team = $1", team)
        return [_task(r) for r in rows], int(total)


class TasksUnitOfWork(PgUnitOfWork):
    """One transaction with the tasks repository."""

    @property
    def tasks(self) -> TaskRepository:
        """Tasks in this transaction."""
        return TaskRepository(self.conn)
