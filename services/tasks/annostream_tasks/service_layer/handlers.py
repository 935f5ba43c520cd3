"""Handlers of the tasks service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from annostream_kernel.errors import InvalidArgument, NotFound
from annostream_kernel.ids import new_id
from annostream_kernel.limits import MAX_PAGE_BYTES

from ..adapters import messages
from ..adapters.datasets_client import VersionCatalog, VersionInfo
from ..adapters.iterator_client import FrameIterator, Progress
from ..adapters.postgres import TasksUnitOfWork, decode_cursor, encode_cursor
from ..domain.model import CreateTask, FilterMode, SetLabelColor, Task, TaskQuery, TaskStatus

UowFactory = Callable[[], TasksUnitOfWork]
MAX_PAGE = 500


@dataclass(frozen=True)
class TaskInfo:
    """What the task's Info shows: the task, its versions and progress."""

    task: Task
    source: VersionInfo | None
    annotated: VersionInfo | None
    progress: Progress


async def create_task(
    uow_factory: UowFactory, catalog: VersionCatalog, iterator: FrameIterator, cmd: CreateTask
) -> Task:
    """Create a task; on a Published version, first have the datasets service create a Draft child
    version named like the task, and annotate that child. Everything is validated before the child exists."""
    if not cmd.dataset_version_id:
        raise InvalidArgument("is required", field="dataset_version_id")
    cmd.selection.check()
    if cmd.selection.mode is FilterMode.CUSTOM:
        await iterator.validate_selection(messages.selection_msg(cmd.selection))
    try:
        source = await catalog.get_version(cmd.dataset_version_id)
    except NotFound as exc:
        raise NotFound(f"no dataset version {cmd.dataset_version_id!r}", field="dataset_version_id") from exc
    annotated = source
    if source.published:
        annotated = await catalog.create_child(source.dataset_id, source.version_id, cmd.name)
    task = Task(
        task_id=new_id("task_"),
        name=cmd.name,
        owner=cmd.owner,
        team=cmd.team,
        dataset_id=source.dataset_id,
        source_version_id=source.version_id,
        annotated_version_id=annotated.version_id,
        iteration=cmd.iteration,
        default_labels=cmd.default_labels,
        selection=cmd.selection,
        label_set=cmd.label_set,
    )
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        uow.collect(messages.task_created(task))
        stored = await uow.tasks.get(task.task_id)
        await uow.commit()
    assert stored is not None
    return stored


async def get_task(uow_factory: UowFactory, task_id: str) -> Task:
    """Load a task or raise NotFound."""
    if not task_id:
        raise InvalidArgument("is required", field="task_id")
    async with uow_factory() as uow:
        task = await uow.tasks.get(task_id)
    if task is None:
        raise NotFound(f"no task {task_id!r}", field="task_id")
    return task


async def _version_or_none(catalog: VersionCatalog, version_id: str) -> VersionInfo | None:
    try:
        return await catalog.get_version(version_id)
    except NotFound:
        return None


async def task_info(
    uow_factory: UowFactory, catalog: VersionCatalog, iterator: FrameIterator, task_id: str
) -> TaskInfo:
    """The task with its source and annotated versions and its progress (asked concurrently)."""
    task = await get_task(uow_factory, task_id)
    source, annotated, progress = await asyncio.gather(
        _version_or_none(catalog, task.source_version_id),
        _version_or_none(catalog, task.annotated_version_id),
        iterator.progress(task.task_id),
    )
    return TaskInfo(task, source, annotated, progress)


async def list_tasks(
    uow_factory: UowFactory, query: TaskQuery, page_size: int, page_token: str
) -> tuple[list[Task], str, int]:
    """A page of tasks matching the view options, the next page token and the matching total."""
    if page_size < 0 or page_size > MAX_PAGE:
        raise InvalidArgument(f"must be between 0 and {MAX_PAGE}", field="page_size")
    size = page_size or 50
    after = decode_cursor(page_token, query.sort) if page_token else None
    async with uow_factory() as uow:
        tasks, total = await uow.tasks.list_page(query, size + 1, after)
    token = ""
    if len(tasks) > size:
        tasks = tasks[:size]
        token = encode_cursor(tasks[-1], query.sort)
    used = 0
    for i, task in enumerate(tasks):  # tasks with large label sets: the page stops before MAX_PAGE_BYTES
        used += _approx_bytes(task)
        if i and used > MAX_PAGE_BYTES:
            tasks = tasks[:i]
            token = encode_cursor(tasks[-1], query.sort)
            break
    return tasks, token, total


def _approx_bytes(t: Task) -> int:
    """About what a task takes in a response (never less): its texts plus a fixed part."""
    labels = sum(len(label) + 3 for label in (*t.default_labels, *t.label_set))
    colors = sum(len(k) + len(v) + 8 for k, v in t.label_colors.items())
    return 1_024 + 4 * (len(t.name) + labels + colors + len(str(t.selection.filters)))


async def set_status(
    uow_factory: UowFactory, task_id: str, wanted: TaskStatus, actor: str, team: str, role: str
) -> Task:
    """Complete (Active → Completed) or reopen (Completed → Active); owner or team admin only."""
    if not task_id:
        raise InvalidArgument("is required", field="task_id")
    current = TaskStatus.ACTIVE if wanted is TaskStatus.COMPLETED else TaskStatus.COMPLETED
    async with uow_factory() as uow:
        task = await uow.tasks.get(task_id, for_update=True)
        if task is None:
            raise NotFound(f"no task {task_id!r}", field="task_id")
        task.ensure_manageable_by(actor, team, role)
        task.ensure_status(current, "complete it" if wanted is TaskStatus.COMPLETED else "reopen it")
        await uow.tasks.set_status(task_id, wanted)
        uow.collect(messages.task_completed(task) if wanted is TaskStatus.COMPLETED else messages.task_reopened(task))
        stored = await uow.tasks.get(task_id)
        await uow.commit()
    assert stored is not None
    return stored


async def delete_task(uow_factory: UowFactory, task_id: str, actor: str, team: str, role: str) -> None:
    """Delete a task (owner or team admin); TaskDeleted lets the iterator free its leases."""
    if not task_id:
        raise InvalidArgument("is required", field="task_id")
    async with uow_factory() as uow:
        task = await uow.tasks.get(task_id, for_update=True)
        if task is None:
            raise NotFound(f"no task {task_id!r}", field="task_id")
        task.ensure_manageable_by(actor, team, role)
        await uow.tasks.delete(task_id)
        uow.collect(messages.task_deleted(task))
        await uow.commit()


async def set_label_color(uow_factory: UowFactory, cmd: SetLabelColor) -> Task:
    """Set a label's color for the task's team (LabelColorSet); the same color again changes nothing."""
    if not cmd.task_id:
        raise InvalidArgument("is required", field="task_id")
    async with uow_factory() as uow:
        task = await uow.tasks.get(cmd.task_id, for_update=True)
        if task is None:
            raise NotFound(f"no task {cmd.task_id!r}", field="task_id")
        task.ensure_team_member(cmd.team)
        if task.label_colors.get(cmd.label) == cmd.color:
            return task
        task.ensure_label_color_fits(cmd.label)
        await uow.tasks.set_label_color(cmd.task_id, cmd.label, cmd.color)
        uow.collect(messages.label_color_set(cmd.task_id, cmd.label, cmd.color))
        stored = await uow.tasks.get(cmd.task_id)
        await uow.commit()
    assert stored is not None
    return stored
