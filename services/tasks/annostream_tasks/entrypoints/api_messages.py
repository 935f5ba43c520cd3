"""The gRPC edge of the tasks service: domain → API response messages."""

from __future__ import annotations

from annostream_kernel.protobuf import timestamp
from annostream_protos.tasks.v1 import tasks_service_pb2 as api

from ..domain.model import Task, TaskStatus
from ..wire import iteration_msg, selection_msg

STATUS = {TaskStatus.ACTIVE: api.TASK_STATUS_ACTIVE, TaskStatus.COMPLETED: api.TASK_STATUS_COMPLETED}


def task_msg(t: Task) -> api.Task:
    """Task → API message."""
    return api.Task(
        task_id=t.task_id,
        name=t.name,
        owner=t.owner,
        team=t.team,
        dataset_id=t.dataset_id,
        source_version_id=t.source_version_id,
        annotated_version_id=t.annotated_version_id,
        iteration=iteration_msg(t.iteration),
        default_labels=t.default_labels,
        status=STATUS[t.status],
        created_at=timestamp(t.created_at),
        updated_at=timestamp(t.updated_at),
        selection=selection_msg(t.selection),
        label_set=t.label_set,
        completed_at=timestamp(t.completed_at),
        label_colors=t.label_colors,
    )
