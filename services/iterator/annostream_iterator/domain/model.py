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


@dataclass(frozen=True)
class TaskPlan:
    """What the iterator knows about a task."""

    task_id: str
    version_id: str
    order: FrameOrder
    random_seed: int
    limit: int
    clip_length: int


@dataclass(frozen=True)
class Lease:
    """A frame handed to one annotator until `expires_at`."""

    task_id: str
    frame_id: str
    version_id: str
    annotator: str
    lease_id: str
    expires_at: datetime
    position: int
    total: int


@dataclass(frozen=True)
class NextFrame:
    """Lease the next frame of a task to an annotator (the same one again while the lease is held)."""

    task_id: str
    annotator: str

    def __post_init__(self) -> None:
        if not self.task_id:
            raise InvalidArgument("is required", field="task_id")
        if not self.annotator:
            raise InvalidArgument("is required (set the user)", field="annotator")
