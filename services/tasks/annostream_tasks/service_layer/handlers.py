"""Handlers of the tasks service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from annostream_kernel.authz import authorize_team
from annostream_kernel.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unavailable
from annostream_kernel.ids import new_id
from annostream_kernel.limits import MAX_PAGE_BYTES
from annostream_kernel.logs import get_logger
from annostream_kernel.policy import Permission

from ..domain import events
from ..domain.commands import CompleteTask, CreateTask, DeleteTask, ReopenTask, SetLabelColor
from ..domain.model import FilterMode, Task, TaskQuery, TaskStatus
from .access import task_for, task_to_close
from .paging import decode_cursor, encode_cursor
from .ports import EditPositions, FrameIterator, Progress, UnitOfWork, VersionCatalog, VersionInfo

UowFactory = Callable[[], UnitOfWork]
log = get_logger(__name__)
MAX_PAGE = 500


@dataclass(frozen=True)
class TaskInfo:
    """What the task's Info shows: the task, its versions and progress."""

    task: Task
    source: VersionInfo | None
    annotated: VersionInfo | None
    progress: Progress


async def create_task(
    uow_factory: UowFactory,
    catalog: VersionCatalog,
    iterator: FrameIterator,
    cmd: CreateTask,
    positions: EditPositions,
) -> Task:
    """Create a task; on a Published version, first have the datasets service create a Draft child
    version named like the task, and annotate that child. Everything is validated before the child exists.
    A Draft is annotated in place only by a task of the team that owns it. The task records the annotation
    stream position covering every edit acknowledged before this call: the iterator plans it as of that position
    (its filters see those edits)."""
    authorize_team(Permission.MANAGE, cmd.team)
    if not cmd.dataset_version_id:
        raise InvalidArgument("is required", field="dataset_version_id")
    cmd.selection.check()
    if cmd.selection.mode is FilterMode.CUSTOM:
        await iterator.validate_selection(cmd.selection)
    try:
        source, edits_seq = await asyncio.gather(
            catalog.get_version(cmd.dataset_version_id), positions.published_position()
        )
    except NotFound as exc:
        raise NotFound(f"no dataset version {cmd.dataset_version_id!r}", field="dataset_version_id") from exc
    annotated = source
    if source.published:
        annotated = await catalog.create_child(source.dataset_id, source.version_id, cmd.name)
    elif source.team != cmd.team:
        raise PermissionDenied(
            f"version {source.version_id} is a Draft of team {source.team!r}: a task annotates a Draft of its own"
            " team in place, or a child of a Published version",
            field="dataset_version_id",
            details={"permission": Permission.ANNOTATE.value, "team": source.team},
        )
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
        uow.emit(events.TaskCreated(task, edits_seq, cmd.review))
        stored = await uow.tasks.get(task.task_id)
        await uow.commit()
    assert stored is not None
    return stored


async def get_task(uow_factory: UowFactory, task_id: str) -> Task:
    """Load a task the caller may read, or raise NotFound."""
    if not task_id:
        raise InvalidArgument("is required", field="task_id")
    async with uow_factory() as uow:
        task = await uow.tasks.get(task_id)
    return task_for(Permission.READ, task, task_id)


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
    """A page of the team's tasks matching the view options, the next page token and the matching total."""
    authorize_team(Permission.READ, query.team)
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
    uow_factory: UowFactory,
    cmd: CompleteTask | ReopenTask,
    *,
    iterator: FrameIterator,
    catalog: VersionCatalog,
) -> Task:
    """Complete (Active → Completed) or reopen (Completed → Active); its owner, or an admin of its team.

    The iterator records a completion before it commits here (so once this answers, NextFrame leases nothing;
    if the iterator cannot confirm it, nothing is committed), and a reopening after (if it cannot be told,
    it learns from TaskReopened: leases resume a little later, never too early). A task whose version is
    Published is not reopened (the datasets service is asked before the commit; if it cannot tell, nothing is
    reopened); a publish racing the reopen is held by the iterator's seal instead."""
    task_id = cmd.task_id
    if not task_id:
        raise InvalidArgument("is required", field="task_id")
    completing = isinstance(cmd, CompleteTask)
    wanted = TaskStatus.COMPLETED if completing else TaskStatus.ACTIVE
    current = TaskStatus.ACTIVE if completing else TaskStatus.COMPLETED
    async with uow_factory() as uow:
        task = task_to_close(await uow.tasks.get(task_id, for_update=True), task_id)
        task.ensure_status(current, "complete it" if wanted is TaskStatus.COMPLETED else "reopen it")
        if not completing:
            task.ensure_reopenable(await _annotated_published(catalog, task))
        await uow.tasks.set_status(task_id, wanted)
        revision = await uow.emit_now(events.TaskCompleted(task_id) if completing else events.TaskReopened(task_id))
        if completing:
            await iterator.set_status(task_id, "completed", revision)
        stored = await uow.tasks.get(task_id)
        await uow.commit()
    if not completing:
        await _tell_reopened(iterator, task_id, revision)
    assert stored is not None
    return stored


async def _annotated_published(catalog: VersionCatalog, task: Task) -> bool:
    try:
        return (await catalog.get_version(task.annotated_version_id)).published
    except NotFound as exc:
        raise FailedPrecondition(
            f"the version task {task.task_id} annotates, {task.annotated_version_id}, is gone: cannot reopen it",
            field="task_id",
        ) from exc


async def _tell_reopened(iterator: FrameIterator, task_id: str, revision: int) -> None:
    try:
        await iterator.set_status(task_id, "active", revision)
    except Unavailable as err:  # committed: the iterator learns it from TaskReopened instead
        log.warning("task_reopen_not_told", task_id=task_id, error=err.message)


async def delete_task(uow_factory: UowFactory, cmd: DeleteTask, *, iterator: FrameIterator) -> None:
    """Delete a task (its owner, or an admin of its team); the iterator records the deletion before it commits
    here (NextFrame refuses it from then on), TaskDeleted then lets it free the plan and leases."""
    task_id = cmd.task_id
    if not task_id:
        raise InvalidArgument("is required", field="task_id")
    async with uow_factory() as uow:
        task = task_to_close(await uow.tasks.get(task_id, for_update=True), task_id)
        await uow.tasks.delete(task_id)
        revision = await uow.emit_now(events.TaskDeleted(task_id, task.annotated_version_id))
        await iterator.set_status(task_id, "deleted", revision)
        await uow.commit()


async def set_label_color(uow_factory: UowFactory, cmd: SetLabelColor) -> Task:
    """Set a label's color for the task's team (LabelColorSet); the same color again changes nothing."""
    if not cmd.task_id:
        raise InvalidArgument("is required", field="task_id")
    async with uow_factory() as uow:
        task = task_for(Permission.ANNOTATE, await uow.tasks.get(cmd.task_id, for_update=True), cmd.task_id)
        if task.label_colors.get(cmd.label) == cmd.color:
            return task
        task.ensure_label_color_fits(cmd.label)
        await uow.tasks.set_label_color(cmd.task_id, cmd.label, cmd.color)
        uow.emit(events.LabelColorSet(cmd.task_id, cmd.label, cmd.color))
        stored = await uow.tasks.get(cmd.task_id)
        await uow.commit()
    assert stored is not None
    return stored
