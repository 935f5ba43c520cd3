"""Read-your-writes for a task's frames: a frame the datasets service acknowledged is never "not in the plan" to
the review methods.

A frame imported into a task's version joins the task's plan when the iterator's `iterator-datasets` consumer
indexes it, which can lag behind `ImportFrames`. A review request naming a frame the plan misses (`NotFound` on
frame_id: `AddComment`, `GetFrameReview`) catches up on that stream (kernel `catch_up.CatchUp` over the datasets
service's GetPublishedPosition, the servicer's `_frames`) and runs once more; only then is the miss the answer.
The decorated methods store nothing before they find the frame (a miss rolls their transaction back), so the
second run is the only one that acts.
"""

from __future__ import annotations

from typing import Any

from annostream_kernel.errors import NotFound
from annostream_kernel.miss_retry import CatchesUp, retried_after_catch_up


def missed_frame(err: NotFound) -> bool:
    """Whether `err` says the frame is not in the task's plan (as far as the index knows)."""
    return err.field == "frame_id"


def _frames(servicer: Any) -> CatchesUp | None:
    frames: CatchesUp | None = servicer._frames
    return frames


frame_caught_up = retried_after_catch_up(missed_frame, _frames)
