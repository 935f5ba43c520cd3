"""Answers of the review routes as typed models (settings, reviewer leases, frame reviews, comments, quality)."""

from __future__ import annotations

from typing import Literal

from .models import FrameRef, Model


class ReviewSettings(Model):
    mode: Literal["off", "all", "sample"]
    sample_percent: int
    reviewer_may_review_own: bool
    rework_by: Literal["annotator", "any"]


class ReviewLease(Model):
    """A frame leased to the calling reviewer (`frame` None when none waits for them)."""

    frame: FrameRef | None
    lease_id: str | None
    lease_expires_at: str | None
    annotator: str | None
    round: int
    waiting: int


class FrameReview(Model):
    task_id: str
    frame: FrameRef
    state: Literal["in_review", "accepted", "rejected"] | None
    annotator: str | None
    reviewer: str | None
    round: int
    reason: str | None
    updated_at: str | None


class ReviewDecision(Model):
    round: int
    decision: Literal["accepted", "rejected"]
    reviewer: str
    annotator: str
    reason: str | None
    decided_at: str | None


class Comment(Model):
    comment_id: str
    thread_id: str
    author: str
    text: str
    pinned: bool
    x: float | None
    y: float | None
    roi_id: str | None
    resolved: bool
    created_at: str | None
    frame: FrameRef


class FrameReviewDetail(Model):
    review: FrameReview
    decisions: list[ReviewDecision]
    comments: list[Comment]


class QualityFigures(Model):
    annotator: str | None
    done: int
    accepted: int
    rejected: int
    in_review: int
    acceptance_rate: float
    median_seconds_per_frame: float
    open_comments: int


class ReviewQuality(Model):
    task_id: str
    task: QualityFigures
    annotators: list[QualityFigures]
    settings: ReviewSettings


class HistoryEntry(Model):
    """An edit of the frame (`kind` "edit") or a review event of it in the task, with who and when."""

    kind: Literal["edit", "requested", "accepted", "rejected", "decision_undone"]
    actor: str
    at: str | None
    version: int | None
    type: str | None
    roi_id: str | None
    round: int | None
    reason: str | None
    decision: Literal["accepted", "rejected"] | None
    undoable: bool


class FrameTaskHistory(Model):
    """A frame's history in a task: edits and review events interleaved by time, oldest first."""

    task_id: str
    frame: FrameRef
    entries: list[HistoryEntry]
    edits_truncated: bool
