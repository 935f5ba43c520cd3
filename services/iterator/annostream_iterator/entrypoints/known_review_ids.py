"""Read-your-writes for the review methods: a frame the datasets service acknowledged is never "not in the plan",
and a ROI the annotation service acknowledged never "no such ROI".

A frame imported into a task's version joins the task's plan when the iterator's `iterator-datasets` consumer
indexes it; a saved ROI reaches its index through `iterator-annotation`. Both can lag. A review request naming a
frame the plan misses (`NotFound` on frame_id: `AddComment`, `GetFrameReview`) catches up on the datasets stream
(the servicer's `_frames`), one naming a ROI the frame does not hold (`NotFound` on roi_id: `AddComment`) on the
annotation stream (`_rois`), each through kernel `catch_up.CatchUp` over the producer's GetPublishedPosition, and
runs once more; only then is the miss the answer. The decorated methods store nothing before they find the frame
and the ROI (a miss rolls their transaction back), so the second run is the only one that acts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from annostream_kernel.miss_retry import retried_after_catch_up

Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])


def _retried_on(field: str, catch_up: str) -> Callable[[Method], Method]:
    """A miss naming `field` runs the request once more after the servicer's `catch_up` attribute caught up."""
    return retried_after_catch_up(lambda err: err.field == field, lambda servicer: getattr(servicer, catch_up))


frame_caught_up = _retried_on("frame_id", "_frames")
roi_caught_up = _retried_on("roi_id", "_rois")
