"""Mapping between Task and protobuf messages (API and events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.protobuf import timestamp
from annostream_kernel.streams import TASKS
from annostream_protos.events.v1 import tasks_pb2 as ev
from annostream_protos.tasks.v1 import tasks_service_pb2 as api
from annostream_protos.types.v1 import filters_pb2

from ..domain import events
from ..domain.model import FilterMode, Iteration, Order, ReviewSpec, Selection, Task, TaskStatus

ORDER = {Order.SEQUENTIAL: ev.ITERATION_ORDER_SEQUENTIAL, Order.RANDOM: ev.ITERATION_ORDER_RANDOM}
STATUS = {TaskStatus.ACTIVE: api.TASK_STATUS_ACTIVE, TaskStatus.COMPLETED: api.TASK_STATUS_COMPLETED}
MODE = {
    FilterMode.ALL: filters_pb2.FILTER_MODE_ALL,
    FilterMode.EMPTY: filters_pb2.FILTER_MODE_EMPTY,
    FilterMode.CUSTOM: filters_pb2.FILTER_MODE_CUSTOM,
}
MODE_OF = {v: k for k, v in MODE.items()} | {filters_pb2.FILTER_MODE_UNSPECIFIED: FilterMode.ALL}


def iteration_msg(it: Iteration) -> ev.IterationSpec:
    """Iteration → IterationSpec."""
    return ev.IterationSpec(
        order=ORDER[it.order], random_seed=it.random_seed, limit=it.limit, clip_length=it.clip_length
    )


def selection_of(msg: filters_pb2.FrameSelection) -> Selection:
    """FrameSelection → Selection (filters kept in their JSON form)."""
    filters = [json_format.MessageToDict(f, preserving_proto_field_name=True) for f in msg.filters]
    return Selection(MODE_OF.get(msg.mode, FilterMode.ALL), filters)


def selection_msg(s: Selection) -> filters_pb2.FrameSelection:
    """Selection → FrameSelection."""
    return filters_pb2.FrameSelection(
        mode=MODE[s.mode], filters=[json_format.ParseDict(f, filters_pb2.FrameFilter()) for f in s.filters]
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
        created_at=timestamp(t.created_at),
        updated_at=timestamp(t.updated_at),
        selection=selection_msg(t.selection),
        label_set=t.label_set,
        completed_at=timestamp(t.completed_at),
        label_colors=t.label_colors,
    )


def _event(payload: Message, task_id: str) -> NewEvent:
    return NewEvent(
        payload=payload,
        stream_id=f"task:{task_id}",
        task_id=task_id,
        subject=subject(TASKS.prefix, task_id, payload.DESCRIPTOR.name),
    )


def review_of(msg: ev.TaskReview) -> ReviewSpec:
    """TaskReview → ReviewSpec (validated; empty strings are the defaults: off, annotator)."""
    return ReviewSpec(msg.mode or "off", msg.sample_percent, msg.reviewer_may_review_own, msg.rework_by or "annotator")


def review_msg(r: ReviewSpec) -> ev.TaskReview:
    """ReviewSpec → TaskReview."""
    return ev.TaskReview(
        mode=r.mode,
        sample_percent=r.sample_percent,
        reviewer_may_review_own=r.reviewer_may_review_own,
        rework_by=r.rework_by,
    )


def task_created(t: Task, annotation_stream_seq: int = 0, review: ReviewSpec | None = None) -> NewEvent:
    """TaskCreated for the outbox: stream per task (with the annotation position its plan must include and the
    review settings it starts with)."""
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
        selection=selection_msg(t.selection),
        label_set=t.label_set,
        annotation_stream_seq=annotation_stream_seq,
    )
    if review is not None and review.mode != "off":
        payload.review.CopyFrom(review_msg(review))
    return _event(payload, t.task_id)


def label_color_set(task_id: str, label: str, color: str) -> NewEvent:
    """LabelColorSet: a label's color for everyone annotating the task."""
    return _event(ev.LabelColorSet(task_id=task_id, label=label, color=color), task_id)


# The one table from a domain event to its protobuf event (stream, subject and payload).
EVENTS: dict[type[Any], Callable[[Any], NewEvent]] = {
    events.TaskCreated: lambda e: task_created(e.task, e.annotation_stream_seq, e.review),
    events.TaskCompleted: lambda e: _event(ev.TaskCompleted(task_id=e.task_id), e.task_id),
    events.TaskReopened: lambda e: _event(ev.TaskReopened(task_id=e.task_id), e.task_id),
    events.TaskDeleted: lambda e: _event(
        ev.TaskDeleted(task_id=e.task_id, annotated_version_id=e.annotated_version_id), e.task_id
    ),
    events.LabelColorSet: lambda e: label_color_set(e.task_id, e.label, e.color),
}


def new_event(e: events.Event) -> NewEvent:
    """A domain event as the protobuf event the outbox appends."""
    return EVENTS[type(e)](e)
