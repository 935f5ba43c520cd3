"""Response bodies of the review routes (review settings, reviewer leases, frame reviews, comments, quality)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .responses import FrameRef, Timestamp

Mode = Literal["off", "all", "sample"]
Rework = Literal["annotator", "any"]


class ReviewSettings(BaseModel):
    mode: Mode = Field(description="off (no review), all (every finished frame), sample (sample_percent % of frames)")
    sample_percent: int = Field(description="1..100 with mode sample, else 0")
    reviewer_may_review_own: bool = Field(description="whether a reviewer may review frames they annotated")
    rework_by: Rework = Field(description="who fixes a rejected frame: its annotator, or any annotator")


class ReviewLease(BaseModel):
    frame: FrameRef | None = Field(description="null when no frame waits for this reviewer")
    lease_id: str | None
    lease_expires_at: Timestamp
    annotator: str | None = Field(description="who finished the frame")
    round: int = Field(description="1 for the first review, +1 after each fix")
    waiting: int = Field(description="frames of the task waiting for review (held ones included)")


class FrameReview(BaseModel):
    task_id: str
    frame: FrameRef
    state: Literal["in_review", "accepted", "rejected"] | None = Field(description="null: never went to review")
    annotator: str | None
    reviewer: str | None
    round: int
    reason: str | None = Field(description="the last rejection's reason")
    updated_at: Timestamp


class ReviewDecision(BaseModel):
    round: int
    decision: Literal["accepted", "rejected"]
    reviewer: str
    annotator: str
    reason: str | None
    decided_at: Timestamp


class Comment(BaseModel):
    comment_id: str
    thread_id: str = Field(description="the id of its thread's first comment")
    author: str
    text: str
    pinned: bool
    x: float | None = Field(description="a pinned comment's point, image pixels (null when not pinned)")
    y: float | None
    roi_id: str | None
    resolved: bool = Field(description="whether its thread is resolved")
    created_at: Timestamp
    frame: FrameRef


class FrameReviewDetail(BaseModel):
    review: FrameReview
    decisions: list[ReviewDecision]
    comments: list[Comment]


class QualityFigures(BaseModel):
    annotator: str | None = Field(description="null for the task's figures")
    done: int = Field(description="frames done now (finished and not sent back)")
    accepted: int = Field(description="frames accepted now")
    rejected: int = Field(description="rejections (a frame rejected twice counts twice)")
    in_review: int = Field(description="frames waiting for review now")
    acceptance_rate: float = Field(description="accepted decisions / all decisions (0 without decisions)")
    median_seconds_per_frame: float = Field(description="median seconds from lease to finish (0 when unknown)")
    open_comments: int = Field(description="unresolved comment threads")


class ReviewQuality(BaseModel):
    task_id: str
    task: QualityFigures
    annotators: list[QualityFigures]
    settings: ReviewSettings


class HistoryEntry(BaseModel):
    kind: Literal["edit", "requested", "accepted", "rejected", "decision_undone"] = Field(
        description="an edit of the frame (an annotation event), or a review event of the frame in the task"
    )
    actor: str = Field(description="who: the editor, the annotator for requested, the reviewer for a decision")
    at: Timestamp
    version: int | None = Field(description="an edit's stream version (its /at?version= state); null for review")
    type: str | None = Field(description="an edit's event type (RoiCreated, FrameSaved, …); null for review")
    roi_id: str | None
    round: int | None = Field(description="the review round (1, then +1 after each fix); null for edits")
    reason: str | None = Field(description="a rejection's reason")
    decision: Literal["accepted", "rejected"] | None = Field(description="the decision a decision_undone undid")
    undoable: bool = Field(
        description="the caller's latest decision, with nothing after it in review: POST …/undo-decision may undo"
        " it (the iterator still refuses it once an annotator took the frame up again)"
    )


class FrameHistoryWithReview(BaseModel):
    task_id: str
    frame: FrameRef
    entries: list[HistoryEntry] = Field(description="edits and review events interleaved by time, oldest first")
    edits_truncated: bool = Field(description="the frame has more edits than one answer carries (the oldest shown)")
