"""Task aggregate, its iteration spec and validation."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from annostream_kernel.errors import FailedPrecondition, InvalidArgument
from annostream_kernel.limits import MAX_LABEL_LENGTH, MAX_LABELS_PER_TASK, MAX_NAME_LENGTH, bad_label

MAX_NAME = MAX_NAME_LENGTH
MAX_LABEL = MAX_LABEL_LENGTH
MAX_LIMIT = 10_000_000
MAX_CLIP = 10_000
MAX_LABEL_COLORS = 1000
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class Order(StrEnum):
    """Frame order of a task."""

    SEQUENTIAL = "sequential"
    RANDOM = "random"


class FilterMode(StrEnum):
    """Which frames a task presents."""

    ALL = "all"
    EMPTY = "empty"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Selection:
    """The task's frame selection; custom filters are kept in their JSON form (the iterator's language)."""

    mode: FilterMode = FilterMode.ALL
    filters: list[dict[str, Any]] = field(default_factory=list)

    def check(self) -> None:
        """Custom needs at least one filter; All/Empty take none."""
        if self.mode is FilterMode.CUSTOM and not self.filters:
            raise InvalidArgument("custom mode needs at least one filter", field="selection.filters")
        if self.mode is not FilterMode.CUSTOM and self.filters:
            raise InvalidArgument(f"filters are only used in custom mode, not {self.mode}", field="selection.filters")


REVIEW_MODES = ("off", "all", "sample")
REWORK_BY = ("annotator", "any")


@dataclass(frozen=True)
class ReviewSpec:
    """The review settings a task starts with (the iterator's review stage holds them from the first frame)."""

    mode: str = "off"
    sample_percent: int = 0
    reviewer_may_review_own: bool = False
    rework_by: str = "annotator"

    def __post_init__(self) -> None:
        if self.mode not in REVIEW_MODES:
            raise InvalidArgument(
                f"must be one of {', '.join(REVIEW_MODES)}, not {self.mode[:20]!r}", field="review.mode"
            )
        if self.mode == "sample" and not 1 <= self.sample_percent <= 100:
            raise InvalidArgument("must be 1..100 when mode is sample", field="review.sample_percent")
        if self.mode != "sample" and self.sample_percent != 0:
            raise InvalidArgument("must be 0 unless mode is sample", field="review.sample_percent")
        if self.rework_by not in REWORK_BY:
            raise InvalidArgument(f"must be annotator or any, not {self.rework_by[:20]!r}", field="review.rework_by")


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


def validate_label_set(label_set: list[str], default_labels: list[str]) -> list[str]:
    """Validate the label set; default labels must be among it when it is not empty."""
    labels = validate_labels(label_set, "label_set")
    if labels:
        for i, label in enumerate(default_labels):
            if label not in labels:
                raise InvalidArgument(f"{label!r} is not in the task's label_set", field=f"default_labels[{i}]")
    return labels


def validate_labels(labels: list[str], field_name: str = "default_labels") -> list[str]:
    """At most MAX_LABELS_PER_TASK non-empty labels of at most 256 characters, duplicates removed (order kept)."""
    if len(labels) > MAX_LABELS_PER_TASK:
        raise InvalidArgument(f"at most {MAX_LABELS_PER_TASK} labels (has {len(labels)})", field=field_name)
    out: list[str] = []
    for i, label in enumerate(labels):
        label = label.strip()
        if not label or len(label) > MAX_LABEL:
            raise InvalidArgument(f"must be 1..{MAX_LABEL} characters", field=f"{field_name}[{i}]")
        if (why := bad_label(label)) is not None:
            raise InvalidArgument(why, field=f"{field_name}[{i}]")
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
    selection: Selection = field(default_factory=Selection)
    label_set: list[str] = field(default_factory=list)
    completed_at: datetime | None = None
    label_colors: dict[str, str] = field(default_factory=dict)

    def ensure_label_color_fits(self, label: str) -> None:
        """A task keeps at most MAX_LABEL_COLORS label colors (changing an existing one always fits)."""
        if label not in self.label_colors and len(self.label_colors) >= MAX_LABEL_COLORS:
            raise FailedPrecondition(f"task {self.task_id} already has {MAX_LABEL_COLORS} label colors", field="label")

    def ensure_status(self, wanted: TaskStatus, action: str) -> None:
        """Refuse `action` unless the task is in status `wanted`."""
        if self.status is not wanted:
            raise FailedPrecondition(f"task {self.task_id} is {self.status.value}: cannot {action}", field="task_id")

    def ensure_reopenable(self, version_published: bool) -> None:
        """Refuse reopening the task when the version it annotates is Published: it could hand out nothing."""
        if version_published:
            raise FailedPrecondition(
                f"task {self.task_id} annotates version {self.annotated_version_id}, which is Published (read-only):"
                " the task cannot be reopened; start a new task on that version instead (it annotates a new Draft"
                " child)",
                field="task_id",
                details={"version_id": self.annotated_version_id},
            )


def validate_label(label: str) -> str:
    """One label: 1..256 characters after stripping."""
    label = label.strip()
    if not label:
        raise InvalidArgument("is required", field="label")
    if len(label) > MAX_LABEL:
        raise InvalidArgument(f"must be at most {MAX_LABEL} characters", field="label")
    if (why := bad_label(label)) is not None:
        raise InvalidArgument(why, field="label")
    return label


def validate_color(color: str) -> str:
    """A `#rrggbb` color, returned lower-case."""
    if not color:
        raise InvalidArgument("is required (#rrggbb)", field="color")
    if not COLOR.fullmatch(color):
        raise InvalidArgument(f"must be #rrggbb (six hexadecimal digits), not {color[:20]!r}", field="color")
    return color.lower()


class Scope(StrEnum):
    """Team work or my work."""

    TEAM = "team"
    MINE = "mine"


class SortBy(StrEnum):
    """List order."""

    RECENT = "recent"
    NAME = "name"


@dataclass(frozen=True)
class TaskQuery:
    """The task list's view options."""

    team: str
    actor: str
    status: TaskStatus | None = None
    dataset_id: str = ""
    scope: Scope = Scope.TEAM
    sort: SortBy = SortBy.RECENT
    only: tuple[str, ...] | None = None  # only these task ids (None: no restriction)
