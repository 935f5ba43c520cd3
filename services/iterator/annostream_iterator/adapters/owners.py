"""Which team owns a task, as the iterator learned it from TaskCreated (cached: a task's team never changes)."""

from __future__ import annotations

from collections import OrderedDict
from typing import cast

from annostream_kernel.db import Conn


class TaskOwners:
    """Task id → owning team, read once per process from the tasks table (least recently used dropped first)."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._teams: OrderedDict[str, str] = OrderedDict()

    async def team_of(self, conn: Conn, task_id: str) -> str | None:
        """The task's team, or None when the iterator does not know the task (or not its team)."""
        team = self._teams.get(task_id)
        if team is not None:
            self._teams.move_to_end(task_id)
            return team
        team = cast(str | None, await conn.fetchval("SELECT team FROM tasks WHERE task_id = $1", task_id))
        if team is not None:
            self._teams[task_id] = team
            if len(self._teams) > self._size:
                self._teams.popitem(last=False)
        return team

    async def teams_of(self, conn: Conn, task_ids: list[str]) -> dict[str, str]:
        """Known tasks' teams among `task_ids` (one query for those not cached)."""
        out = {t: team for t in task_ids if (team := self._teams.get(t)) is not None}
        missing = [t for t in task_ids if t not in out]
        if missing:
            rows = await conn.fetch(
                "SELECT task_id, team FROM tasks WHERE task_id = ANY($1::text[]) AND team IS NOT NULL", missing
            )
            out.update({r["task_id"]: r["team"] for r in rows})
        return out
