"""Requests of the review stage's gRPC methods for the tenancy matrix, against team a's task (its frame f000).

Review leases in the requests are unknown ids: authorization comes first, so a refused caller gets the policy's
answer and an allowed one FAILED_PRECONDITION ("not held"), which the matrix counts as passed.
"""

from __future__ import annotations

from typing import Any

from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.iterator.v1 import review_service_pb2_grpc as rv_grpc

from ..tenancy import Caller
from .tenancy_grpc import OWNER, World

RV = "/annostream.iterator.v1.ReviewService/"


def _comment(w: World) -> str:
    """A comment of the owner on the task's frame f000 (made once per world)."""
    if "comment" not in w.ids:
        req = rv.AddCommentRequest(task_id=w.ids["task"], frame_id="f000", text="look here", pinned=True, x=1, y=2)
        stub = rv_grpc.ReviewServiceStub(w.chans["iterator"])
        w.ids["comment"] = stub.AddComment(req, metadata=w.metadata(OWNER), timeout=30).comment.comment_id
    return w.ids["comment"]


def _task(message: Any, **fields: Any) -> Any:
    return lambda w, _c, _f: message(task_id=w.ids["task"], **fields)


def _thread(message: Any) -> Any:
    return lambda w, _c, _f: message(task_id=w.ids["task"], comment_id=_comment(w))


def _lease(message: Any, **fields: Any) -> Any:
    def build(w: World, c: Caller, _f: bool) -> Any:
        return message(task_id=w.ids["task"], lease_id="rlease_not-held", reviewer=c.user(w.suffix), **fields)

    return build


def review_cases(case: Any) -> dict[str, Any]:
    """Method → the matrix's Case (the Case class is the caller's, to keep one definition)."""
    off = rv.ReviewSettings(mode=rv.REVIEW_MODE_OFF)
    return {
        RV + "SetReviewSettings": case(_task(rv.SetReviewSettingsRequest, settings=off)),
        RV + "GetReviewSettings": case(_task(rv.GetReviewSettingsRequest)),
        RV + "NextReview": case(
            lambda w, c, _f: rv.NextReviewRequest(task_id=w.ids["task"], reviewer=c.user(w.suffix))
        ),
        RV + "AcceptFrame": case(_lease(rv.AcceptFrameRequest)),
        RV + "RejectFrame": case(_lease(rv.RejectFrameRequest, reason="blurry")),
        RV + "ReleaseReview": case(_lease(rv.ReleaseReviewRequest)),
        RV + "UndoDecision": case(
            lambda w, c, _f: rv.UndoDecisionRequest(task_id=w.ids["task"], frame_id="f000", reviewer=c.user(w.suffix))
        ),
        RV + "GetFrameReview": case(_task(rv.GetFrameReviewRequest, frame_id="f000")),
        RV + "AddComment": case(_task(rv.AddCommentRequest, frame_id="f000", text="a note")),
        RV + "ResolveComment": case(_thread(rv.ResolveCommentRequest)),
        RV + "ReopenComment": case(_thread(rv.ReopenCommentRequest)),
        RV + "GetReviewQuality": case(_task(rv.GetReviewQualityRequest)),
        RV + "ListReviewTasks": case(lambda _w, _c, _f: rv.ListReviewTasksRequest()),  # the acting team's only
    }
