"""The review stage: settings, reviewer leases (next-review, accept, reject, release), frame reviews, comments,
quality figures. Served by the iterator's ReviewService; every route is checked there against the task's team."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from annostream_kernel.grpc_client import call
from annostream_protos.iterator.v1 import review_service_pb2 as rv

from .. import serializers
from ..clients import Clients
from ..contract import COMMON, errors
from ..responses_review import Comment, FrameReviewDetail, Mode, ReviewLease, ReviewQuality, ReviewSettings, Rework
from ..schemas import AsInt, Strict
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["review"], responses=errors(*COMMON, 404))
C = Annotated[Clients, Depends(clients)]
User = Annotated[str, Depends(identity)]
T = "/tasks/{task_id}"
MODES = {"off": rv.REVIEW_MODE_OFF, "all": rv.REVIEW_MODE_ALL, "sample": rv.REVIEW_MODE_SAMPLE}
REWORK = {"annotator": rv.REWORK_BY_ANNOTATOR, "any": rv.REWORK_BY_ANY}
MODE_OUT = {v: k for k, v in MODES.items()}
REWORK_OUT = {v: k for k, v in REWORK.items()}
Text = Field(max_length=2000)
Percent = Annotated[int, Field(ge=0, le=100), AsInt]
Coordinate = Field(default=0.0, ge=-1e9, le=1e9)


class ReviewSettingsBody(Strict):
    """Whether (and which) finished frames go to review; frames finished from now on follow it."""

    mode: Mode
    sample_percent: Percent = 0
    reviewer_may_review_own: bool = False
    rework_by: Rework = "annotator"


class NextReviewBody(Strict):
    """Optional filters: only frames finished by `annotator`, only frames with a ROI labelled `label`."""

    annotator: str = Field(default="", max_length=512)
    label: str = Field(default="", max_length=512)


class RejectBody(Strict):
    reason: str = Text


class CommentBody(Strict):
    """A comment: a new thread, or a reply (`reply_to` any comment of the thread); pinned to a point (x, y)."""

    text: str = Text
    reply_to: str = Field(default="", max_length=512)
    pinned: bool = False
    x: float = Coordinate
    y: float = Coordinate
    roi_id: str = Field(
        default="", max_length=512, description="A ROI the frame holds in the task (optional; else 404 naming roi_id)"
    )


def settings(s: rv.ReviewSettings) -> dict[str, Any]:
    """ReviewSettings message → JSON."""
    return {
        "mode": MODE_OUT.get(s.mode, "off"),
        "sample_percent": s.sample_percent,
        "reviewer_may_review_own": s.reviewer_may_review_own,
        "rework_by": REWORK_OUT.get(s.rework_by, "annotator"),
    }


def review(r: rv.FrameReview) -> dict[str, Any]:
    """FrameReview message → JSON."""
    return {
        "task_id": r.task_id,
        "frame": serializers.frame_ref(r.frame),
        "state": r.state or None,
        "annotator": r.annotator or None,
        "reviewer": r.reviewer or None,
        "round": r.round,
        "reason": r.reason or None,
        "updated_at": serializers.ts(r.updated_at),
    }


def comment(c: rv.Comment) -> dict[str, Any]:
    """Comment message → JSON."""
    return {
        "comment_id": c.comment_id,
        "thread_id": c.thread_id,
        "author": c.author,
        "text": c.text,
        "pinned": c.pinned,
        "x": c.x if c.pinned else None,
        "y": c.y if c.pinned else None,
        "roi_id": c.roi_id or None,
        "resolved": c.resolved,
        "created_at": serializers.ts(c.created_at),
        "frame": serializers.frame_ref(c.frame),
    }


def figures(f: rv.QualityFigures) -> dict[str, Any]:
    """QualityFigures message → JSON."""
    return {
        "annotator": f.annotator or None,
        "done": f.done,
        "accepted": f.accepted,
        "rejected": f.rejected,
        "in_review": f.in_review,
        "acceptance_rate": f.acceptance_rate,
        "median_seconds_per_frame": f.median_seconds_per_frame,
        "open_comments": f.open_comments,
    }


@router.get(T + "/review-settings", response_model=ReviewSettings)
async def get_settings(task_id: str, c: C, _user: User) -> dict[str, Any]:
    """The task's review settings (mode off when never set)."""
    resp = await call(c.review.GetReviewSettings, rv.GetReviewSettingsRequest(task_id=task_id), timeout=c.timeout)
    return settings(resp.settings)


