"""Annotation tasks: create, list/filter/sort, info, complete, reopen, delete, label colors.

NextFrame and the editor's navigation are in routes/iterator.py."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from annostream_kernel.errors import DomainError
from annostream_kernel.grpc_client import call
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import tasks_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as f

from .. import serializers
from ..clients import Clients
from ..contract import COMMON, errors
from ..responses import Task, TaskInfo, TaskPage
from ..schemas import CreateTaskBody, LabelColorBody, SelectionBody
from .deps import clients, identity

# exclude_unset: a filter's ROI rule carries only the bounds that are set (serializers.selection).
router = APIRouter(prefix="/api/v1", tags=["tasks"], responses=errors(*COMMON))
C = Annotated[Clients, Depends(clients)]
User = Annotated[str, Depends(identity)]
ORDER = {"sequential": tasks_pb2.ITERATION_ORDER_SEQUENTIAL, "random": tasks_pb2.ITERATION_ORDER_RANDOM}
MODE = {"all": f.FILTER_MODE_ALL, "empty": f.FILTER_MODE_EMPTY, "custom": f.FILTER_MODE_CUSTOM}
STATUS = {"active": tk.TASK_STATUS_ACTIVE, "completed": tk.TASK_STATUS_COMPLETED, "all": tk.TASK_STATUS_UNSPECIFIED}


def _selection(body: SelectionBody | None) -> f.FrameSelection:
    if body is None:
        return f.FrameSelection(mode=f.FILTER_MODE_ALL)
    return f.FrameSelection(
        mode=MODE[body.mode],
        filters=[
            f.FrameFilter(
                frame_query=x.frame_query,
                source_query=x.source_query,
                roi_rules=[
                    f.RoiRule(
                        kind=f.ROI_RULE_KIND_INCLUDE if r.kind == "include" else f.ROI_RULE_KIND_EXCLUDE,
                        label_expression=r.label_expression,
                        min_count=r.min_count,
                        max_count=r.max_count,
                        min_confidence=r.min_confidence,
                        max_confidence=r.max_confidence,
                    )
                    for r in x.roi_rules
                ],
            )
            for x in body.filters
        ],
    )


async def task_progress(c: Clients, task_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each task's `{done, total, known, plan_pending}` from one ListProgress call (all unknown when the iterator
    cannot answer); `plan_pending` while the iterator waits for edits made before the task to build its plan."""
    got: dict[str, dict[str, Any]] = {}
    if task_ids:
        try:
            resp = await call(c.iterator.ListProgress, it.ListProgressRequest(task_ids=task_ids), timeout=c.timeout)
            got = {
                p.task_id: {
                    "done": p.done,
                    "total": p.total,
                    "known": True,
                    "plan_pending": p.status == "pending",
                    "in_review": p.in_review,
                    "accepted": p.accepted,
                }
                for p in resp.tasks
            }
        except DomainError:
            pass
    unknown = {"done": 0, "total": 0, "known": False, "plan_pending": False, "in_review": 0, "accepted": 0}
    return {t: got.get(t) or dict(unknown) for t in task_ids}


async def _version_names(c: Clients, version_ids: list[str]) -> dict[str, str]:
    """Version id -> name of the page's versions, from one BatchGetVersions call; when the datasets service
    cannot answer, the names are left out (the list still answers)."""
    ids = list(dict.fromkeys(v for v in version_ids if v))
    if not ids:
        return {}
    try:
        resp = await call(c.datasets.BatchGetVersions, ds.BatchGetVersionsRequest(version_ids=ids), timeout=c.timeout)
    except DomainError:
        return {}
    return {v.version_id: v.name for v in resp.versions}


@router.post(
    "/tasks", status_code=201, response_model=Task, response_model_exclude_unset=True, responses=errors(404, 409, 413)
)
async def create_task(body: CreateTaskBody, c: C, _user: User) -> dict[str, Any]:
    """Create a task; on a Published version it annotates a new Draft child named like the task."""
    i = body.iteration
    req = tk.CreateTaskRequest(
        name=body.name,
        dataset_version_id=body.dataset_version_id,
        default_labels=body.default_labels,
        iteration=tasks_pb2.IterationSpec(
            order=ORDER[i.order], random_seed=i.random_seed or 0, limit=i.limit, clip_length=i.clip_length
        ),
        has_random_seed=i.random_seed is not None,
        selection=_selection(body.selection),
        label_set=body.label_set,
    )
    if (r := body.review) is not None:
        req.review.CopyFrom(
            tasks_pb2.TaskReview(
                mode=r.mode,
                sample_percent=r.sample_percent,
                reviewer_may_review_own=r.reviewer_may_review_own,
                rework_by=r.rework_by,
            )
        )
    return serializers.task((await call(c.tasks.CreateTask, req, timeout=c.timeout)).task)


