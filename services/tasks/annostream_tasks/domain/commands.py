"""Commands of the tasks service (imperative)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Iteration, ReviewSpec, Selection


@dataclass(frozen=True)
class CreateTask:
    """Create a task on a dataset version (a Published version gets a Draft child named like the task)."""

    name: str
    dataset_version_id: str
    iteration: Iteration
    default_labels: list[str]
    owner: str
    team: str
    selection: Selection = field(default_factory=Selection)
    label_set: list[str] = field(default_factory=list)
    review: ReviewSpec = field(default_factory=ReviewSpec)


@dataclass(frozen=True)
class CompleteTask:
    """Close an Active task: no new leases."""

    task_id: str


@dataclass(frozen=True)
class ReopenTask:
    """Make a Completed task Active again."""

    task_id: str


@dataclass(frozen=True)
class DeleteTask:
    """Delete a task (its annotated version and its events stay)."""

    task_id: str


@dataclass(frozen=True)
class SetLabelColor:
    """Set a label's color for everyone annotating the task."""

    task_id: str
    label: str
    color: str
