"""Thin gRPC servicer of the review stage: request → command → handler → response."""

from __future__ import annotations

from typing import Any

from annostream_kernel.catch_up import CatchUp
from annostream_kernel.protobuf import timestamp
from annostream_protos.iterator.v1 import review_service_pb2 as api
from annostream_protos.iterator.v1 import review_service_pb2_grpc as api_grpc

from ..domain.commands import AddComment, Decide
from ..service_layer.comments import CommentHandlers
from ..service_layer.review import ReviewHandlers
from .api_messages import comment_out, figures, review_out, settings_in, settings_out
from .known_review_ids import frame_caught_up, roi_caught_up
from .known_tasks import task_caught_up


class ReviewServicer(api_grpc.ReviewServiceServicer):
    """annostream.iterator.v1.ReviewService."""

    def __init__(
        self,
        review: ReviewHandlers,
        comments: CommentHandlers,
        tasks: CatchUp | None = None,
        rois: CatchUp | None = None,
        frames: CatchUp | None = None,
    ) -> None:
        self._r, self._c, self._tasks, self._rois, self._frames = review, comments, tasks, rois, frames

    @task_caught_up
    async def SetReviewSettings(
        self, request: api.SetReviewSettingsRequest, context: Any
    ) -> api.SetReviewSettingsResponse:
        s = await self._r.set_settings(request.task_id, settings_in(request.settings))
        return api.SetReviewSettingsResponse(settings=settings_out(s))

    @task_caught_up
    async def GetReviewSettings(
        self, request: api.GetReviewSettingsRequest, context: Any
    ) -> api.GetReviewSettingsResponse:
        return api.GetReviewSettingsResponse(settings=settings_out(await self._r.settings(request.task_id)))

    @task_caught_up
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

    @task_caught_up
    @frame_caught_up
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

    @task_caught_up
    @frame_caught_up
    @roi_caught_up
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

    @task_caught_up
    async def GetReviewQuality(
        self, request: api.GetReviewQualityRequest, context: Any
    ) -> api.GetReviewQualityResponse:
        task, people, settings = await self._c.quality(request.task_id)
        return api.GetReviewQualityResponse(
            task=figures(task),
            annotators=[figures(r, r["annotator"]) for r in people],
            settings=settings_out(settings),
        )
