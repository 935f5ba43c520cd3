"""Frame id lists for exports: a task's plan, or a version's frames matching a selection, page by page.

A plan is paged by frame id over its unique (task_id, frame_id) index, one short query per page. A selection is
evaluated once, as a cursor in one read-only transaction (its ROI joins aggregate over the whole lineage, so
re-running it per page would make an export quadratic), fetched a page at a time as the caller reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from annostream_kernel.errors import InvalidArgument, NotFound
from annostream_kernel.policy import Permission

from ..domain.ast import Selection
from ..domain.model import TaskPlan
from .handlers import PLAN_PENDING, IteratorHandlers, load_task
from .ports import UnitOfWorkFactory

DEFAULT_PAGE, MAX_PAGE = 1000, 5000
PLAN_POLL_SECONDS = 0.05


async def _built_plan(h: IteratorHandlers, task_id: str, deadline: float) -> TaskPlan:
    """The task once its plan is built; past the monotonic deadline, NotFound with details plan_pending."""
    while True:
        async with h.uow(transaction=False) as uow:
            await h.authorize(uow, Permission.READ, task_id)
            plan = await load_task(uow, task_id)
        if not plan.pending:
            return plan
        if time.monotonic() >= deadline:  # not built yet: an empty list now would be a wrong answer, not a late one
            raise NotFound(PLAN_PENDING.format(task_id), field="task_id", details={"plan_pending": True})
        await asyncio.sleep(PLAN_POLL_SECONDS)


def page_size(n: int) -> int:
    """The requested page size (0 = default), or InvalidArgument naming page_size."""
    if n < 0 or n > MAX_PAGE:
        raise InvalidArgument(f"must be 0..{MAX_PAGE}", field="page_size")
    return n or DEFAULT_PAGE


async def plan_frames(
    h: IteratorHandlers, task_id: str, size: int, *, wait: float = 0.0
) -> AsyncIterator[tuple[str, list[str]]]:
    """(the task's version, a page of its planned frame ids) in frame id order; READ on the task. A pending plan
    is waited for up to `wait` seconds (no connection held meanwhile), then NotFound with details plan_pending."""
    plan = await _built_plan(h, task_id, time.monotonic() + wait)
    after = ""
    while True:
        async with h.uow(transaction=False) as uow:
            ids = await uow.plan_page(task_id, after, size)
        if ids:
            yield plan.version_id, ids
        if len(ids) < size:
            return
        after = ids[-1]


async def selected_frames(
    uow_factory: UnitOfWorkFactory, version_id: str, sel: Selection, size: int
) -> AsyncIterator[list[str]]:
    """Pages of the version's frame ids (own and inherited) matching `sel`, in frame id order."""
    if not version_id:
        raise InvalidArgument("is required", field="version_id")
    async with uow_factory(transaction=False) as uow:
        lineage = await uow.index.lineage(version_id)
        if lineage is None:
            raise NotFound(f"no version {version_id!r} (or not yet known to the iterator)", field="version_id")
        async for page in uow.selected_frames(lineage, sel, size):
            yield page
