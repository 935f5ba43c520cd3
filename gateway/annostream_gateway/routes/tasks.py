"""Annotation tasks and the iterator's NextFrame."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from annostream_kernel.grpc_client import call
from annostream_protos.events.v1 import tasks_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from .. import serializers
from ..clients import Clients
from ..schemas import CreateTaskBody
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["tasks"])
C = Annotated[Clients, Depends(clients)]
User = Annotated[str, Depends(identity)]
ORDER = {"sequential": tasks_pb2.ITERATION_ORDER_SEQUENTIAL, "random": tasks_pb2.ITERATION_ORDER_RANDOM}


@router.post("/tasks", status_code=201)
async def create_task(body: CreateTaskBody, c: C, _user: User) -> dict[str, Any]:
    i = body.iteration
    req = tk.CreateTaskRequest(
        name=body.name,
        dataset_version_id=body.dataset_version_id,
        default_labels=body.default_labels,
        iteration=tasks_pb2.IterationSpec(
            order=ORDER[i.order], random_seed=i.random_seed or 0, limit=i.limit, clip_length=i.clip_length
        ),
        has_random_seed=i.random_seed is not None,
    )
    return serializers.task((await call(c.tasks.CreateTask, req, timeout=c.timeout)).task)


@router.get("/tasks")
async def list_tasks(
    c: C, _user: User, page_size: Annotated[int, Query(ge=0, le=500)] = 50, page_token: str = ""
) -> dict[str, Any]:
    resp = await call(
        c.tasks.ListTasks, tk.ListTasksRequest(page_size=page_size, page_token=page_token), timeout=c.timeout
    )
    return {
        "tasks": [serializers.task(x) for x in resp.tasks],
        "next_page_token": resp.next_page_token or None,
        "total": resp.total_size,
    }


@router.get("/tasks/{task_id}")
async def get_task(task_id: str, c: C, _user: User) -> dict[str, Any]:
    return serializers.task((await call(c.tasks.GetTask, tk.GetTaskRequest(task_id=task_id), timeout=c.timeout)).task)


@router.post("/tasks/{task_id}/next-frame")
async def next_frame(task_id: str, c: C, user: User) -> dict[str, Any]:
    """Lease the next frame of the task to the calling user; `frame` is null when none is left."""
    resp = await call(c.iterator.NextFrame, it.NextFrameRequest(task_id=task_id, annotator=user), timeout=c.timeout)
    if not resp.HasField("frame"):
        return {"frame": None, "lease_id": None, "lease_expires_at": None, "position": 0, "total": resp.total}
    return {
        "frame": serializers.frame_ref(resp.frame),
        "lease_id": resp.lease_id,
        "lease_expires_at": serializers.ts(resp.lease_expires_at),
        "position": resp.position,
        "total": resp.total,
    }
