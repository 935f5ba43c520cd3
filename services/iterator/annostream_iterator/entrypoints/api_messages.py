"""The gRPC edge of the iterator's review stage: API messages ↔ domain values, stored rows → API messages."""

from __future__ import annotations

import asyncpg

from annostream_kernel.protobuf import timestamp
from annostream_protos.iterator.v1 import review_service_pb2 as api
from annostream_protos.types.v1 import frames_pb2

from ..domain.review import ReviewMode, ReviewSettings, ReworkBy

MODES = {
    api.REVIEW_MODE_OFF: ReviewMode.OFF,
    api.REVIEW_MODE_ALL: ReviewMode.ALL,
    api.REVIEW_MODE_SAMPLE: ReviewMode.SAMPLE,
}
MODE_OUT = {v: k for k, v in MODES.items()}
REWORK = {api.REWORK_BY_ANNOTATOR: ReworkBy.ANNOTATOR, api.REWORK_BY_ANY: ReworkBy.ANY}
REWORK_OUT = {v: k for k, v in REWORK.items()}


def settings_in(m: api.ReviewSettings) -> ReviewSettings:
    """ReviewSettings message → domain (unspecified mode is off, unspecified rework is the annotator)."""
    mode = MODES.get(m.mode, ReviewMode.OFF)
    return ReviewSettings(
        mode, m.sample_percent, m.reviewer_may_review_own, REWORK.get(m.rework_by, ReworkBy.ANNOTATOR)
    )


def settings_out(s: ReviewSettings) -> api.ReviewSettings:
    """Domain → ReviewSettings message."""
    return api.ReviewSettings(
        mode=MODE_OUT[s.mode],
        sample_percent=s.sample_percent,
        reviewer_may_review_own=s.reviewer_may_review_own,
        rework_by=REWORK_OUT[s.rework_by],
    )


def review_out(task_id: str, ref: frames_pb2.FrameRef, r: asyncpg.Record | None) -> api.FrameReview:
    """A review row → FrameReview (state '' when the frame never went to review)."""
    if r is None:
        return api.FrameReview(task_id=task_id, frame=ref)
    return api.FrameReview(
        task_id=task_id,
        frame=ref,
        state=r["state"],
        annotator=r["annotator"],
        reviewer=r["reviewer"] or "",
        round=r["round"],
        reason=r["reason"],
        updated_at=timestamp(r["updated_at"]),
    )


def comment_out(ref: frames_pb2.FrameRef, c: asyncpg.Record) -> api.Comment:
    """A comment row → Comment."""
    return api.Comment(
        comment_id=c["comment_id"],
        thread_id=c["thread_id"],
        author=c["author"],
        text=c["text"],
        pinned=c["pinned"],
        x=c["x"],
        y=c["y"],
        roi_id=c["roi_id"],
        resolved=c["resolved"],
        created_at=timestamp(c["created_at"]),
        frame=ref,
    )


def figures(r: asyncpg.Record, annotator: str = "") -> api.QualityFigures:
    """A quality row → QualityFigures."""
    decisions = int(r["accepted_decisions"]) + int(r["rejected"])
    return api.QualityFigures(
        annotator=annotator,
        done=int(r["done"]),
        accepted=int(r["accepted"]),
        rejected=int(r["rejected"]),
        in_review=int(r["in_review"]),
        acceptance_rate=int(r["accepted_decisions"]) / decisions if decisions else 0.0,
        median_seconds_per_frame=float(r["median_seconds"] or 0.0),
        open_comments=int(r["open_comments"]),
    )
