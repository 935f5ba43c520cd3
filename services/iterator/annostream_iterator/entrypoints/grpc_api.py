"""Thin gRPC servicer of the iterator: request → command → handler → response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from annostream_kernel.catch_up import CatchUp, SentPosition, all_done
from annostream_kernel.metrics import LEASES_GRANTED
from annostream_kernel.positions import deadline_timeout
from annostream_kernel.protobuf import timestamp
from annostream_protos.iterator.v1 import iterator_service_pb2 as api
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as api_grpc
from annostream_protos.types.v1 import frames_pb2

from ..domain.commands import LeaseCommand, NextFrame
from ..domain.model import TaskStatus
from ..service_layer import frame_lists
from ..service_layer.handlers import IteratorHandlers
from ..wire import selection
from .known_tasks import task_caught_up, task_caught_up_stream

ACTIONS = {
    api.NAVIGATE_ACTION_TRAIL_PREVIOUS: "trail_previous",
    api.NAVIGATE_ACTION_TRAIL_NEXT: "trail_next",
    api.NAVIGATE_ACTION_ANNOTATED_NEXT: "annotated_next",
    api.NAVIGATE_ACTION_ANNOTATED_PREVIOUS: "annotated_previous",
    api.NAVIGATE_ACTION_JUMP: "jump",
    api.NAVIGATE_ACTION_LOCATE: "locate",
}
GATES = {
    api.TASK_GATE_ACTIVE: "active",
    api.TASK_GATE_COMPLETED: "completed",
    api.TASK_GATE_DELETED: "deleted",
}
STATES = {"open": api.PLAN_FRAME_STATE_OPEN, "leased": api.PLAN_FRAME_STATE_LEASED, "done": api.PLAN_FRAME_STATE_DONE}


class IteratorServicer(api_grpc.IteratorServiceServicer):
    """annostream.iterator.v1.IteratorService."""

    def __init__(
        self,
        handlers: IteratorHandlers,
        catch_up: CatchUp | None = None,
        tasks: CatchUp | None = None,
        edits: SentPosition | None = None,
    ) -> None:
        self._h, self._catch_up, self._tasks, self._edits = handlers, catch_up, tasks, edits

    @task_caught_up
    async def NextFrame(self, request: api.NextFrameRequest, context: Any) -> api.NextFrameResponse:
        cmd = NextFrame(request.task_id, request.annotator, request.complete_lease_id)
        result = await self._h.next_frame(cmd)
        lease = result.lease
        if lease is None:
            return api.NextFrameResponse(total=result.total, exhausted=result.exhausted)
        LEASES_GRANTED.inc()
        return api.NextFrameResponse(
            frame=frames_pb2.FrameRef(version_id=lease.version_id, frame_id=lease.frame_id),
            lease_id=lease.lease_id,
            lease_expires_at=timestamp(lease.expires_at),
            position=lease.position,
            total=lease.total,
            clip=[frames_pb2.FrameRef(version_id=lease.version_id, frame_id=f) for f in lease.clip],
            trail_index=lease.trail_index,
        )

    async def Heartbeat(self, request: api.HeartbeatRequest, context: Any) -> api.HeartbeatResponse:
        expires = await self._h.heartbeat(LeaseCommand(request.task_id, request.annotator, request.lease_id))
        return api.HeartbeatResponse(lease_expires_at=timestamp(expires))

    async def ReleaseFrame(self, request: api.ReleaseFrameRequest, context: Any) -> api.ReleaseFrameResponse:
        await self._h.release(LeaseCommand(request.task_id, request.annotator, request.lease_id, request.done))
        return api.ReleaseFrameResponse()

    @task_caught_up
    async def Navigate(self, request: api.NavigateRequest, context: Any) -> api.NavigateResponse:
        pos, total = await self._h.navigate(
            request.task_id,
            request.annotator,
            ACTIONS.get(request.action, ""),
            request.from_position,
            request.from_trail_index,
            request.steps,
            request.frame_id,
        )
        if pos is None:
            return api.NavigateResponse(total=total)
        return api.NavigateResponse(
            frame=frames_pb2.FrameRef(version_id=pos.version_id, frame_id=pos.frame_id),
            position=pos.position,
            total=pos.total,
            trail_index=pos.trail_index,
            state=STATES[pos.state],
            annotator=pos.annotator,
        )

    async def ValidateSelection(
        self, request: api.ValidateSelectionRequest, context: Any
    ) -> api.ValidateSelectionResponse:
        selection(request.selection)
        return api.ValidateSelectionResponse()

    @task_caught_up
    async def GetProgress(self, request: api.GetProgressRequest, context: Any) -> api.GetProgressResponse:
        plan, done, rows = await self._h.progress(request.task_id)
        return api.GetProgressResponse(
            done=done,
            total=plan.total,
            leased=sum(r["leased"] for r in rows),
            status="pending" if plan.pending and plan.status is TaskStatus.ACTIVE else plan.status.value,
            annotators=[
                api.AnnotatorProgress(
                    annotator=r["annotator"], done=r["done"], leased=r["leased"], trail_length=r["trail_length"]
                )
                for r in rows
            ],
        )

    async def ListProgress(self, request: api.ListProgressRequest, context: Any) -> api.ListProgressResponse:
        rows = await self._h.progress_of(list(request.task_ids))
        return api.ListProgressResponse(
            tasks=[
                api.TaskProgress(
                    task_id=r["task_id"],
                    done=r["done"],
                    total=r["total"],
                    leased=r["leased"],
                    status=r["status"],
                    in_review=r["in_review"],
                    accepted=r["accepted"],
                )
                for r in rows
            ]
        )

    async def SetTaskStatus(self, request: api.SetTaskStatusRequest, context: Any) -> api.SetTaskStatusResponse:
        await self._h.set_status(request.task_id, GATES.get(request.status, ""), request.revision)
        return api.SetTaskStatusResponse()

    async def SealVersion(self, request: api.SealVersionRequest, context: Any) -> api.SealVersionResponse:
        if self._tasks is not None:  # a task the tasks service acknowledged before the publish is counted
            await self._tasks.caught_up(context.time_remaining() if context is not None else None)
        active = await self._h.seal_version(request.version_id)
        return api.SealVersionResponse(active_tasks=[api.ActiveTask(task_id=t, team=team) for t, team in active])

    @task_caught_up_stream
    async def ListPlanFrames(
        self, request: api.ListPlanFramesRequest, context: Any
    ) -> AsyncIterator[api.ListPlanFramesResponse]:
        size = frame_lists.page_size(request.page_size)
        # An export right after CreateTask: a pending plan is waited for within the caller's deadline (at most 30 s).
        wait = deadline_timeout(context.time_remaining() if context is not None else None)
        async for version_id, ids in frame_lists.plan_frames(self._h, request.task_id, size, wait=wait):
            yield api.ListPlanFramesResponse(version_id=version_id, frame_ids=ids)

    async def SelectFrames(
        self, request: api.SelectFramesRequest, context: Any
    ) -> AsyncIterator[api.SelectFramesResponse]:
        size = frame_lists.page_size(request.page_size)
        sel = selection(request.selection)
        if request.version_id and self._catch_up and self._edits:
            # Frames imported (and edits saved) just before the call are in the answer, whatever the lag: a known
            # version can still miss its latest import, so the wait does not depend on a miss. A sequence past the
            # annotation stream's end is refused (INVALID_ARGUMENT naming annotation_stream_seq) at once.
            remaining = context.time_remaining() if context is not None else None
            await all_done(
                self._catch_up.caught_up(remaining), self._edits.applied(request.annotation_stream_seq, remaining)
            )
        async for ids in frame_lists.selected_frames(self._h.uow, request.version_id, sel, size):
            yield api.SelectFramesResponse(frame_ids=ids)
