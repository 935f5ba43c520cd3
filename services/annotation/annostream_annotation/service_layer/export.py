"""ExportFrames: a version's frames with their annotation state, page by page, for the format writers.

Each page is read on a connection taken for that page only, so a slow reader holds no database connection; gRPC
flow control stops the pages while the reader is behind, so memory stays at a page or two. Each frame is as of
the moment its page was read (a Published version cannot change, so its export is a snapshot).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import MAX_PAGE_BYTES
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.types.v1 import filters_pb2

from ..adapters.export_sql import PAGE_AFTER, PAGE_OF_IDS
from .ports import FrameLister

DEFAULT_PAGE, MAX_PAGE = 500, 1000
EMPTY_STATE = '{"rois": [], "frame_labels": [], "metadata": {}}'


@dataclass(frozen=True)
class ExportScope:
    """Which frames of a version an export covers."""

    version_id: str
    page_size: int = DEFAULT_PAGE
    task_id: str = ""
    selection: filters_pb2.FrameSelection | None = None
    edits_seq: int = 0  # the annotation stream position a selection must reflect (every edit acknowledged before)
    timeout: float | None = None  # the caller's time left (None: no deadline): the iterator's waits end within it

    @property
    def filtered(self) -> bool:
        """Whether the iterator must list the frames (a task's plan or a selection other than all frames)."""
        sel = self.selection
        return bool(self.task_id) or (sel is not None and sel.mode not in (0, filters_pb2.FILTER_MODE_ALL))

    @property
    def by_selection(self) -> bool:
        """Whether the iterator evaluates a selection for this export (not a task's plan)."""
        return self.filtered and not self.task_id


def page_size(n: int) -> int:
    """The requested page size (0 = default), or InvalidArgument naming page_size."""
    if n < 0 or n > MAX_PAGE:
        raise InvalidArgument(f"must be 0..{MAX_PAGE}", field="page_size")
    return n or DEFAULT_PAGE


def _frames(rows: list[asyncpg.Record]) -> Iterator[list[api.ExportedFrame]]:
    """The rows as messages of at most MAX_PAGE_BYTES each (heavily annotated frames: fewer per message; a
    frame larger than that alone travels alone, below the gRPC message limit)."""
    page: list[api.ExportedFrame] = []
    used = 0
    for r in rows:
        state = r["state"] or EMPTY_STATE
        size = len(r["base"]) + len(state) + len(r["frame_id"])
        if page and used + size > MAX_PAGE_BYTES:
            yield page
            page, used = [], 0
        page.append(
            api.ExportedFrame(
                frame_id=r["frame_id"], version=r["version"] or 0, base_json=r["base"], annotations_json=state
            )
        )
        used += size
    if page:
        yield page


async def _all(pool: asyncpg.Pool, scope: ExportScope) -> AsyncIterator[list[api.ExportedFrame]]:
    after = ""
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch(PAGE_AFTER, scope.version_id, after, scope.page_size)
        for page in _frames(rows):
            yield page
        if len(rows) < scope.page_size:
            return
        after = rows[-1]["frame_id"]


async def _ids(scope: ExportScope, lister: FrameLister) -> AsyncIterator[list[str]]:
    if scope.task_id:
        async for version_id, ids in lister.plan(scope.task_id, scope.timeout):
            if version_id != scope.version_id:
                raise InvalidArgument(f"task {scope.task_id} annotates another version", field="task_id")
            yield ids
    else:
        assert scope.selection is not None
        async for ids in lister.select(scope.version_id, scope.selection, scope.edits_seq, scope.timeout):
            yield ids


async def _listed(
    pool: asyncpg.Pool, scope: ExportScope, lister: FrameLister
) -> AsyncIterator[list[api.ExportedFrame]]:
    async for ids in _ids(scope, lister):
        for i in range(0, len(ids), scope.page_size):
            async with pool.acquire() as conn:
                rows = await conn.fetch(PAGE_OF_IDS, scope.version_id, ids[i : i + scope.page_size])
            for page in _frames(rows):
                yield page


def export_pages(
    pool: asyncpg.Pool, scope: ExportScope, lister: FrameLister | None
) -> AsyncIterator[list[api.ExportedFrame]]:
    """Pages of exported frames: every frame of the version in frame id order, or those the iterator lists."""
    if not scope.filtered:
        return _all(pool, scope)
    if lister is None:
        raise InvalidArgument("this annotation service has no iterator to filter with", field="selection")
    return _listed(pool, scope, lister)
