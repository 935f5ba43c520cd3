"""Iterator domain: task plans, frame order and leases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from annostream_kernel.errors import InvalidArgument


class FrameOrder(StrEnum):
    """Sequential by (context_id, timestamp, frame_id), or random by the task's seed."""

    SEQUENTIAL = "sequential"
    RANDOM = "random"


class TaskStatus(StrEnum):
    """Active tasks lease frames; completed ones do not; invalid ones could not be planned."""

    ACTIVE = "active"
    COMPLETED = "completed"
    INVALID = "invalid"
    DELETED = "deleted"


@dataclass(frozen=True)
class TaskPlan:
    """What the iterator knows about a task."""

    task_id: str
    version_id: str
    order: FrameOrder
    random_seed: int
    limit: int
    clip_length: int
    status: TaskStatus = TaskStatus.ACTIVE
    total: int = 0
    pending: bool = False  # the plan waits for annotation events acknowledged before the task was created
    team: str | None = None  # None: created before tasks carried their team to the iterator

    @property
    def clip(self) -> int:
        """Frames per lease (1 without clips)."""
        return max(1, self.clip_length)


@dataclass(frozen=True)
class Lease:
    """A frame (or clip) handed to one annotator until `expires_at`."""

    task_id: str
    frame_id: str
    version_id: str
    annotator: str
    lease_id: str
    expires_at: datetime
    position: int
    total: int
    clip: tuple[str, ...] = ()
    trail_index: int = 0


def require(value: str, field: str) -> str:
    """`value`, or InvalidArgument naming the field when it is empty."""
    if not value:
        raise InvalidArgument("is required", field=field)
    return value