@router.put(T + "/review-settings", response_model=ReviewSettings, responses=errors(413))
async def put_settings(task_id: str, body: ReviewSettingsBody, c: C, _user: User) -> dict[str, Any]:
    """Set the task's review: off, all, or a sample of N % of the frames; who fixes rejected frames; whether
    reviewers may review their own frames. 400 names the field (`settings.sample_percent`)."""
    s = rv.ReviewSettings(
        mode=MODES[body.mode],
        sample_percent=body.sample_percent,
        reviewer_may_review_own=body.reviewer_may_review_own,
        rework_by=REWORK[body.rework_by],
    )
    req = rv.SetReviewSettingsRequest(task_id=task_id, settings=s)
    return settings((await call(c.review.SetReviewSettings, req, timeout=c.timeout)).settings)


@router.post(T + "/next-review", response_model=ReviewLease, responses=errors(409, 413))
async def next_review(task_id: str, c: C, user: User, body: NextReviewBody | None = None) -> dict[str, Any]:
    """Lease the next frame waiting for review to the calling reviewer (the held one again while held); `frame`
    is null when none waits for them. Never a frame another reviewer holds, nor one they annotated unless the task
    allows it. 409 once the task is completed."""
    b = body or NextReviewBody()
    req = rv.NextReviewRequest(task_id=task_id, reviewer=user, annotator=b.annotator, label=b.label)
    r = await call(c.review.NextReview, req, timeout=c.timeout)
    found = r.HasField("frame")
    return {
        "frame": serializers.frame_ref(r.frame) if found else None,
        "lease_id": r.lease_id or None,
        "lease_expires_at": serializers.ts(r.lease_expires_at),
        "annotator": r.annotator or None,
        "round": r.round,
        "waiting": r.waiting,
    }


@router.post(T + "/review-leases/{lease_id}/accept", response_model=FrameReviewDetail, responses=errors(409))
async def accept(task_id: str, lease_id: str, c: C, user: User) -> dict[str, Any]:
    """Accept the frame of the caller's review lease. 409 (field lease_id) when the lease is not held, (field
    reviewer) when the reviewer annotated the frame and the task does not allow it."""
    req = rv.AcceptFrameRequest(task_id=task_id, lease_id=lease_id, reviewer=user)
    r = await call(c.review.AcceptFrame, req, timeout=c.timeout)
    return {"review": review(r.review), "decisions": [], "comments": []}


@router.post(T + "/review-leases/{lease_id}/reject", response_model=FrameReviewDetail, responses=errors(409, 413))
async def reject(task_id: str, lease_id: str, body: RejectBody, c: C, user: User) -> dict[str, Any]:
    """Reject the frame of the caller's review lease with a reason: it goes back to its annotator (or any
    annotator, a task setting) and returns to review after the fix. 400 (field reason) when the reason is blank."""
    req = rv.RejectFrameRequest(task_id=task_id, lease_id=lease_id, reviewer=user, reason=body.reason)
    r = await call(c.review.RejectFrame, req, timeout=c.timeout)
    return {"review": review(r.review), "decisions": [], "comments": []}


@router.post(T + "/review-leases/{lease_id}/release", response_model=ReviewLease, responses=errors(409))
async def release(task_id: str, lease_id: str, c: C, user: User) -> dict[str, Any]:
    """Give the caller's review lease back: the frame waits for another reviewer."""
    req = rv.ReleaseReviewRequest(task_id=task_id, lease_id=lease_id, reviewer=user)
    await call(c.review.ReleaseReview, req, timeout=c.timeout)
    return {"frame": None, "lease_id": lease_id, "lease_expires_at": None, "annotator": None, "round": 0, "waiting": 0}


