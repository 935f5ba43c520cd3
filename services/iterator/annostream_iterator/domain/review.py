"""Review domain: a task's review settings, review decisions and comments, with their invariants."""

from __future__ import annotations

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
class HistoryEntry:
    """One event of a frame's review stream, as people read it."""

    kind: str
    actor: str
    at: datetime
    round: int
    reason: str = ""
    decision: str = ""
    annotator: str = ""
