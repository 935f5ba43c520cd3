"""Thin gRPC servicer of the tasks service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annostream_kernel.authz import require_principal
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.positions import OwnStream
from annostream_protos.events.v1 import datasets_pb2
from annostream_protos.events.v1 import tasks_pb2 as ev
from annostream_protos.tasks.v1 import tasks_service_pb2 as api
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as api_grpc

from ..domain.commands import CompleteTask, CreateTask, DeleteTask, ReopenTask, SetLabelColor
from ..domain.model import (
    Iteration,
    Order,
    Scope,
    SortBy,
    TaskQuery,
    TaskStatus,
    validate_color,
    validate_label,
    validate_label_set,
    validate_labels,
    validate_task_name,
)
from ..service_layer import handlers
from ..service_layer.handlers import UowFactory
from ..service_layer.ports import EditPositions, FrameIterator, VersionCatalog, VersionInfo
from ..wire import MODE_OF, review_of, selection_of
from .api_messages import task_msg

ORDERS = {
    ev.ITERATION_ORDER_UNSPECIFIED: Order.SEQUENTIAL,
    ev.ITERATION_ORDER_SEQUENTIAL: Order.SEQUENTIAL,
    ev.ITERATION_ORDER_RANDOM: Order.RANDOM,
}
STATUSES = {
    api.TASK_STATUS_UNSPECIFIED: None,
    api.TASK_STATUS_ACTIVE: TaskStatus.ACTIVE,
    api.TASK_STATUS_COMPLETED: TaskStatus.COMPLETED,
}
MAX_ONLY = 10_000
SCOPES = {api.TASK_SCOPE_UNSPECIFIED: Scope.TEAM, api.TASK_SCOPE_TEAM: Scope.TEAM, api.TASK_SCOPE_MINE: Scope.MINE}
SORTS = {api.TASK_SORT_UNSPECIFIED: SortBy.RECENT, api.TASK_SORT_RECENT: SortBy.RECENT, api.TASK_SORT_NAME: SortBy.NAME}


def _enum(table: Mapping[Any, Any], value: int, field: str) -> Any:
    if value not in table:
        raise InvalidArgument(f"unknown value {value}", field=field)
    return table[value]


def _summary(v: VersionInfo | None) -> api.VersionSummary | None:
    if v is None:
        return None
    status = datasets_pb2.VERSION_STATUS_PUBLISHED if v.published else datasets_pb2.VERSION_STATUS_DRAFT
    return api.VersionSummary(
        version_id=v.version_id,
        name=v.name,
        status=status,
        frame_count=v.frame_count,
        parent_version_id=v.parent_version_id,
    )


class TasksServicer(api_grpc.TasksServiceServicer):
    """annostream.tasks.v1.TasksService."""

    def __init__(
        self,
        uow: UowFactory,
        catalog: VersionCatalog,
        iterator: FrameIterator,
        positions: EditPositions,
        published: OwnStream,
    ) -> None:
        self._uow, self._catalog, self._iterator, self._positions = uow, catalog, iterator, positions
        self._published = published

    async def CreateTask(self, request: api.CreateTaskRequest, context: Any) -> api.CreateTaskResponse:
        it = request.iteration
        order = _enum(ORDERS, it.order, "iteration.order")
        iteration = Iteration.build(
            order, it.random_seed if request.has_random_seed else None, it.limit, it.clip_length
        )
        default_labels = validate_labels(list(request.default_labels))
        selection = selection_of(request.selection)
        if request.selection.mode not in MODE_OF:
            raise InvalidArgument(f"unknown value {request.selection.mode}", field="selection.mode")
        cmd = CreateTask(
            name=validate_task_name(request.name),
            dataset_version_id=request.dataset_version_id,
            iteration=iteration,
            default_labels=default_labels,
            owner=require_principal().user,
            team=require_principal().team,
            selection=selection,
            label_set=validate_label_set(list(request.label_set), default_labels),
            review=review_of(request.review),
        )
        task = await handlers.create_task(self._uow, self._catalog, self._iterator, cmd, self._positions)
        return api.CreateTaskResponse(task=task_msg(task))

    async def GetTask(self, request: api.GetTaskRequest, context: Any) -> api.GetTaskResponse:
        info = await handlers.task_info(self._uow, self._catalog, self._iterator, request.task_id)
        return api.GetTaskResponse(
            task=task_msg(info.task),
            source_version=_summary(info.source),
            annotated_version=_summary(info.annotated),
            progress=api.TaskProgress(
                done=info.progress.done,
                total=info.progress.total,
                known=info.progress.known,
                plan_pending=info.progress.plan_pending,
            ),
        )

    async def ListTasks(self, request: api.ListTasksRequest, context: Any) -> api.ListTasksResponse:
        caller = require_principal()
        query = TaskQuery(
            team=caller.team,
            actor=caller.user,
            status=_enum(STATUSES, request.status, "status"),
            dataset_id=request.dataset_id,
            scope=_enum(SCOPES, request.scope, "scope"),
            sort=_enum(SORTS, request.sort, "sort"),
            only=_only(request),
        )
        tasks, token, total = await handlers.list_tasks(self._uow, query, request.page_size, request.page_token)
        return api.ListTasksResponse(tasks=[task_msg(t) for t in tasks], next_page_token=token, total_size=total)

    async def CompleteTask(self, request: api.CompleteTaskRequest, context: Any) -> api.CompleteTaskResponse:
        task = await handlers.set_status(
            self._uow, CompleteTask(request.task_id), iterator=self._iterator, catalog=self._catalog
        )
        return api.CompleteTaskResponse(task=task_msg(task))

    async def ReopenTask(self, request: api.ReopenTaskRequest, context: Any) -> api.ReopenTaskResponse:
        task = await handlers.set_status(
            self._uow, ReopenTask(request.task_id), iterator=self._iterator, catalog=self._catalog
        )
        return api.ReopenTaskResponse(task=task_msg(task))

    async def DeleteTask(self, request: api.DeleteTaskRequest, context: Any) -> api.DeleteTaskResponse:
        await handlers.delete_task(self._uow, DeleteTask(request.task_id), iterator=self._iterator)
        return api.DeleteTaskResponse()

    async def SetLabelColor(self, request: api.SetLabelColorRequest, context: Any) -> api.SetLabelColorResponse:
        cmd = SetLabelColor(
            task_id=request.task_id,
            label=validate_label(request.label),
            color=validate_color(request.color),
        )
        task = await handlers.set_label_color(self._uow, cmd)
        return api.SetLabelColorResponse(task=task_msg(task))

    async def GetPublishedPosition(
        self, request: api.GetPublishedPositionRequest, context: Any
    ) -> api.GetPublishedPositionResponse:
        seq = await self._published.published(context.time_remaining() if context is not None else None)
        return api.GetPublishedPositionResponse(stream_seq=seq)


def _only(request: api.ListTasksRequest) -> tuple[str, ...] | None:
    """The `only` restriction (None when unset): at most MAX_ONLY task ids."""
    if not request.HasField("only"):
        return None
    if len(request.only.task_ids) > MAX_ONLY:
        raise InvalidArgument(f"at most {MAX_ONLY} task ids", field="only.task_ids")
    return tuple(request.only.task_ids)
