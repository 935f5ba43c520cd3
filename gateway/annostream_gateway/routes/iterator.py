"""The iterator for the editor: next frame (lease), heartbeat, release, navigation, progress."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from annostream_kernel.grpc_client import call
from annostream_kernel.limits import INT64_MAX, MAX_ID_LENGTH
from annostream_protos.iterator.v1 import iterator_service_pb2 as it

from .. import serializers
from ..clients import Clients
from ..contract import COMMON, errors
from ..responses import Heartbeat, Lease, Navigation, Released, TaskProgress
from ..schemas import Strict
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["iterator"], responses=errors(*COMMON, 404))
Position = Annotated[int, Query(ge=0, le=INT64_MAX)]
C = Annotated[Clients, Depends(clients)]
User = Annotated[str, Depends(identity)]
Action = Literal["trail_previous", "trail_next", "annotated_next", "annotated_previous", "jump", "locate"]
ACTIONS = {
    "trail_previous": it.NAVIGATE_ACTION_TRAIL_PREVIOUS,
    "trail_next": it.NAVIGATE_ACTION_TRAIL_NEXT,
    "annotated_next": it.NAVIGATE_ACTION_ANNOTATED_NEXT,
    "annotated_previous": it.NAVIGATE_ACTION_ANNOTATED_PREVIOUS,
    "jump": it.NAVIGATE_ACTION_JUMP,
    "locate": it.NAVIGATE_ACTION_LOCATE,
}
STATES = {it.PLAN_FRAME_STATE_OPEN: "open", it.PLAN_FRAME_STATE_LEASED: "leased", it.PLAN_FRAME_STATE_DONE: "done"}


class NextFrameBody(Strict):
    """Optional body of next-frame: the lease the editor just finished (its frames become done)."""

    complete_lease_id: str = Field(default="", max_length=200)


class ReleaseBody(Strict):
    """Body of release: done=true finishes the frames, false gives them back to the queue."""

    done: bool = False


@router.post("/tasks/{task_id}/next-frame", response_model=Lease, responses=errors(409, 413))
async def next_frame(task_id: str, c: C, user: User, body: NextFrameBody | None = None) -> dict[str, Any]:
    """Lease the next frame (or clip) of the task to the calling user; `frame` is null when none is free
    (`exhausted` true: every frame is done). 404 for an unknown task, or while its plan is pending (details
    `plan_pending`: retry), 409 once the task is completed or the version it annotates is Published (nothing is
    leased, not even the caller's held frame)."""
    req = it.NextFrameRequest(task_id=task_id, annotator=user, complete_lease_id=body.complete_lease_id if body else "")
    resp = await call(c.iterator.NextFrame, req, timeout=c.timeout)
    if not resp.HasField("frame"):
        return {
            "frame": None,
            "lease_id": None,
            "lease_expires_at": None,
            "position": 0,
            "total": resp.total,
            "clip": [],
            "exhausted": resp.exhausted,
            "trail_index": 0,
        }
    return {
        "frame": serializers.frame_ref(resp.frame),
        "lease_id": resp.lease_id,
        "lease_expires_at": serializers.ts(resp.lease_expires_at),
        "position": resp.position,
        "total": resp.total,
        "clip": [serializers.frame_ref(f) for f in resp.clip],
        "exhausted": False,
        "trail_index": resp.trail_index,
    }


@router.post("/tasks/{task_id}/leases/{lease_id}/heartbeat", response_model=Heartbeat, responses=errors(409))
async def heartbeat(task_id: str, lease_id: str, c: C, user: User) -> dict[str, Any]:
    """Extend the caller's lease by the lease TTL; 409 (field lease_id) when it is no longer held."""
    req = it.HeartbeatRequest(task_id=task_id, annotator=user, lease_id=lease_id)
    resp = await call(c.iterator.Heartbeat, req, timeout=c.timeout)
    return {"lease_id": lease_id, "lease_expires_at": serializers.ts(resp.lease_expires_at)}


@router.post("/tasks/{task_id}/leases/{lease_id}/release", response_model=Released, responses=errors(409, 413))
async def release(task_id: str, lease_id: str, c: C, user: User, body: ReleaseBody | None = None) -> dict[str, Any]:
    """Give the frame back to the queue, or finish it (`{"done": true}`)."""
    done = body.done if body else False
    req = it.ReleaseFrameRequest(task_id=task_id, annotator=user, lease_id=lease_id, done=done)
    await call(c.iterator.ReleaseFrame, req, timeout=c.timeout)
    return {"lease_id": lease_id, "released": True, "done": done}


@router.get("/tasks/{task_id}/navigate", response_model=Navigation)
async def navigate(
    task_id: str,
    c: C,
    user: User,
    action: Action,
    from_position: Position = 0,
    from_trail_index: Position = 0,
    steps: Annotated[int, Query(ge=-1_000_000_000, le=1_000_000_000)] = 0,
    frame_id: Annotated[str, Query(max_length=MAX_ID_LENGTH, description="The frame to locate (action=locate).")] = "",
) -> dict[str, Any]:
    """Where an editor control leads (read-only): trail previous/next, previous/next annotated frame, jump by N,
    or where a frame stands in the plan (locate: a frame opened from a link)."""
    req = it.NavigateRequest(
        task_id=task_id,
        annotator=user,
        action=ACTIONS[action],
        from_position=from_position,
        from_trail_index=from_trail_index,
        steps=steps,
        frame_id=frame_id,
    )
    resp = await call(c.iterator.Navigate, req, timeout=c.timeout)
    if not resp.HasField("frame"):
        return {"frame": None, "position": 0, "total": resp.total, "trail_index": 0, "state": None, "annotator": None}
    return {
        "frame": serializers.frame_ref(resp.frame),
        "position": resp.position,
        "total": resp.total,
        "trail_index": resp.trail_index,
        "state": STATES.get(resp.state, "open"),
        "annotator": resp.annotator or None,
    }


@router.get("/tasks/{task_id}/progress", response_model=TaskProgress)
async def progress(task_id: str, c: C, _user: User) -> dict[str, Any]:
    """Done / total of the task, frames leased now, and per annotator."""
    resp = await call(c.iterator.GetProgress, it.GetProgressRequest(task_id=task_id), timeout=c.timeout)
    return {
        "task_id": task_id,
        "status": resp.status,
        "done": resp.done,
        "total": resp.total,
        "leased": resp.leased,
        "annotators": [
            {"annotator": a.annotator, "done": a.done, "leased": a.leased, "trail_length": a.trail_length}
            for a in resp.annotators
        ],
    }
