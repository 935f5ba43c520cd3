"""Thin gRPC servicer of the review stage: request → command → handler → response."""

from __future__ import annotations

from typing import Any

import asyncpg

from annostream_kernel.protobuf import timestamp
from annostream_protos.iterator.v1 import review_service_pb2 as api
from annostream_protos.iterator.v1 import review_service_pb2_grpc as api_grpc
from annostream_protos.types.v1 import frames_pb2

from ..domain.commands import AddComment, Decide
from ..domain.review import ReviewMode, ReviewSettings, ReworkBy
from ..service_layer.comments import CommentHandlers
from ..service_layer.review import ReviewHandlers

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


class ReviewServicer(api_grpc.ReviewServiceServicer):
    """annostream.iterator.v1.ReviewService."""

    def __init__(self, review: ReviewHandlers, comments: CommentHandlers) -> None:
        self._r, self._c = review, comments

    async def SetReviewSettings(
        self, request: api.SetReviewSettingsRequest, context: Any
    ) -> api.SetReviewSettingsResponse:
        s = await self._r.set_settings(request.task_id, settings_in(request.settings))
        return api.SetReviewSettingsResponse(settings=settings_out(s))

    async def GetReviewSettings(
        self, request: api.GetReviewSettingsRequest, context: Any
    ) -> api.GetReviewSettingsResponse:
        return api.GetReviewSettingsResponse(settings=settings_out(await self._r.settings(request.task_id)))

    async def NextReview(self, request: api.NextReviewRequest, context: Any) -> api.NextReviewResponse:
        got = await self._r.next_review(request.task_id, request.reviewer, request.annotator, request.label)
        if got.row is None or got.ref is None:
            return api.NextReviewResponse(waiting=got.waiting)
        return api.NextReviewResponse(
            frame=got.ref,
            lease_id=got.row["lease_id"],
            lease_expires_at=timestamp(got.row["expires_at"]),
            annotator=got.row["annotator"],
            round=got.row["round"],
            waiting=got.waiting,
        )

    async def AcceptFrame(self, request: api.AcceptFrameRequest, context: Any) -> api.AcceptFrameResponse:
        row, ref = await self._r.decide(Decide(request.task_id, request.lease_id, request.reviewer, True))
        return api.AcceptFrameResponse(review=review_out(request.task_id, ref, row))

    async def RejectFrame(self, request: api.RejectFrameRequest, context: Any) -> api.RejectFrameResponse:
        cmd = Decide(request.task_id, request.lease_id, request.reviewer, False, request.reason)
        row, ref = await self._r.decide(cmd)
        return api.RejectFrameResponse(review=review_out(request.task_id, ref, row))

    async def UndoDecision(self, request: api.UndoDecisionRequest, context: Any) -> api.UndoDecisionResponse:
        got = await self._r.undo(request.task_id, request.frame_id, request.reviewer)
        assert got.row is not None and got.ref is not None
        return api.UndoDecisionResponse(
            frame=got.ref,
            lease_id=got.row["lease_id"],
            lease_expires_at=timestamp(got.row["expires_at"]),
            annotator=got.row["annotator"],
            round=got.row["round"],
            waiting=got.waiting,
        )

    async def ReleaseReview(self, request: api.ReleaseReviewRequest, context: Any) -> api.ReleaseReviewResponse:
        await self._r.release(request.task_id, request.lease_id, request.reviewer)
        return api.ReleaseReviewResponse()

    async def GetFrameReview(self, request: api.GetFrameReviewRequest, context: Any) -> api.GetFrameReviewResponse:
        row, ref, decisions, comments, history = await self._r.frame_review(request.task_id, request.frame_id)
        return api.GetFrameReviewResponse(
            review=review_out(request.task_id, ref, row),
            decisions=[
                api.ReviewDecision(
                    round=d["round"],
                    decision=d["decision"],
                    reviewer=d["reviewer"],
                    annotator=d["annotator"],
                    reason=d["reason"],
                    decided_at=timestamp(d["decided_at"]),
                )
                for d in decisions
            ],
            comments=[comment_out(ref, c) for c in comments],
            history=[
                api.ReviewHistoryEntry(
                    kind=h.kind,
                    actor=h.actor,
                    at=timestamp(h.at),
                    round=h.round,
                    reason=h.reason,
                    decision=h.decision,
                    annotator=h.annotator,
                )
                for h in history
            ],
        )

    async def ListReviewTasks(self, request: api.ListReviewTasksRequest, context: Any) -> api.ListReviewTasksResponse:
        return api.ListReviewTasksResponse(task_ids=await self._r.review_tasks())

    async def AddComment(self, request: api.AddCommentRequest, context: Any) -> api.AddCommentResponse:
        cmd = AddComment(
            request.task_id,
            request.frame_id,
            request.text,
            request.reply_to,
            request.pinned,
            request.x,
            request.y,
            request.roi_id,
        )
        row, ref = await self._c.add(cmd)
        return api.AddCommentResponse(comment=comment_out(ref, row))

    async def ResolveComment(self, request: api.ResolveCommentRequest, context: Any) -> api.ResolveCommentResponse:
        row, ref = await self._c.set_resolved(request.task_id, request.comment_id, True)
        return api.ResolveCommentResponse(comment=comment_out(ref, row))

    async def ReopenComment(self, request: api.ReopenCommentRequest, context: Any) -> api.ReopenCommentResponse:
        row, ref = await self._c.set_resolved(request.task_id, request.comment_id, False)
        return api.ReopenCommentResponse(comment=comment_out(ref, row))

    async def GetReviewQuality(
        self, request: api.GetReviewQualityRequest, context: Any
    ) -> api.GetReviewQualityResponse:
        task, people, settings = await self._c.quality(request.task_id)
        return api.GetReviewQualityResponse(
            task=figures(task),
            annotators=[figures(r, r["annotator"]) for r in people],
            settings=settings_out(settings),
        )
