"""Domain events of the iterator's use cases (past tense); adapters/messages.py maps each to its protobuf event."""

from __future__ import annotations

from dataclasses import dataclass

from .review import ReviewSettings


@dataclass(frozen=True)
class Frame:
    """A frame of a task's annotated version."""

    dataset_id: str
    version_id: str
    frame_id: str


@dataclass(frozen=True)
class ReviewSettingsChanged:
    """A task's review settings were set (they apply to frames finished from then on)."""

    task_id: str
    settings: ReviewSettings


@dataclass(frozen=True)
class ReviewRequested:
    """A finished frame entered review."""

    task_id: str
    frame: Frame
    annotator: str
    round: int


@dataclass(frozen=True)
class FrameAccepted:
    """A reviewer accepted a frame."""

    task_id: str
    frame: Frame
    annotator: str
    reviewer: str
    round: int


@dataclass(frozen=True)
class FrameRejected:
    """A reviewer rejected a frame, which goes back to be fixed (`rework_by`: the annotator, or "" for anyone)."""

    task_id: str
    frame: Frame
    annotator: str
    reviewer: str
    round: int
    reason: str
    rework_by: str


@dataclass(frozen=True)
class ReviewDecisionUndone:
    """A reviewer took back their decision on a frame."""

    task_id: str
    frame: Frame
    annotator: str
    reviewer: str
    round: int
    decision: str


@dataclass(frozen=True)
class CommentAdded:
    """A comment was added on a frame (a new thread when `thread_id` is its own id)."""

    task_id: str
    frame: Frame
    comment_id: str
    thread_id: str
    author: str
    text: str
    pinned: bool
    x: float
    y: float
    roi_id: str


@dataclass(frozen=True)
class CommentResolved:
    """A comment thread was resolved."""

    task_id: str
    frame: Frame
    thread_id: str
    by: str


@dataclass(frozen=True)
class CommentReopened:
    """A resolved comment thread was reopened."""

    task_id: str
    frame: Frame
    thread_id: str
    by: str


@dataclass(frozen=True)
class PlanProgressed:
    """A task's plan changed size or was built (done of total frames)."""

    task_id: str
    done: int
    total: int


Event = (
    PlanProgressed
    | ReviewSettingsChanged
    | ReviewRequested
    | FrameAccepted
    | FrameRejected
    | ReviewDecisionUndone
    | CommentAdded
    | CommentResolved
    | CommentReopened
)
