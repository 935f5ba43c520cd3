"""Frame id lists for exports: a task's plan, or a version's frames matching a selection, page by page.

A plan is paged by frame id over its unique (task_id, frame_id) index, one short query per page. A selection is
evaluated once, as a cursor in one read-only transaction (its ROI joins aggregate over the whole lineage, so
re-running it per page would make an export quadratic), fetched a page at a time as the caller reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from annostream_kernel.errors import InvalidArgument, NotFound
from annostream_kernel.policy import Permission

from ..adapters.compile import Params, selection_sql
from ..adapters.index import IndexStore
from ..adapters.plans import frames_cte
from ..domain.ast import Selection
from .handlers import PLAN_PENDING, IteratorHandlers, load_task

DEFAULT_PAGE, MAX_PAGE = 1000, 5000


def page_size(n: int) -> int:
    """The requested page size (0 = default), or InvalidArgument naming page_size."""
    if n < 0 or n > MAX_PAGE:
        raise InvalidArgument(f"must be 0..{MAX_PAGE}", field="page_size")
    return n or DEFAULT_PAGE


async def plan_frames(h: IteratorHandlers, task_id: str, size: int) -> AsyncIterator[tuple[str, list[str]]]:
    """(the task's version, a page of its planned frame ids) in frame id order; READ on the task."""
    async with h.pool.acquire() as conn:
        await h.authorize(conn, Permission.READ, task_id)
        plan = await load_task(conn, task_id)
    if plan.pending:  # not built yet: an empty list now would be a wrong answer, not a late one
        raise NotFound(PLAN_PENDING.format(task_id), field="task_id", details={"plan_pending": True})
    after = ""
    while True:
        async with h.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT frame_id FROM plan WHERE task_id = $1 AND frame_id > $2 ORDER BY frame_id LIMIT $3",
                task_id,
                after,
                size,
            )
        ids = [r["frame_id"] for r in rows]
        if ids:
            yield plan.version_id, ids
        if len(ids) < size:
            return
        after = ids[-1]


async def version_known(pool: asyncpg.Pool, version_id: str) -> bool:
    """Whether this iterator has learned the version from the datasets stream yet."""
    async with pool.acquire() as conn:
        return await IndexStore(conn).lineage(version_id) is not None


async def selected_frames(pool: asyncpg.Pool, version_id: str, sel: Selection, size: int) -> AsyncIterator[list[str]]:
    """Pages of the version's frame ids (own and inherited) matching `sel`, in frame id order."""
    if not version_id:
        raise InvalidArgument("is required", field="version_id")
    async with pool.acquire() as conn:
        lineage = await IndexStore(conn).lineage(version_id)
        if lineage is None:
            raise NotFound(f"no version {version_id!r} (or not yet known to the iterator)", field="version_id")
        p = Params()
        ctes = frames_cte(lineage, p, None)
        joins, pred = selection_sql(sel, list(lineage), p)
        sql = f"WITH {ctes} SELECT f.frame_id FROM f{joins} WHERE {pred} ORDER BY f.frame_id"
        async with conn.transaction(readonly=True, isolation="repeatable_read"):
            cursor = await conn.cursor(sql, *p.values)
            while page := await cursor.fetch(size):
                yield [r["frame_id"] for r in page]
                if len(page) < size:
                    return