@router.get("/tasks", response_model=TaskPage, response_model_exclude_unset=True)
async def list_tasks(
    c: C,
    _user: User,
    page_size: Annotated[int, Query(ge=0, le=500)] = 50,
    page_token: str = "",
    status: Literal["active", "completed", "all"] = "all",
    dataset_id: str = "",
    scope: Annotated[Literal["team", "mine"], Query(description="team work or only my tasks")] = "team",
    sort: Literal["recent", "name"] = "recent",
    my_reviews: Annotated[
        bool,
        Query(
            description="only tasks with my review work: frames waiting that I may review (reviewers and admins),"
            " a review lease I hold, or frames I accepted or rejected"
        ),
    ] = False,
) -> dict[str, Any]:
    """Tasks with the view options (Active/Completed, dataset, My/Team work, My reviews, RECENT/NAME, cursor paging,
    total).

    Each task carries `progress` ({done, total, known}) from one iterator call for the whole page; `known` is
    false while the iterator does not know the task or cannot answer (the list still answers). It also carries
    `source_version_name` and `annotated_version_name` (null when the datasets service cannot tell) from one
    BatchGetVersions call for the whole page, never one per task.
    """
    req = tk.ListTasksRequest(
        page_size=page_size,
        page_token=page_token,
        status=STATUS[status],
        dataset_id=dataset_id,
        scope=tk.TASK_SCOPE_MINE if scope == "mine" else tk.TASK_SCOPE_TEAM,
        sort=tk.TASK_SORT_NAME if sort == "name" else tk.TASK_SORT_RECENT,
    )
    if my_reviews:  # the iterator knows the review work; the tasks service lists (and pages) those tasks
        work = await call(c.review.ListReviewTasks, rv.ListReviewTasksRequest(), timeout=c.timeout)
        req.only.task_ids.extend(work.task_ids)
        req.only.SetInParent()
    resp = await call(c.tasks.ListTasks, req, timeout=c.timeout)
    progress, names = await asyncio.gather(
        task_progress(c, [x.task_id for x in resp.tasks]),
        _version_names(c, [v for x in resp.tasks for v in (x.source_version_id, x.annotated_version_id)]),
    )
    return {
        "tasks": [
            {
                **serializers.task(x),
                "source_version_name": names.get(x.source_version_id),
                "annotated_version_name": names.get(x.annotated_version_id),
                "progress": progress[x.task_id],
            }
            for x in resp.tasks
        ],
        "next_page_token": resp.next_page_token or None,
        "total": resp.total_size,
    }


@router.get("/tasks/{task_id}", response_model=TaskInfo, response_model_exclude_unset=True, responses=errors(404))
async def get_task(task_id: str, c: C, _user: User) -> dict[str, Any]:
    """The task's info: its versions (source and annotated), filters, iteration and progress (with its review
    stages, as the task list shows them)."""
    info = serializers.task_info(await call(c.tasks.GetTask, tk.GetTaskRequest(task_id=task_id), timeout=c.timeout))
    stages = (await task_progress(c, [task_id]))[task_id]
    info["progress"].update(in_review=stages["in_review"], accepted=stages["accepted"])
    return info


@router.post(
    "/tasks/{task_id}/complete", response_model=Task, response_model_exclude_unset=True, responses=errors(404, 409)
)
async def complete_task(task_id: str, c: C, _user: User) -> dict[str, Any]:
    """Mark Completed (owner or team admin: X-Annostream-Role: admin in dev mode)."""
    req = tk.CompleteTaskRequest(task_id=task_id)
    return serializers.task((await call(c.tasks.CompleteTask, req, timeout=c.timeout)).task)


@router.post(
    "/tasks/{task_id}/reopen", response_model=Task, response_model_exclude_unset=True, responses=errors(404, 409)
)
async def reopen_task(task_id: str, c: C, _user: User) -> dict[str, Any]:
    """Make a Completed task Active again (owner or team admin)."""
    req = tk.ReopenTaskRequest(task_id=task_id)
    return serializers.task((await call(c.tasks.ReopenTask, req, timeout=c.timeout)).task)


@router.delete("/tasks/{task_id}", status_code=204, responses=errors(404, 409))
async def delete_task(task_id: str, c: C, _user: User) -> Response:
    """Delete the task (owner or team admin); its annotated version and annotation events stay."""
    await call(c.tasks.DeleteTask, tk.DeleteTaskRequest(task_id=task_id), timeout=c.timeout)
    return Response(status_code=204)


@router.put(
    "/tasks/{task_id}/label-colors",
    response_model=Task,
    response_model_exclude_unset=True,
    responses=errors(404, 409, 413),
)
async def set_label_color(task_id: str, body: LabelColorBody, c: C, _user: User) -> dict[str, Any]:
    """Set a label's color (`#rrggbb`) for everyone annotating the task; answers the task with its label_colors."""
    req = tk.SetLabelColorRequest(task_id=task_id, label=body.label, color=body.color)
    return serializers.task((await call(c.tasks.SetLabelColor, req, timeout=c.timeout)).task)
