"""The iterator's unit of work: its stores over one connection, events appended in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from annostream_kernel.db import Conn
from annostream_kernel.events import append_events
from annostream_kernel.uow import PgUnitOfWork

from ..domain.ast import Selection
from ..domain.events import Event
from ..domain.review import HistoryEntry
from .comments_sql import CommentStore
from .compile import Params, selection_sql
from .index import IndexStore
from .leases import LeaseStore
from .messages import new_event
from .navigation import NavigationStore
from .owners import TaskOwners
from .plans import PlanStore, frames_cte, lock_frames_and_plans
from .review_reads import frame_history, review_tasks
from .review_sql import ReviewStore


class IteratorUnitOfWork(PgUnitOfWork):
    """One transaction (or, with `transaction=False`, one connection for a single statement or reads) with the
    iterator's stores; events queued with `collect()` are appended at `commit()`, which signals the relay only
    when there were events (a lease heartbeat or release costs no extra round trip)."""

    def __init__(
        self, pool: asyncpg.Pool, notify_channel: str, owners: TaskOwners, *, transaction: bool = True
    ) -> None:
        super().__init__(pool, notify_channel, transaction=transaction)
        self._owners = owners

    def emit(self, *events: Event) -> None:
        """Queue domain events (mapped to their protobuf events) to append at commit."""
        self.collect(*(new_event(e) for e in events))

    @property
    def leases(self) -> LeaseStore:
        """Leases, trails and done counts."""
        return LeaseStore(self.conn)

    @property
    def plans(self) -> PlanStore:
        """Tasks as the iterator knows them, and their plans."""
        return PlanStore(self.conn)

    @property
    def navigation(self) -> NavigationStore:
        """Reads of a plan for editor navigation."""
        return NavigationStore(self.conn)

    @property
    def index(self) -> IndexStore:
        """Versions (lineage) and frames as the datasets and annotation streams told them."""
        return IndexStore(self.conn)

    @property
    def reviews(self) -> ReviewStore:
        """Review settings, requests, leases and decisions."""
        return ReviewStore(self.conn)

    @property
    def comments(self) -> CommentStore:
        """Comment threads and quality figures."""
        return CommentStore(self.conn)

    async def team_of(self, task_id: str) -> str | None:
        """The task's team (cached per process), or None when unknown."""
        return await self._owners.team_of(self.conn, task_id)

    async def teams_of(self, task_ids: list[str]) -> dict[str, str]:
        """Known tasks' teams among `task_ids`."""
        return await self._owners.teams_of(self.conn, task_ids)

    async def lock_frames_and_plans(self) -> None:
        """Take the index/plan lock every plan writer takes first (no deadlock)."""
        await lock_frames_and_plans(self.conn)

    async def pending_plans(self, consumer: str) -> tuple[list[str], bool]:
        """Up to 100 tasks whose pending plan waits for an annotation sequence `consumer` has applied, and whether
        any plan is pending at all (one statement: the planner's idle poll)."""
        rows = await self.conn.fetch(
            "SELECT task_id, awaits_annotation_seq <= coalesce("
            " (SELECT stream_seq FROM consumer_positions WHERE consumer = $1), 0) AS ready"
            " FROM tasks WHERE awaits_annotation_seq > 0 ORDER BY awaits_annotation_seq, task_id LIMIT 100",
            consumer,
        )
        return [r["task_id"] for r in rows if r["ready"]], bool(rows)

    async def take_pending(self, task_id: str) -> int | None:
        """Claim a pending plan to build (its awaited sequence), or None when built or taken meanwhile."""
        awaits = await self.conn.fetchval(
            "SELECT awaits_annotation_seq FROM tasks WHERE task_id = $1 AND awaits_annotation_seq > 0"
            " FOR UPDATE SKIP LOCKED",
            task_id,
        )
        if awaits is not None:
            await self.conn.execute("UPDATE tasks SET awaits_annotation_seq = 0 WHERE task_id = $1", task_id)
        return None if awaits is None else int(awaits)

    async def plan_page(self, task_id: str, after: str, size: int) -> list[str]:
        """A page of the task's planned frame ids after `after`, in frame id order."""
        rows = await self.conn.fetch(
            "SELECT frame_id FROM plan WHERE task_id = $1 AND frame_id > $2 ORDER BY frame_id LIMIT $3",
            task_id,
            after,
            size,
        )
        return [r["frame_id"] for r in rows]

    async def selected_frames(self, lineage: list[str], sel: Selection, size: int) -> AsyncIterator[list[str]]:
        """Pages of the lineage's frame ids matching `sel` (one read-only cursor), in frame id order."""
        p = Params()
        ctes = frames_cte(lineage, p, None)
        joins, pred = selection_sql(sel, list(lineage), p)
        sql = f"WITH {ctes} SELECT f.frame_id FROM f{joins} WHERE {pred} ORDER BY f.frame_id"
        async with self.conn.transaction(readonly=True, isolation="repeatable_read"):
            cursor = await self.conn.cursor(sql, *p.values)
            while page := await cursor.fetch(size):
                yield [r["frame_id"] for r in page]
                if len(page) < size:
                    return

    async def frame_history(self, task_id: str, frame_id: str) -> list[HistoryEntry]:
        """A frame's review history, oldest first."""
        return await frame_history(self.conn, task_id, frame_id)

    async def review_tasks(self, team: str, user: str, *, may_review: bool) -> list[str]:
        """The team's tasks holding the user's review work."""
        return await review_tasks(self.conn, team, user, may_review=may_review)


def uow_factory(pool: asyncpg.Pool, notify_channel: str, owners: TaskOwners | None = None) -> UowMaker:
    """A factory of iterator units of work sharing one process-wide owners cache."""
    return UowMaker(pool, notify_channel, owners or TaskOwners())


class UowMaker:
    """Builds `IteratorUnitOfWork`s on one pool (what bootstrap hands to the handlers)."""

    def __init__(self, pool: asyncpg.Pool, notify_channel: str, owners: TaskOwners) -> None:
        self.pool, self.notify_channel, self.owners = pool, notify_channel, owners

    def __call__(self, *, transaction: bool = True) -> IteratorUnitOfWork:
        """A new unit of work (a transaction unless `transaction=False`)."""
        return IteratorUnitOfWork(self.pool, self.notify_channel, self.owners, transaction=transaction)


# The channel the consumers' appended events wake the relay on (the iterator's outbox).
CHANNEL = "iterator_events"


class ConsumerRepositories:
    """The iterator's stores over a consumer's connection (its transaction is the consumer's); events are appended
    at once, in that transaction."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.index, self.plans, self.leases = IndexStore(conn), PlanStore(conn), LeaseStore(conn)
        self.reviews = ReviewStore(conn)

    async def lock_frames_and_plans(self) -> None:
        """Take the index/plan lock every plan writer takes first (no deadlock)."""
        await lock_frames_and_plans(self.conn)

    async def applied_seq(self, consumer: str) -> int:
        """The stream sequence `consumer` has applied (committed)."""
        v = await self.conn.fetchval("SELECT stream_seq FROM consumer_positions WHERE consumer = $1", consumer)
        return int(v or 0)

    def savepoint(self) -> Any:
        """A savepoint in the consumer's transaction (a failure inside rolls back only to it)."""
        return self.conn.transaction()

    async def append(self, *events: Event) -> None:
        """Append domain events (mapped to their protobuf events) now, in the consumer's transaction."""
        await append_events(self.conn, [new_event(e) for e in events], notify_channel=CHANNEL)
