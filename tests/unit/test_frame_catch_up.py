"""The iterator's read-your-writes retry for a review's frame: AddComment or GetFrameReview naming a frame the task's
plan misses (a frame imported a moment ago, not indexed yet) runs once more after catching up on the datasets stream;
a real miss stays NOT_FOUND on frame_id; the retries stack as task, then frame, then ROI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from annostream_iterator.entrypoints.review_api import ReviewServicer
from annostream_kernel.errors import NotFound
from annostream_protos.iterator.v1 import review_service_pb2 as api
from annostream_protos.types.v1 import frames_pb2

from .catch_up_fakes import AlreadyThere
from .review_fakes import Comments, Context


class Review:
    """ReviewHandlers.frame_review raising the given misses in turn, then a frame with nothing reviewed yet."""

    def __init__(self, *misses: NotFound) -> None:
        self.misses, self.runs = list(misses), 0

    async def frame_review(
        self, task_id: str, frame_id: str
    ) -> tuple[Any, frames_pb2.FrameRef, list[Any], list[Any], list[Any]]:
        self.runs += 1
        if self.misses:
            raise self.misses.pop(0)
        return None, frames_pb2.FrameRef(version_id="v", frame_id=frame_id), [], [], []


class Servicer:
    def __init__(self, comments: Comments | None = None, review: Review | None = None) -> None:
        self.tasks, self.frames, self.rois = AlreadyThere(), AlreadyThere(), AlreadyThere()
        self.s = ReviewServicer(review, comments, self.tasks, self.rois, self.frames)  # type: ignore[arg-type]

    def add(self, roi_id: str = "") -> api.AddCommentResponse:
        req = api.AddCommentRequest(task_id="t", frame_id="f100", text="blurred?", roi_id=roi_id)
        return asyncio.run(self.s.AddComment(req, Context()))

    def frame_review(self) -> api.GetFrameReviewResponse:
        return asyncio.run(self.s.GetFrameReview(api.GetFrameReviewRequest(task_id="t", frame_id="f100"), Context()))


def not_in_plan() -> NotFound:
    return NotFound("frame 'f100' is not in the plan of task 't'", field="frame_id")


def test_a_comment_on_a_frame_the_plan_misses_is_asked_again_after_catching_up_on_the_datasets_stream() -> None:
    comments = Comments(not_in_plan())
    s = Servicer(comments)
    assert s.add().comment.frame.frame_id == "f100"
    assert comments.runs == 2 and s.frames.calls == [4.5] and s.tasks.calls == [] and s.rois.calls == []


def test_a_comment_on_a_made_up_frame_stays_not_found_on_frame_id_after_one_catch_up() -> None:
    comments = Comments(not_in_plan(), not_in_plan())
    s = Servicer(comments)
    with pytest.raises(NotFound) as err:
        s.add()
    assert err.value.field == "frame_id" and comments.runs == 2 and s.frames.calls == [4.5]
    assert s.tasks.calls == [] and s.rois.calls == []


def test_a_frame_review_of_a_frame_the_plan_misses_is_asked_again_after_catching_up_on_the_datasets_stream() -> None:
    review = Review(not_in_plan())
    s = Servicer(review=review)
    assert s.frame_review().review.frame.frame_id == "f100"
    assert review.runs == 2 and s.frames.calls == [4.5] and s.tasks.calls == []


def test_a_frame_review_of_a_made_up_frame_stays_not_found_on_frame_id_after_one_catch_up() -> None:
    review = Review(not_in_plan(), not_in_plan())
    s = Servicer(review=review)
    with pytest.raises(NotFound) as err:
        s.frame_review()
    assert err.value.field == "frame_id" and review.runs == 2 and s.frames.calls == [4.5]


def test_a_missed_task_catches_up_on_tasks_then_its_frame_on_datasets_then_its_roi_on_annotations() -> None:
    no_roi = NotFound("frame 'f100' holds no ROI 'car-1' in the task", field="roi_id")
    comments = Comments(NotFound("no task 't'", field="task_id"), not_in_plan(), no_roi)
    s = Servicer(comments)
    assert s.add("car-1").comment.roi_id == "car-1"
    assert comments.runs == 4 and s.tasks.calls == [4.5] and s.frames.calls == [4.5] and s.rois.calls == [4.5]


def test_a_roi_miss_does_not_wait_for_the_datasets_stream() -> None:
    comments = Comments(NotFound("frame 'f100' holds no ROI 'car-1' in the task", field="roi_id"))
    s = Servicer(comments)
    assert s.add("car-1").comment.roi_id == "car-1"
    assert comments.runs == 2 and s.frames.calls == [] and s.rois.calls == [4.5]