@router.post(T + "/frames/{frame_id}/undo-decision", response_model=ReviewLease, responses=errors(409))
async def undo_decision(task_id: str, frame_id: str, c: C, user: User) -> dict[str, Any]:
    """Undo the caller's accept or reject of a frame while nothing followed it (a rejected frame not yet taken up
    by an annotator): the frame is in review again, leased to the caller. 409 (field frame_id) otherwise, with
    `details.reason` no_decision, not_yours or fix_started."""
    req = rv.UndoDecisionRequest(task_id=task_id, frame_id=frame_id, reviewer=user)
    r = await call(c.review.UndoDecision, req, timeout=c.timeout)
    return {
        "frame": serializers.frame_ref(r.frame),
        "lease_id": r.lease_id,
        "lease_expires_at": serializers.ts(r.lease_expires_at),
        "annotator": r.annotator or None,
        "round": r.round,
        "waiting": r.waiting,
    }


@router.get(T + "/frames/{frame_id}/review", response_model=FrameReviewDetail)
async def frame_review(task_id: str, frame_id: str, c: C, _user: User) -> dict[str, Any]:
    """A frame's review state in the task, its decisions (oldest first) and its comments (threads, pinned points)."""
    r = await call(
        c.review.GetFrameReview, rv.GetFrameReviewRequest(task_id=task_id, frame_id=frame_id), timeout=c.timeout
    )
    return {
        "review": review(r.review),
        "decisions": [
            {
                "round": d.round,
                "decision": d.decision,
                "reviewer": d.reviewer,
                "annotator": d.annotator,
                "reason": d.reason or None,
                "decided_at": serializers.ts(d.decided_at),
            }
            for d in r.decisions
        ],
        "comments": [comment(x) for x in r.comments],
    }


@router.post(T + "/frames/{frame_id}/comments", response_model=Comment, responses=errors(413))
async def add_comment(task_id: str, frame_id: str, body: CommentBody, c: C, _user: User) -> dict[str, Any]:
    """Comment on a frame of the task (a new thread, or a reply); 400 names the field (text, x, y, reply_to); 404
    names roi_id when the frame holds no such ROI in the task (never saved, or deleted)."""
    req = rv.AddCommentRequest(
        task_id=task_id,
        frame_id=frame_id,
        text=body.text,
        reply_to=body.reply_to,
        pinned=body.pinned,
        x=body.x,
        y=body.y,
        roi_id=body.roi_id,
    )
    return comment((await call(c.review.AddComment, req, timeout=c.timeout)).comment)


@router.post(T + "/comments/{comment_id}/resolve", response_model=Comment)
async def resolve_comment(task_id: str, comment_id: str, c: C, _user: User) -> dict[str, Any]:
    """Resolve the thread of a comment (nothing changes when it is resolved already)."""
    req = rv.ResolveCommentRequest(task_id=task_id, comment_id=comment_id)
    return comment((await call(c.review.ResolveComment, req, timeout=c.timeout)).comment)


@router.post(T + "/comments/{comment_id}/reopen", response_model=Comment)
async def reopen_comment(task_id: str, comment_id: str, c: C, _user: User) -> dict[str, Any]:
    """Reopen the thread of a comment."""
    req = rv.ReopenCommentRequest(task_id=task_id, comment_id=comment_id)
    return comment((await call(c.review.ReopenComment, req, timeout=c.timeout)).comment)


@router.get(T + "/quality", response_model=ReviewQuality)
async def quality(task_id: str, c: C, _user: User) -> dict[str, Any]:
    """Quality figures of the task and of each annotator: done, accepted, rejected, acceptance rate, median time
    per frame, open comments; with the review settings."""
    r = await call(c.review.GetReviewQuality, rv.GetReviewQualityRequest(task_id=task_id), timeout=c.timeout)
    return {
        "task_id": task_id,
        "task": figures(r.task),
        "annotators": [figures(a) for a in r.annotators],
        "settings": settings(r.settings),
    }
