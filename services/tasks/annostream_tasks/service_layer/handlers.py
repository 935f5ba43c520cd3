"""Handlers of the tasks service."""

from __future__ import annotations

from collections.abc import Callable

from annostream_kernel.errors import InvalidArgument, NotFound
from annostream_kernel.ids import new_id

from ..adapters import messages
from ..adapters.datasets_client import VersionCatalog
from ..adapters.postgres import TasksUnitOfWork, decode_cursor, encode_cursor
from ..domain.model import CreateTask, Task

UowFactory = Callable[[], TasksUnitOfWork]
MAX_PAGE = 500


async def create_task(uow_factory: UowFactory, catalog: VersionCatalog, cmd: CreateTask) -> Task:
    """Create a task; on a Published version, first have the datasets service create a Draft child
    version named like the task, and annotate that child."""
    if not cmd.dataset_version_id:
        raise InvalidArgument("is required", field="dataset_version_id")
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


async def list_tasks(
    uow_factory: UowFactory, team: str, page_size: int, page_token: str
) -> tuple[list[Task], str, int]:
    """A page of the team's tasks (most recent first), the next page token and the total."""
    if page_size < 0 or page_size > MAX_PAGE:
        raise InvalidArgument(f"must be between 0 and {MAX_PAGE}", field="page_size")
    size = page_size or 50
    after = decode_cursor(page_token) if page_token else None
    async with uow_factory() as uow:
        tasks, total = await uow.tasks.list_recent(team, size + 1, after)
    token = ""
    if len(tasks) > size:
        tasks = tasks[:size]
        last = tasks[-1]
        assert last.created_at is not None
        token = encode_cursor(last.created_at, last.task_id)
    return tasks, token, total
