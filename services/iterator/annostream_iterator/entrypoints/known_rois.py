"""Read-your-writes for ROIs: a ROI the annotation service acknowledged is never "no such ROI" to a comment.

The iterator learns ROIs from the annotation stream (its `iterator-annotation` consumer), which can lag behind a
save. A comment naming a ROI its frame does not hold in the index (`NotFound` on roi_id) catches up on that stream
(kernel `catch_up.CatchUp` over the annotation service's GetPublishedPosition, the servicer's `_rois`) and runs
once more; only then is the miss the answer. The comment is stored in the second run only: the miss rolled the
first run's transaction back.
"""

from __future__ import annotations

from typing import Any

from annostream_kernel.errors import NotFound
from annostream_kernel.miss_retry import CatchesUp, retried_after_catch_up


def missed_roi(err: NotFound) -> bool:
    """Whether `err` says the frame holds no such ROI (as far as the index knows)."""
    return err.field == "roi_id"


def _rois(servicer: Any) -> CatchesUp | None:
    rois: CatchesUp | None = servicer._rois
    return rois


roi_caught_up = retried_after_catch_up(missed_roi, _rois)
