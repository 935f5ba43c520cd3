"""Domain events of the tasks service (past tense); adapters/messages.py maps each to its protobuf event."""

from __future__ import annotations

from dataclasses import dataclass

from .model import ReviewSpec, Task


@dataclass(frozen=True)
class TaskCreated:
    """A task was created; its plan must include the annotation stream up to `annotation_stream_seq`."""

    task: Task
    annotation_stream_seq: int = 0
    review: ReviewSpec | None = None


@dataclass(frozen=True)
class TaskCompleted:
    """A task was completed."""

    task_id: str


@dataclass(frozen=True)
class TaskReopened:
    """A completed task was reopened."""

    task_id: str


@dataclass(frozen=True)
class TaskDeleted:
    """A task was deleted (its annotated version stays)."""

    task_id: str
    annotated_version_id: str


@dataclass(frozen=True)
class LabelColorSet:
    """A label's color was set for everyone annotating the task."""

    task_id: str
    label: str
    color: str


Event = TaskCreated | TaskCompleted | TaskReopened | TaskDeleted | LabelColorSet
