"""Who may read what events are about, as the webhooks service learns it from the datasets and tasks streams
(like the annotation service and the iterator learn owners): datasets (team, sharing), versions, tasks."""

from __future__ import annotations

from annostream_kernel.db import Conn

from ..domain.matching import Readers

VERSION_SQL = (
    "SELECT v.version_id, coalesce(nullif(v.team, ''), d.team, '') AS team, d.team AS dataset_team, d.shared_with"
    " FROM versions v LEFT JOIN datasets d USING (dataset_id) WHERE v.version_id = ANY($1::text[])"
)


def version_readers(team: str, dataset_team: str | None, shared_with: list[str] | None) -> Readers:
    """A version's readers: its team, and the teams its dataset is shared with when the dataset's team owns it
    (a child another team made on a shared dataset is that team's alone)."""
    shared = frozenset(shared_with or ()) if team == dataset_team else frozenset()
    return Readers(team, shared)


class OwnerBook:
    """Owners read and written in the consumer's transaction, remembered for the rest of the batch."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._datasets: dict[str, Readers | None] = {}
        self._versions: dict[str, Readers | None] = {}
        self._tasks: dict[str, str | None] = {}

    async def dataset_created(self, dataset_id: str, team: str) -> None:
        """Record a dataset's team."""
        await self.conn.execute(
            "INSERT INTO datasets (dataset_id, team) VALUES ($1, $2) ON CONFLICT (dataset_id) DO NOTHING",
            dataset_id,
            team,
        )
        self._datasets.pop(dataset_id, None)

    async def version_created(self, version_id: str, dataset_id: str, team: str) -> None:
        """Record a version's team ('' = its dataset's)."""
        await self.conn.execute(
            "INSERT INTO versions (version_id, dataset_id, team) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            version_id,
            dataset_id,
            team,
        )
        self._versions.pop(version_id, None)

    async def sharing_changed(self, dataset_id: str, teams: list[str]) -> None:
        """Record the teams a dataset is shared with now."""
        await self.conn.execute("UPDATE datasets SET shared_with = $2 WHERE dataset_id = $1", dataset_id, teams)
        self._datasets.pop(dataset_id, None)
        self._versions.clear()  # versions of the dataset carry its sharing

    async def task_created(self, task_id: str, team: str) -> None:
        """Record a task's team."""
        await self.conn.execute(
            "INSERT INTO tasks (task_id, team) VALUES ($1, $2) ON CONFLICT (task_id) DO NOTHING", task_id, team
        )
        self._tasks.pop(task_id, None)

    async def dataset(self, dataset_id: str) -> Readers | None:
        """The dataset's readers, or None when it is not known (yet)."""
        if dataset_id not in self._datasets:
            r = await self.conn.fetchrow("SELECT team, shared_with FROM datasets WHERE dataset_id = $1", dataset_id)
            self._datasets[dataset_id] = Readers(r["team"], frozenset(r["shared_with"])) if r else None
        return self._datasets[dataset_id]

    async def load_versions(self, version_ids: set[str]) -> None:
        """Read the owners of versions the batch needs in one query."""
        wanted = [v for v in version_ids if v not in self._versions]
        if not wanted:
            return
        rows = await self.conn.fetch(VERSION_SQL, wanted)
        for v in wanted:
            self._versions[v] = None
        for r in rows:
            self._versions[r["version_id"]] = version_readers(r["team"], r["dataset_team"], r["shared_with"])

    async def version(self, version_id: str) -> Readers | None:
        """The version's readers, or None when it is not known (yet)."""
        await self.load_versions({version_id})
        return self._versions[version_id]

    async def task(self, task_id: str) -> Readers | None:
        """The task's readers (its team), or None when it is not known (yet)."""
        if task_id not in self._tasks:
            self._tasks[task_id] = await self.conn.fetchval("SELECT team FROM tasks WHERE task_id = $1", task_id)
        team = self._tasks[task_id]
        return None if team is None else Readers(team)
