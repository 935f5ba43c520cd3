"""Client methods of the review stage: settings, reviewer leases, accept / reject, comments, quality figures."""

from __future__ import annotations

from typing import Literal

from .models_review import Comment, FrameReviewDetail, FrameTaskHistory, ReviewLease, ReviewQuality, ReviewSettings
from .transport import Transport


class ReviewApi:
    """Review of finished frames (reviewers), comments on frames (everyone annotating), quality figures."""

    _t: Transport

    def review_settings(self, task_id: str) -> ReviewSettings:
        """The task's review settings (mode "off" when never set)."""
        return ReviewSettings.model_validate(self._t.json("review_settings", {"task_id": task_id}))

    def set_review_settings(
        self,
        task_id: str,
        mode: Literal["off", "all", "sample"],
        *,
        sample_percent: int = 0,
        reviewer_may_review_own: bool = False,
        rework_by: Literal["annotator", "any"] = "annotator",
    ) -> ReviewSettings:
        """Review every finished frame (`all`), a sample of `sample_percent` % (`sample`), or none (`off`)."""
        body = {
            "mode": mode,
            "sample_percent": sample_percent,
            "reviewer_may_review_own": reviewer_may_review_own,
            "rework_by": rework_by,
        }
        return ReviewSettings.model_validate(self._t.json("set_review_settings", {"task_id": task_id}, json=body))

    def next_review(self, task_id: str, *, annotator: str = "", label: str = "") -> ReviewLease:
        """Lease the next frame waiting for review to the caller (the held one again); filters by annotator/label."""
        body = {"annotator": annotator, "label": label}
        return ReviewLease.model_validate(self._t.json("next_review", {"task_id": task_id}, json=body))

    def accept_frame(self, task_id: str, lease_id: str) -> FrameReviewDetail:
        """Accept the frame of the caller's review lease."""
        path = {"task_id": task_id, "lease_id": lease_id}
        return FrameReviewDetail.model_validate(self._t.json("accept_frame", path))

    def reject_frame(self, task_id: str, lease_id: str, reason: str) -> FrameReviewDetail:
        """Reject the frame of the caller's review lease: it goes back to be fixed, then to review again."""
        path = {"task_id": task_id, "lease_id": lease_id}
        return FrameReviewDetail.model_validate(self._t.json("reject_frame", path, json={"reason": reason}))

    def release_review(self, task_id: str, lease_id: str) -> ReviewLease:
        """Give the caller's review lease back."""
        path = {"task_id": task_id, "lease_id": lease_id}
        return ReviewLease.model_validate(self._t.json("release_review", path))

    def undo_decision(self, task_id: str, frame_id: str) -> ReviewLease:
        """Undo the caller's decision on a frame (while nothing followed it): it is leased to the caller again."""
        path = {"task_id": task_id, "frame_id": frame_id}
        return ReviewLease.model_validate(self._t.json("undo_decision", path))

    def frame_review(self, task_id: str, frame_id: str) -> FrameReviewDetail:
        """A frame's review state in the task, its decisions and its comments."""
        path = {"task_id": task_id, "frame_id": frame_id}
        return FrameReviewDetail.model_validate(self._t.json("frame_review", path))

    def task_frame_history(self, task_id: str, frame_id: str, *, max_edits: int = 2000) -> FrameTaskHistory:
        """A frame's history in the task: its edits and its review events (requested, accepted, rejected with the
        reason, decision undone) with who and when, interleaved by time."""
        path = {"task_id": task_id, "frame_id": frame_id}
        return FrameTaskHistory.model_validate(
            self._t.json("task_frame_history", path, params={"max_edits": max_edits})
        )

    def add_comment(
        self,
        task_id: str,
        frame_id: str,
        text: str,
        *,
        reply_to: str = "",
        point: tuple[float, float] | None = None,
        roi_id: str = "",
    ) -> Comment:
        """Comment on a frame (a reply with `reply_to`; pinned to `point` (x, y) in image pixels; about `roi_id`, a
        ROI the frame holds in the task, else ApiError 404 naming roi_id)."""
        body = {"text": text, "reply_to": reply_to, "pinned": point is not None, "roi_id": roi_id}
        if point is not None:
            body.update(x=float(point[0]), y=float(point[1]))
        path = {"task_id": task_id, "frame_id": frame_id}
        return Comment.model_validate(self._t.json("add_comment", path, json=body))

    def resolve_comment(self, task_id: str, comment_id: str) -> Comment:
        """Resolve the thread of a comment."""
        return Comment.model_validate(self._t.json("resolve_comment", {"task_id": task_id, "comment_id": comment_id}))

    def reopen_comment(self, task_id: str, comment_id: str) -> Comment:
        """Reopen the thread of a comment."""
        return Comment.model_validate(self._t.json("reopen_comment", {"task_id": task_id, "comment_id": comment_id}))

    def task_quality(self, task_id: str) -> ReviewQuality:
        """Quality figures of the task and per annotator (done, accepted, rejected, rate, time, open comments)."""
        return ReviewQuality.model_validate(self._t.json("task_quality", {"task_id": task_id}))
