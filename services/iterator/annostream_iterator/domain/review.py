"""Review domain: a task's review settings, review decisions and comments, with their invariants."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import MAX_ID_LENGTH

from .model import require

MAX_REASON_CHARS = 2000
MAX_COMMENT_CHARS = 2000
MAX_COORDINATE = 1e9


class ReviewMode(StrEnum):
    """Which finished frames of a task go to review."""

    OFF = "off"
    ALL = "all"
    SAMPLE = "sample"


class ReworkBy(StrEnum):
    """Who fixes a rejected frame: the annotator who finished it, or any annotator of the task."""

    ANNOTATOR = "annotator"
    ANY = "any"


class ReviewState(StrEnum):
    """Where a frame is in the review stage."""

    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReviewSettings:
    """A task's review settings (off when never set)."""

    mode: ReviewMode = ReviewMode.OFF
    sample_percent: int = 0
    reviewer_may_review_own: bool = False
    rework_by: ReworkBy = ReworkBy.ANNOTATOR

    def __post_init__(self) -> None:
        if self.mode is ReviewMode.SAMPLE and not 1 <= self.sample_percent <= 100:
            raise InvalidArgument("must be 1..100 when mode is sample", field="settings.sample_percent")
        if self.mode is not ReviewMode.SAMPLE and self.sample_percent != 0:
            raise InvalidArgument("must be 0 unless mode is sample", field="settings.sample_percent")


def reviewer_may_review(settings: ReviewSettings, reviewer: str, annotator: str) -> bool:
    """Whether `reviewer` may decide on a frame `annotator` finished."""
    return settings.reviewer_may_review_own or reviewer != annotator


def text(value: str, field: str, limit: int) -> str:
    """Non-blank text of at most `limit` characters, else InvalidArgument naming the field."""
    if not value.strip():
        raise InvalidArgument("is required", field=field)
    if len(value) > limit:
        raise InvalidArgument(f"must be at most {limit} characters, got {len(value)}", field=field)
    return value


def an_id(value: str, field: str, *, optional: bool = False) -> str:
    """An id (required unless `optional`) of at most MAX_ID_LENGTH characters."""
    if not value and optional:
        return ""
    require(value, field)
    if len(value) > MAX_ID_LENGTH:
        raise InvalidArgument(f"must be at most {MAX_ID_LENGTH} characters", field=field)
    return value


@dataclass(frozen=True)
class Decide:
    """Accept or reject (with a reason) the frame of a held review lease."""

    task_id: str
    lease_id: str
    reviewer: str
    accept: bool
    reason: str = ""

    def __post_init__(self) -> None:
        an_id(self.task_id, "task_id")
        an_id(self.lease_id, "lease_id")
        if not self.accept:
            text(self.reason, "reason", MAX_REASON_CHARS)
        elif len(self.reason) > MAX_REASON_CHARS:
            raise InvalidArgument(f"must be at most {MAX_REASON_CHARS} characters", field="reason")


@dataclass(frozen=True)
class AddComment:
    """A comment on a frame of a task: a new thread, or a reply (`reply_to`); optionally pinned to a point."""

    task_id: str
    frame_id: str
    text: str
    reply_to: str = ""
    pinned: bool = False
    x: float = 0.0
    y: float = 0.0
    roi_id: str = ""

    def __post_init__(self) -> None:
        an_id(self.task_id, "task_id")
        an_id(self.frame_id, "frame_id")
        text(self.text, "text", MAX_COMMENT_CHARS)
        an_id(self.reply_to, "reply_to", optional=True)
        an_id(self.roi_id, "roi_id", optional=True)
        for field, v in (("x", self.x), ("y", self.y)):
            if not math.isfinite(v) or abs(v) > MAX_COORDINATE:
                raise InvalidArgument(f"must be a finite number within ±{MAX_COORDINATE:g}", field=field)
            if v and not self.pinned:
                raise InvalidArgument("is only allowed on a pinned comment (pinned: true)", field=field)


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a frame's review stream, as people read it."""

    kind: str
    actor: str
    at: datetime
    round: int
    reason: str = ""
    decision: str = ""
    annotator: str = ""
