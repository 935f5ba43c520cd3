"""The iterator's read-your-writes retry for a comment's ROI: AddComment naming a ROI the index misses runs once more
after catching up on the annotation stream; a real miss stays NOT_FOUND on roi_id; a missed task catches up on the
tasks stream first and the ROI is then checked as before."""

from __future__ import annotations

import asyncio

import pytest

from annostream_iterator.entrypoints.review_api import ReviewServicer
from annostream_kernel.errors import NotFound
from annostream_protos.iterator.v1 import review_service_pb2 as api

from .catch_up_fakes import AlreadyThere
from .review_fakes import Comments, Context


def _servicer(comments: Comments) -> tuple[ReviewServicer, AlreadyThere, AlreadyThere]:
    tasks, rois = AlreadyThere(), AlreadyThere()
    return ReviewServicer(None, comments, tasks, rois), tasks, rois  # type: ignore[arg-type]


def _add(s: ReviewServicer) -> api.AddCommentResponse:
    req = api.AddCommentRequest(task_id="t", frame_id="f000", text="this car?", roi_id="car-1")
    return asyncio.run(s.AddComment(req, Context()))


def no_roi() -> NotFound:
    return NotFound("frame 'f000' holds no ROI 'car-1' in the task", field="roi_id")


def test_a_roi_the_index_misses_is_asked_again_after_catching_up_on_the_annotation_stream() -> None:
    comments = Comments(no_roi())
    s, tasks, rois = _servicer(comments)
    assert _add(s).comment.roi_id == "car-1"
    assert comments.runs == 2 and rois.calls == [4.5] and tasks.calls == []


def test_a_made_up_roi_stays_not_found_on_roi_id_after_one_catch_up() -> None:
    comments = Comments(no_roi(), no_roi())
    s, tasks, rois = _servicer(comments)
    with pytest.raises(NotFound) as err:
        _add(s)
    assert err.value.field == "roi_id" and comments.runs == 2 and rois.calls == [4.5] and tasks.calls == []


def test_a_missed_task_catches_up_on_tasks_and_then_its_roi_on_annotations() -> None:
    comments = Comments(NotFound("no task 't'", field="task_id"), no_roi())
    s, tasks, rois = _servicer(comments)
    assert _add(s).comment.roi_id == "car-1"
    assert comments.runs == 3 and tasks.calls == [4.5] and rois.calls == [4.5]


def test_a_miss_of_another_field_does_not_wait_for_the_annotation_stream() -> None:
    comments = Comments(NotFound("no comment", field="reply_to"))
    s, tasks, rois = _servicer(comments)
    with pytest.raises(NotFound):
        _add(s)
    assert comments.runs == 1 and rois.calls == [] and tasks.calls == []
