"""A frame's history in a task: its edits (annotation events) and its review decisions, interleaved by time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from annostream_kernel.grpc_client import call
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.iterator.v1 import review_service_pb2 as rv

from .. import serializers
from ..clients import Clients
from ..contract import COMMON, errors
from ..responses_review import FrameHistoryWithReview
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["review"], responses=errors(*COMMON, 404))
C = Annotated[Clients, Depends(clients)]
User = Annotated[str, Depends(identity)]
PAGE = 1000
DECISIONS = ("accepted", "rejected")


def review_entries(history: list[rv.ReviewHistoryEntry], user: str) -> list[dict[str, Any]]:
    """Review events → history entries; the last one is undoable when it is the caller's decision."""
    out = [
        {
            "kind": h.kind,
            "actor": h.actor,
            "at": serializers.ts(h.at),
            "version": None,
            "type": None,
            "roi_id": None,
            "round": h.round,
            "reason": h.reason or None,
            "decision": h.decision or None,
            "undoable": False,
        }
        for h in history
    ]
    if out and out[-1]["kind"] in DECISIONS and out[-1]["actor"] == user:
        out[-1]["undoable"] = True
    return out


def edit_entry(e: ann.FrameEvent) -> dict[str, Any]:
    """An annotation event → a history entry."""
    return {
        "kind": "edit",
        "actor": e.actor,
        "at": serializers.ts(e.occurred_at),
        "version": e.version,
        "type": e.type,
        "roi_id": e.roi_id or None,
        "round": None,
        "reason": None,
        "decision": None,
        "undoable": False,
    }


@router.get("/tasks/{task_id}/frames/{frame_id}/history", response_model=FrameHistoryWithReview)
async def frame_history(
    task_id: str,
    frame_id: str,
    c: C,
    user: User,
    max_edits: Annotated[int, Query(ge=1, le=5000, description="edits at most (the oldest first)")] = 2000,
) -> dict[str, Any]:
    """The frame's history in the task, oldest first: its edits (who changed what, when) and its review events
    (requested, accepted, rejected with the reason, decision undone), interleaved by time. READ on the task (the
    frame must be in its plan) and on its annotated version."""
    r = await call(
        c.review.GetFrameReview, rv.GetFrameReviewRequest(task_id=task_id, frame_id=frame_id), timeout=c.timeout
    )
    ref = r.review.frame
    edits: list[tuple[tuple[int, int], dict[str, Any]]] = []
    after, more = 0, True
    while more and len(edits) < max_edits:
        req = ann.ListFrameEventsRequest(frame=ref, after_version=after, page_size=min(PAGE, max_edits - len(edits)))
        page = await call(c.annotation.ListFrameEvents, req, timeout=c.timeout)
        edits.extend(((e.occurred_at.seconds, e.occurred_at.nanos), edit_entry(e)) for e in page.events)
        more = bool(page.events) and page.more
        after = page.events[-1].version if page.events else after
    reviews = [
        ((h.at.seconds, h.at.nanos), x) for h, x in zip(r.history, review_entries(list(r.history), user), strict=True)
    ]
    entries = [x for _, x in sorted(edits + reviews, key=lambda kx: kx[0])]  # stable: edits first on a tie
    return {
        "task_id": task_id,
        "frame": serializers.frame_ref(ref),
        "entries": entries,
        "edits_truncated": more,
    }
