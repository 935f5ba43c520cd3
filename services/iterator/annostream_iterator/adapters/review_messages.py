"""Review events for the outbox: stream ids and subjects (`annostream.iterator.v1.<task>.<EventType>`)."""

from __future__ import annotations

from google.protobuf.message import Message

from annostream_kernel.events import NewEvent, subject
from annostream_kernel.streams import ITERATOR
from annostream_protos.events.v1 import review_pb2
from annostream_protos.types.v1 import frames_pb2

from ..domain.review import ReviewSettings


def event(task_id: str, stream_id: str, payload: Message) -> NewEvent:
    """An event of the task on its subject."""
    name = payload.DESCRIPTOR.name
    return NewEvent(
        payload=payload, stream_id=stream_id, subject=subject(ITERATOR.prefix, task_id, name), task_id=task_id
    )


def review_stream(task_id: str, frame_id: str) -> str:
    """One frame's review history in a task (requests and decisions, in order)."""
    return f"review:{task_id}:{frame_id}"


def comment_stream(task_id: str, frame_id: str) -> str:
    """One frame's comment threads in a task."""
    return f"comments:{task_id}:{frame_id}"


def settings_changed(task_id: str, s: ReviewSettings) -> NewEvent:
    """ReviewSettingsChanged."""
    payload = review_pb2.ReviewSettingsChanged(
        task_id=task_id,
        mode=s.mode.value,
        sample_percent=s.sample_percent,
        reviewer_may_review_own=s.reviewer_may_review_own,
        rework_by=s.rework_by.value,
    )
    return event(task_id, f"review-settings:{task_id}", payload)


def requested(task_id: str, ref: frames_pb2.FrameRef, annotator: str, round_: int) -> NewEvent:
    """ReviewRequested."""
    payload = review_pb2.ReviewRequested(task_id=task_id, frame=ref, annotator=annotator, round=round_)
    return event(task_id, review_stream(task_id, ref.frame_id), payload)


def decided(
    task_id: str, ref: frames_pb2.FrameRef, annotator: str, reviewer: str, round_: int, reason: str, rework: str
) -> NewEvent:
    """FrameAccepted, or FrameRejected when `reason` is set."""
    stream = review_stream(task_id, ref.frame_id)
    if not reason:
        accepted = review_pb2.FrameAccepted(
            task_id=task_id, frame=ref, annotator=annotator, reviewer=reviewer, round=round_
        )
        return event(task_id, stream, accepted)
    rejected = review_pb2.FrameRejected(
        task_id=task_id,
        frame=ref,
        annotator=annotator,
        reviewer=reviewer,
        round=round_,
        reason=reason,
        rework_by=rework,
    )
    return event(task_id, stream, rejected)


def undone(task_id: str, ref: frames_pb2.FrameRef, row: dict[str, object], decision: str) -> NewEvent:
    """ReviewDecisionUndone from the review row as it was decided."""
    payload = review_pb2.ReviewDecisionUndone(
        task_id=task_id,
        frame=ref,
        annotator=str(row["annotator"]),
        reviewer=str(row["reviewer"]),
        round=int(row["round"]),  # type: ignore[call-overload]
        decision=decision,
    )
    return event(task_id, review_stream(task_id, ref.frame_id), payload)


def comment_added(ref: frames_pb2.FrameRef, task_id: str, c: dict[str, object]) -> NewEvent:
    """CommentAdded from a stored comment row."""
    payload = review_pb2.CommentAdded(
        task_id=task_id,
        frame=ref,
        comment_id=str(c["comment_id"]),
        thread_id=str(c["thread_id"]),
        author=str(c["author"]),
        text=str(c["text"]),
        pinned=bool(c["pinned"]),
        x=float(c["x"]),  # type: ignore[arg-type]
        y=float(c["y"]),  # type: ignore[arg-type]
        roi_id=str(c["roi_id"]),
    )
    return event(task_id, comment_stream(task_id, ref.frame_id), payload)


def thread_changed(ref: frames_pb2.FrameRef, task_id: str, thread_id: str, by: str, *, resolved: bool) -> NewEvent:
    """CommentResolved or CommentReopened."""
    cls = review_pb2.CommentResolved if resolved else review_pb2.CommentReopened
    return event(
        task_id, comment_stream(task_id, ref.frame_id), cls(task_id=task_id, frame=ref, thread_id=thread_id, by=by)
    )
