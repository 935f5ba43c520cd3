"""Reads of the review stage for people: a frame's review history (from its review stream in the outbox) and the
tasks holding a reviewer's review work."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message

from annostream_kernel.db import Conn
from annostream_protos.events.v1 import review_pb2

from ..domain.review import HistoryEntry
from .review_messages import review_stream

MAX_REVIEW_TASKS = 10_000
KINDS: dict[str, tuple[str, type[Message]]] = {
    cls.DESCRIPTOR.full_name: (kind, cls)
    for kind, cls in (
        ("requested", review_pb2.ReviewRequested),
        ("accepted", review_pb2.FrameAccepted),
        ("rejected", review_pb2.FrameRejected),
        ("decision_undone", review_pb2.ReviewDecisionUndone),
    )
}


def _entry(kind: str, msg: object, at: datetime) -> HistoryEntry:
    annotator, round_ = str(getattr(msg, "annotator", "")), int(getattr(msg, "round", 0))
    actor = annotator if kind == "requested" else str(getattr(msg, "reviewer", ""))
    return HistoryEntry(
        kind,
        actor,
        at,
        round_,
        reason=str(getattr(msg, "reason", "")),
        decision=str(getattr(msg, "decision", "")),
        annotator=annotator,
    )


async def frame_history(conn: Conn, task_id: str, frame_id: str) -> list[HistoryEntry]:
    """The frame's review events in the task, oldest first (one index range of the outbox's stream key)."""
    rows = await conn.fetch(
        "SELECT type, payload, occurred_at FROM events WHERE stream_id = $1 ORDER BY stream_version",
        review_stream(task_id, frame_id),
    )
    out: list[HistoryEntry] = []
    for r in rows:
        known = KINDS.get(r["type"])
        if known is not None:
            kind, cls = known
            out.append(_entry(kind, cls.FromString(bytes(r["payload"])), r["occurred_at"]))
    return out


async def review_tasks(conn: Conn, team: str, user: str, *, may_review: bool) -> list[str]:
    """The team's tasks with review work for `user`: frames they decided and, when they may review, frames waiting
    for review that they may take (free, expired, or held by them; not their own unless the task allows it)."""
    rows = await conn.fetch(
        """
        SELECT t.task_id FROM tasks t
         WHERE t.team = $1
           AND (EXISTS (SELECT 1 FROM review_decisions d WHERE d.task_id = t.task_id AND d.reviewer = $2)
                OR ($3 AND EXISTS (
                    SELECT 1 FROM review r LEFT JOIN review_settings s ON s.task_id = r.task_id
                     WHERE r.task_id = t.task_id AND r.state = 'in_review'
                       AND (r.reviewer IS NULL OR r.reviewer = $2 OR r.expires_at < now())
                       AND (r.annotator <> $2 OR coalesce(s.reviewer_may_review_own, false)))))
         ORDER BY t.task_id LIMIT $4
        """,
        team,
        user,
        may_review,
        MAX_REVIEW_TASKS,
    )
    return [r["task_id"] for r in rows]
