"""Commands of the iterator (imperative): leases for annotators, review decisions and comments."""

from __future__ import annotations

import math
from dataclasses import dataclass

from annostream_kernel.errors import InvalidArgument

from .model import require
from .review import MAX_COMMENT_CHARS, MAX_COORDINATE, MAX_REASON_CHARS, an_id, text


@dataclass(frozen=True)
class NextFrame:
    """Lease the next frame of a task to an annotator (the same one again while the lease is held)."""

    task_id: str
    annotator: str
    complete_lease_id: str = ""

    def __post_init__(self) -> None:
        require(self.task_id, "task_id")
        if not self.annotator:
            raise InvalidArgument("is required (set the user)", field="annotator")


@dataclass(frozen=True)
class LeaseCommand:
    """Heartbeat or release of a held lease (`done` finishes the frames of a release)."""

    task_id: str
    annotator: str
    lease_id: str
    done: bool = False

    def __post_init__(self) -> None:
        require(self.task_id, "task_id")
        require(self.annotator, "annotator")
        require(self.lease_id, "lease_id")


@dataclass(frozen=True)
class Decide:
    """Accept or reject (with a reason) the frame of a held review lease."""

    task_id: str
    lease_id: str
    reviewer: str
    accept: bool
    reason: str = ""

    def __post_init__(self) -> None:
        an_id(self.task_id, "task_id")
        an_id(self.lease_id, "lease_id")
        if not self.accept:
            text(self.reason, "reason", MAX_REASON_CHARS)
        elif len(self.reason) > MAX_REASON_CHARS:
            raise InvalidArgument(f"must be at most {MAX_REASON_CHARS} characters", field="reason")


@dataclass(frozen=True)
class AddComment:
    """A comment on a frame of a task: a new thread, or a reply (`reply_to`); optionally pinned to a point."""

    task_id: str
    frame_id: str
    text: str
    reply_to: str = ""
    pinned: bool = False
    x: float = 0.0
    y: float = 0.0
    roi_id: str = ""

    def __post_init__(self) -> None:
        an_id(self.task_id, "task_id")
        an_id(self.frame_id, "frame_id")
        text(self.text, "text", MAX_COMMENT_CHARS)
        an_id(self.reply_to, "reply_to", optional=True)
        an_id(self.roi_id, "roi_id", optional=True)
        for field, v in (("x", self.x), ("y", self.y)):
            if not math.isfinite(v) or abs(v) > MAX_COORDINATE:
                raise InvalidArgument(f"must be a finite number within ±{MAX_COORDINATE:g}", field=field)
            if v and not self.pinned:
                raise InvalidArgument("is only allowed on a pinned comment (pinned: true)", field=field)
