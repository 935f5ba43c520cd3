"""Mapping between protobuf events and the iterator: the one EVENTS table, progress events, frames as indexed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.protobuf import metadata_of
from annostream_kernel.streams import ITERATOR
from annostream_protos.events.v1 import iterator_pb2, review_pb2
from annostream_protos.types.v1 import frames_pb2

from ..domain import events as ev
from . import review_messages as rm
from .index import IndexedFrame


def indexed_frame(f: frames_pb2.Frame) -> IndexedFrame:
    """Frame message → what the index keeps."""
    return IndexedFrame(
        f.frame_id,
        f.context_id,
        f.timestamp,
        metadata_of(f),
        [
            {
                "id": s.id,
                "uri": s.uri,
                "width": s.width,
                "height": s.height,
                "timestamp": s.timestamp,
                "preview_uri": s.preview_uri,
            }
            for s in f.sources
        ],
    )


def progressed(task_id: str, done: int, total: int, annotators: dict[str, int] | None = None) -> NewEvent:
    """TaskProgressed for the outbox. With `annotators` (whose done counts moved) it goes to the task's
    team-progress stream, versioned by the emitter; without, to the task's plan-progress stream."""
    changed = annotators or {}
    only = next(iter(changed.items())) if len(changed) == 1 else ("", 0)
    return NewEvent(
        payload=iterator_pb2.TaskProgressed(
            task_id=task_id,
            done=done,
            total=total,
            annotator=only[0],
            annotator_done=only[1],
            annotators=[iterator_pb2.AnnotatorProgress(annotator=a, done=n) for a, n in changed.items()],
        ),
        stream_id=f"team-progress:{task_id}" if annotators else f"progress:{task_id}:",
        subject=subject(ITERATOR.prefix, task_id, "TaskProgressed"),
        task_id=task_id,
    )


def _ref(f: ev.Frame) -> frames_pb2.FrameRef:
    return frames_pb2.FrameRef(dataset_id=f.dataset_id, version_id=f.version_id, frame_id=f.frame_id)


def _comment_added(e: ev.CommentAdded) -> NewEvent:
    payload = review_pb2.CommentAdded(
        task_id=e.task_id,
        frame=_ref(e.frame),
        comment_id=e.comment_id,
        thread_id=e.thread_id,
        author=e.author,
        text=e.text,
        pinned=e.pinned,
        x=e.x,
        y=e.y,
        roi_id=e.roi_id,
    )
    return rm.event(e.task_id, rm.comment_stream(e.task_id, e.frame.frame_id), payload)


def _thread(cls: type[review_pb2.CommentResolved] | type[review_pb2.CommentReopened]) -> Any:
    def build(e: ev.CommentResolved | ev.CommentReopened) -> NewEvent:
        payload = cls(task_id=e.task_id, frame=_ref(e.frame), thread_id=e.thread_id, by=e.by)
        return rm.event(e.task_id, rm.comment_stream(e.task_id, e.frame.frame_id), payload)

    return build


def _undone(e: ev.ReviewDecisionUndone) -> NewEvent:
    payload = review_pb2.ReviewDecisionUndone(
        task_id=e.task_id,
        frame=_ref(e.frame),
        annotator=e.annotator,
        reviewer=e.reviewer,
        round=e.round,
        decision=e.decision,
    )
    return rm.event(e.task_id, rm.review_stream(e.task_id, e.frame.frame_id), payload)


# The one table from a domain event to its protobuf event (stream, subject and payload).
EVENTS: dict[type[Any], Callable[[Any], NewEvent]] = {
    ev.PlanProgressed: lambda e: progressed(e.task_id, e.done, e.total),
    ev.ReviewSettingsChanged: lambda e: rm.settings_changed(e.task_id, e.settings),
    ev.ReviewRequested: lambda e: rm.requested(e.task_id, _ref(e.frame), e.annotator, e.round),
    ev.FrameAccepted: lambda e: rm.decided(e.task_id, _ref(e.frame), e.annotator, e.reviewer, e.round, "", ""),
    ev.FrameRejected: lambda e: rm.decided(
        e.task_id, _ref(e.frame), e.annotator, e.reviewer, e.round, e.reason, e.rework_by
    ),
    ev.ReviewDecisionUndone: _undone,
    ev.CommentAdded: _comment_added,
    ev.CommentResolved: _thread(review_pb2.CommentResolved),
    ev.CommentReopened: _thread(review_pb2.CommentReopened),
}


def new_event(e: ev.Event) -> NewEvent:
    """A domain event as the protobuf event the outbox appends."""
    return EVENTS[type(e)](e)
