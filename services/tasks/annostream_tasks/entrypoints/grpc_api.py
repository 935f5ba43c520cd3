"""Thin gRPC servicer of the tasks service."""

from __future__ import annotations

from typing import Any

from annostream_kernel.context import current_actor, current_team
from annostream_kernel.errors import InvalidArgument
from annostream_protos.events.v1 import tasks_pb2 as ev
from annostream_protos.tasks.v1 import tasks_service_pb2 as api
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as api_grpc

from ..adapters import messages
from ..adapters.datasets_client import VersionCatalog
from ..domain.model import CreateTask, Iteration, Order, validate_labels, validate_task_name
from ..service_layer import handlers
from ..service_layer.handlers import UowFactory

ORDERS = {
    ev.ITERATION_ORDER_UNSPECIFIED: Order.SEQUENTIAL,
    ev.ITERATION_ORDER_SEQUENTIAL: Order.SEQUENTIAL,
    ev.ITERATION_ORDER_RANDOM: Order.RANDOM,
}


class TasksServicer(api_grpc.TasksServiceServicer):
    """annostream.tasks.v1.TasksService."""

    def __init__(self, uow: UowFactory, catalog: VersionCatalog) -> None:
        self._uow, self._catalog = uow, catalog

    async def CreateTask(self, request: api.CreateTaskRequest, context: Any) -> api.CreateTaskResponse:
        it = request.iteration
        if it.order not in ORDERS:
            raise InvalidArgument(f"unknown order {it.order}", field="iteration.order")
        iteration = Iteration.build(
            ORDERS[it.order], it.random_seed if request.has_random_seed else None, it.limit, it.clip_length
        )
        cmd = CreateTask(
            name=validate_task_name(request.name),
            dataset_version_id=request.dataset_version_id,
            iteration=iteration,
            default_labels=validate_labels(list(request.default_labels)),
            owner=current_actor() or "anonymous",
            team=current_team() or "default",
        )
        task = await handlers.create_task(self._uow, self._catalog, cmd)
        return api.CreateTaskResponse(task=messages.task_msg(task))

    async def GetTask(self, request: api.GetTaskRequest, context: Any) -> api.GetTaskResponse:
        return api.GetTaskResponse(task=messages.task_msg(await handlers.get_task(self._uow, request.task_id)))

    async def ListTasks(self, request: api.ListTasksRequest, context: Any) -> api.ListTasksResponse:
        tasks, token, total = await handlers.list_tasks(
            self._uow, current_team() or "default", request.page_size, request.page_token
        )
        return api.ListTasksResponse(
            tasks=[messages.task_msg(t) for t in tasks], next_page_token=token, total_size=total
        )
