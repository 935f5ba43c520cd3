"""The tasks service's domain events as protobuf events (the one EVENTS table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.streams import TASKS
from annostream_protos.events.v1 import tasks_pb2 as ev

from ..domain import events
from ..domain.model import ReviewSpec, Task
from ..wire import iteration_msg, review_msg, selection_msg


def _event(payload: Message, task_id: str) -> NewEvent:
    return NewEvent(
        payload=payload,
        stream_id=f"task:{task_id}",
        task_id=task_id,
        subject=subject(TASKS.prefix, task_id, payload.DESCRIPTOR.name),
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
