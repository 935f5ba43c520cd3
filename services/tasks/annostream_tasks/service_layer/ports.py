"""Ports of the tasks service layer: its storage (the unit of work) and the peers it asks (adapters fulfil them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from annostream_kernel.uow import UnitOfWorkPort

from ..domain.events import Event
from ..domain.model import Selection, Task, TaskQuery, TaskStatus


@dataclass(frozen=True)
class VersionInfo:
    """What the tasks service needs to know about a version."""

    version_id: str
    dataset_id: str
    name: str
    published: bool
    frame_count: int = 0
    parent_version_id: str = ""
    team: str = ""


@dataclass(frozen=True)
class Progress:
    """Frames done / total; known=False when the iterator could not tell."""

    done: int = 0
    total: int = 0
    known: bool = False
    plan_pending: bool = False


class VersionCatalog(Protocol):
    """Reads versions and creates child versions (the datasets service)."""

    async def get_version(self, version_id: str) -> VersionInfo:
        """The version, or NotFound."""
        ...

    async def create_child(self, dataset_id: str, parent_version_id: str, name: str) -> VersionInfo:
        """A new Draft child of a Published version."""
        ...


class FrameIterator(Protocol):
    """What the tasks service asks the iterator."""

    async def validate_selection(self, selection: Selection) -> None:
        """Raise InvalidArgument naming the field when the custom filters are wrong."""
        ...

    async def progress(self, task_id: str) -> Progress:
        """The task's progress (0/0, known=False, when the iterator cannot tell)."""
        ...

    async def set_status(self, task_id: str, status: str, revision: int) -> None:
        """Record the task's status in the iterator now (`active`, `completed` or `deleted`, decided at the
        task stream's `revision`); Unavailable when the iterator did not confirm it."""
        ...


class EditPositions(Protocol):
    """Where the annotation events acknowledged so far end (the annotation service)."""

    async def published_position(self) -> int:
        """The annotation stream sequence covering every edit acknowledged before this call (Unavailable when
        the annotation service cannot tell)."""
        ...


class Tasks(Protocol):
    """The tasks table."""

    async def add(self, t: Task) -> None: ...
    async def get(self, task_id: str, *, for_update: bool = False) -> Task | None: ...
    async def set_status(self, task_id: str, status: TaskStatus) -> None: ...
    async def set_label_color(self, task_id: str, label: str, color: str) -> None: ...
    async def delete(self, task_id: str) -> None: ...
    async def list_page(self, q: TaskQuery, limit: int, after: tuple[Any, str] | None) -> tuple[list[Task], int]: ...


class UnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction over the tasks table; events commit with the state."""

    @property
    def tasks(self) -> Tasks:
        """Tasks in this transaction."""
        ...

    def emit(self, *events: Event) -> None: ...
    async def emit_now(self, event: Event) -> int: ...
