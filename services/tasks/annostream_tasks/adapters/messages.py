"""Mapping between Task and protobuf messages (API and events)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.streams import TASKS
from annostream_protos.events.v1 import tasks_pb2 as ev
from annostream_protos.tasks.v1 import tasks_service_pb2 as api

from ..domain.model import Iteration, Order, Task, TaskStatus

ORDER = {Order.SEQUENTIAL: ev.ITERATION_ORDER_SEQUENTIAL, Order.RANDOM: ev.ITERATION_ORDER_RANDOM}
STATUS = {TaskStatus.ACTIVE: api.TASK_STATUS_ACTIVE, TaskStatus.COMPLETED: api.TASK_STATUS_COMPLETED}


def _ts(dt: datetime | None) -> timestamp_pb2.Timestamp | None:
    if dt is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(dt)
    return ts


def iteration_msg(it: Iteration) -> ev.IterationSpec:
    """Iteration → IterationSpec."""
    return ev.IterationSpec(
        order=ORDER[it.order], random_seed=it.random_seed, limit=it.limit, clip_length=it.clip_length
    )


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
        created_at=_ts(t.created_at),
        updated_at=_ts(t.updated_at),
    )


def task_created(t: Task) -> NewEvent:
    """TaskCreated for the outbox: stream per task."""
    payload = ev.TaskCreated(
        task_id=t.task_id,
        name=t.name,
        owner=t.owner,
        team=t.team,
        dataset_id=t.dataset_id,
        source_version_id=t.source_version_id,
        annotated_version_id=t.annotated_version_id,
        iteration=iteration_msg(t.iteration),
        default_labels=t.default_labels,
    )
    return NewEvent(
        payload=payload,
        stream_id=f"task:{t.task_id}",
        task_id=t.task_id,
        subject=subject(TASKS.prefix, t.task_id, "TaskCreated"),
    )
