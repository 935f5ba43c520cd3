"""Reopening a task: refused once the version it annotates is Published, and nothing is reopened when the datasets
service cannot tell (the handler over in-memory stand-ins of its ports)."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Self

import pytest

from annostream_kernel.authz import bind_principal, member
from annostream_kernel.errors import FailedPrecondition, NotFound, Unavailable
from annostream_tasks.domain import events
from annostream_tasks.domain.commands import CompleteTask, ReopenTask
from annostream_tasks.domain.model import Iteration, Order, Task, TaskStatus
from annostream_tasks.service_layer import handlers
from annostream_tasks.service_layer.ports import VersionInfo

TASK = Task(
    task_id="task_1",
    name="label",
    owner="ann",
    team="t",
    dataset_id="ds_1",
    source_version_id="ver_src",
    annotated_version_id="ver_child",
    iteration=Iteration.build(Order.SEQUENTIAL, None, 0, 0),
    status=TaskStatus.COMPLETED,
)


class Store:
    """The tasks table and the committed events of the stand-in unit of work."""

    def __init__(self, task: Task) -> None:
        self.task, self.events = task, list[events.Event]()


class Uow:
    """One stand-in transaction: changes reach the store only at commit."""

    def __init__(self, store: Store) -> None:
        self._store, self._status, self._events = store, store.task.status, list[events.Event]()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None):
        return None

    @property
    def tasks(self) -> Uow:
        return self

    async def get(self, task_id: str, *, for_update: bool = False) -> Task | None:
        return replace(self._store.task, status=self._status) if task_id == self._store.task.task_id else None

    async def set_status(self, task_id: str, status: TaskStatus) -> None:
        self._status = status

    async def emit_now(self, event: events.Event) -> int:
        self._events.append(event)
        return len(self._store.events) + len(self._events)

    async def commit(self) -> None:
        self._store.task = replace(self._store.task, status=self._status)
        self._store.events += self._events


class Catalog:
    """The datasets service as the tasks service sees it: one version, or an error."""

    def __init__(self, *, published: bool = False, error: Exception | None = None) -> None:
        self.published, self.error, self.asked = published, error, list[str]()

    async def get_version(self, version_id: str) -> VersionInfo:
        self.asked.append(version_id)
        if self.error is not None:
            raise self.error
        return VersionInfo(version_id, "ds_1", "label", self.published)

    async def create_child(self, dataset_id: str, parent_version_id: str, name: str) -> VersionInfo:
        raise AssertionError("not asked")


class Iterator:
    """Records the statuses the iterator is told."""

    def __init__(self) -> None:
        self.told = list[tuple[str, str, int]]()

    async def set_status(self, task_id: str, status: str, revision: int) -> None:
        self.told.append((task_id, status, revision))


@pytest.fixture(autouse=True)
def owner() -> None:
    bind_principal(member("ann", "t"))


async def _reopen(store: Store, catalog: Catalog, iterator: Iterator) -> Task:
    return await handlers.set_status(
        lambda: Uow(store),  # type: ignore[arg-type,return-value]
        ReopenTask("task_1"),
        iterator=iterator,  # type: ignore[arg-type]
        catalog=catalog,
    )


def test_a_task_on_a_published_version_is_not_reopenable_and_the_refusal_says_what_to_do() -> None:
    TASK.ensure_reopenable(False)
    with pytest.raises(FailedPrecondition) as err:
        TASK.ensure_reopenable(True)
    assert err.value.field == "task_id" and err.value.details == {"version_id": "ver_child"}
    assert "ver_child" in err.value.message and "Published" in err.value.message
    assert "new task" in err.value.message


async def test_reopening_a_task_whose_version_is_published_is_refused_and_nothing_is_reopened() -> None:
    store, catalog, iterator = Store(TASK), Catalog(published=True), Iterator()
    with pytest.raises(FailedPrecondition, match="Published") as err:
        await _reopen(store, catalog, iterator)
    assert err.value.field == "task_id" and catalog.asked == ["ver_child"]
    assert store.task.status is TaskStatus.COMPLETED and store.events == [] and iterator.told == []


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (Unavailable("upstream error: down"), Unavailable),
        (NotFound("no version", field="version_id"), FailedPrecondition),
    ],
)
async def test_a_datasets_service_that_cannot_tell_leaves_the_task_completed(
    error: Exception, refused: type[Exception]
) -> None:
    store, iterator = Store(TASK), Iterator()
    with pytest.raises(refused) as err:
        await _reopen(store, Catalog(error=error), iterator)
    if refused is FailedPrecondition:
        assert getattr(err.value, "field", None) == "task_id"
    assert store.task.status is TaskStatus.COMPLETED and store.events == [] and iterator.told == []


async def test_a_task_on_a_draft_is_reopened_and_the_iterator_told_after_the_commit() -> None:
    store, iterator = Store(TASK), Iterator()
    reopened = await _reopen(store, Catalog(published=False), iterator)
    assert reopened.status is TaskStatus.ACTIVE and store.events == [events.TaskReopened("task_1")]
    assert iterator.told == [("task_1", "active", 1)]


async def test_completing_does_not_ask_the_datasets_service() -> None:
    store, catalog, iterator = Store(replace(TASK, status=TaskStatus.ACTIVE)), Catalog(published=True), Iterator()
    done = await handlers.set_status(
        lambda: Uow(store),  # type: ignore[arg-type,return-value]
        CompleteTask("task_1"),
        iterator=iterator,  # type: ignore[arg-type]
        catalog=catalog,
    )
    assert done.status is TaskStatus.COMPLETED and catalog.asked == [] and iterator.told == [("task_1", "completed", 1)]
