"""Stand-ins of the review servicer's handlers for the read-your-writes decorator tests (frame and ROI misses)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from annostream_iterator.domain.commands import AddComment
from annostream_kernel.errors import NotFound
from annostream_protos.types.v1 import frames_pb2


class Context:
    def time_remaining(self) -> float:
        return 4.5


class Comments:
    """CommentHandlers.add raising the given misses in turn, then storing the comment."""

    def __init__(self, *misses: NotFound) -> None:
        self.misses, self.runs = list(misses), 0

    async def add(self, cmd: AddComment) -> tuple[dict[str, Any], frames_pb2.FrameRef]:
        self.runs += 1
        if self.misses:
            raise self.misses.pop(0)
        row = dict(comment_id="cmt_1", thread_id="cmt_1", author="rita", text=cmd.text, pinned=False, x=0.0, y=0.0)
        row.update(roi_id=cmd.roi_id, resolved=False, created_at=datetime.now(UTC))
        return row, frames_pb2.FrameRef(version_id="v", frame_id=cmd.frame_id)
