"""Task aggregate, its iteration spec and validation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from annostream_kernel.errors import InvalidArgument

MAX_NAME = 200
MAX_LABEL = 256
MAX_LIMIT = 10_000_000
MAX_CLIP = 10_000


class Order(StrEnum):
    """Frame order of a task."""

    SEQUENTIAL = "sequential"
    RANDOM = "random"


class TaskStatus(StrEnum):
    """Active tasks hand out frames; Completed ones stay readable."""

    ACTIVE = "active"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Iteration:
    """How frames are presented: order, seed, repetition limit (0 = each once) and clip length."""

    order: Order = Order.SEQUENTIAL
    random_seed: int = 0
    limit: int = 0
    clip_length: int = 0

    @staticmethod
    def build(order: Order, seed: int | None, limit: int, clip_length: int) -> Iteration:
        """Validate; a random order without a seed gets a generated one (kept with the task)."""
        if limit < 0 or limit > MAX_LIMIT:
            raise InvalidArgument(f"must be between 0 and {MAX_LIMIT}", field="iteration.limit")
        if clip_length < 0 or clip_length > MAX_CLIP:
            raise InvalidArgument(f"must be between 0 and {MAX_CLIP}", field="iteration.clip_length")
        if seed is not None and not (-(2**63) <= seed < 2**63):
            raise InvalidArgument("must fit in 64 bits", field="iteration.random_seed")
        if seed is None:
            seed = secrets.randbelow(2**31) if order is Order.RANDOM else 0
        return Iteration(order, seed, limit, clip_length)


def validate_task_name(name: str) -> str:
    """1..200 characters after stripping."""
    name = name.strip()
    if not name:
        raise InvalidArgument("is required", field="name")
    if len(name) > MAX_NAME:
        raise InvalidArgument(f"must be at most {MAX_NAME} characters", field="name")
    return name


def validate_labels(labels: list[str], field_name: str = "default_labels") -> list[str]:
    """Non-empty labels of at most 256 characters, duplicates removed (order kept)."""
    out: list[str] = []
    for i, label in enumerate(labels):
        label = label.strip()
        if not label or len(label) > MAX_LABEL:
            raise InvalidArgument(f"must be 1..{MAX_LABEL} characters", field=f"{field_name}[{i}]")
        if label not in out:
            out.append(label)
    return out


@dataclass(frozen=True)
class Task:
    """An annotation task over one dataset version."""

    task_id: str
    name: str
    owner: str
    team: str
    dataset_id: str
    source_version_id: str
    annotated_version_id: str
    iteration: Iteration
    default_labels: list[str] = field(default_factory=list)
    status: TaskStatus = TaskStatus.ACTIVE
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CreateTask:
    """Create a task on a dataset version (a Published version gets a Draft child named like the task)."""

    name: str
    dataset_version_id: str
    iteration: Iteration
    default_labels: list[str]
    owner: str
    team: str
