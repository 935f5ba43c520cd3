"""Review settings given with CreateTask hold from the task's first frame while the iterator's task events lag: the
iterator stores them in the transaction that records the task, so no frame can be leased (or finished) before them.
A comment on a ROI saved a moment before is accepted while the iterator's annotation events lag (4 s), and a comment
on (or the review of) a frame imported a moment before while its datasets events lag (2 s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc import aio

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import tasks_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.iterator.v1 import review_service_pb2_grpc as rv_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t

from ..conftest import service_addr
from ..integration.annotation_helpers import rect, save
from ..integration.conftest import Stubs, as_user
from ..integration.grpc_helpers import USER_MD, assert_status, rpc_error
from .conftest import Loaded
from .test_guarantees_under_load import DEADLINE, draft


@pytest.fixture
async def review(loaded: LocalStack) -> AsyncIterator[rv_grpc.ReviewServiceStub]:
    """The loaded system's ReviewService."""
    ch = channel(service_addr(loaded, "iterator"))
    try:
        yield IdentityStub(rv_grpc.ReviewServiceStub(ch))  # type: ignore[no-untyped-call]
    finally:
        await ch.close()


async def _first_lease(s: Stubs, task: str, who: str) -> it.NextFrameResponse:
    """The first lease the task ever gives, taken the moment the iterator knows the task."""
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            return await s.iterator.NextFrame(it.NextFrameRequest(task_id=task, annotator=who), timeout=DEADLINE)
        except aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.005)


async def test_a_task_created_with_review_sends_its_first_finished_frame_to_review_while_task_events_lag(
    sys_: Loaded, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    s = sys_.stubs
    v = await draft(s, unique, 3)
    req = tk.CreateTaskRequest(
        name=f"r {unique}", dataset_version_id=v.version_id, review=tasks_pb2.TaskReview(mode="all")
    )
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task.task_id
    first = await _first_lease(s, task, "ann")
    done = it.NextFrameRequest(task_id=task, annotator="ann", complete_lease_id=first.lease_id)
    await s.iterator.NextFrame(done, timeout=DEADLINE)
    got = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=as_user("rex", role="reviewer"))
    assert (got.frame.frame_id, got.annotator, got.round) == (first.frame.frame_id, "ann", 1)


async def test_a_comment_on_a_roi_saved_a_moment_before_is_accepted_while_annotation_events_lag(
    sys_: Loaded, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    """The save goes through the second annotation replica; the iterator gets its events 4 s late, so its ROI index
    misses the ROI: the comment catches up on the annotation stream (GetPublishedPosition) and is stored. A made-up
    ROI is NOT_FOUND naming roi_id after that one catch-up, and nothing of it is stored."""
    s = sys_.stubs
    v = await draft(s, unique, 1)
    req = tk.CreateTaskRequest(name=f"c {unique}", dataset_version_id=v.version_id)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task.task_id
    lease = await _first_lease(s, task, "ann")
    roi = f"car-{unique}"
    await sys_.replica.SaveFrame(save(lease.frame, 0, rect("car", roi_id=roi)), timeout=DEADLINE)
    md = as_user("rita", role="reviewer")
    on_roi = rv.AddCommentRequest(task_id=task, frame_id=lease.frame.frame_id, text="this car?", roi_id=roi)
    got = (await review.AddComment(on_roi, metadata=md, timeout=DEADLINE)).comment
    assert (got.roi_id, got.text) == (roi, "this car?")
    ghost = rv.AddCommentRequest(task_id=task, frame_id=lease.frame.frame_id, text="ghost", roi_id="no-such-roi")
    assert_status(
        await rpc_error(review.AddComment(ghost, metadata=md, timeout=DEADLINE)), grpc.StatusCode.NOT_FOUND, "roi_id"
    )
    fr = await review.GetFrameReview(
        rv.GetFrameReviewRequest(task_id=task, frame_id=lease.frame.frame_id), metadata=USER_MD, timeout=DEADLINE
    )
    assert [(c.text, c.roi_id) for c in fr.comments] == [("this car?", roi)]


def _frame(frame_id: str) -> t.Frame:
    return t.Frame(
        frame_id=frame_id,
        context_id="later",
        timestamp=1000,
        sources=[t.Source(id="cam", uri=f"file:///{frame_id}.jpg", width=640, height=480)],
    )


async def test_a_frame_imported_into_a_tasks_version_a_moment_before_is_reviewable_while_dataset_events_lag(
    sys_: Loaded, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    """The iterator indexes an import 2 s late (and only then adds its frames to the task's plan): GetFrameReview and
    AddComment right after ImportFrames catch up on the datasets stream (GetPublishedPosition) and answer. A made-up
    frame is NOT_FOUND naming frame_id after that one catch-up, and nothing of it is stored."""
    s = sys_.stubs
    v = await draft(s, unique, 1)
    req = tk.CreateTaskRequest(name=f"f {unique}", dataset_version_id=v.version_id)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task.task_id
    await _first_lease(s, task, "ann")  # the task is planned: what follows misses only the frames
    md = as_user("rita", role="reviewer")
    await s.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[_frame("g100")]))
    seen = await review.GetFrameReview(
        rv.GetFrameReviewRequest(task_id=task, frame_id="g100"), metadata=md, timeout=DEADLINE
    )
    assert (seen.review.frame.frame_id, seen.review.state, list(seen.comments)) == ("g100", "", [])
    await s.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[_frame("g101")]))
    on_frame = rv.AddCommentRequest(task_id=task, frame_id="g101", text="blurred?")
    got = (await review.AddComment(on_frame, metadata=md, timeout=DEADLINE)).comment
    assert (got.frame.frame_id, got.text) == ("g101", "blurred?")
    ghost = rv.AddCommentRequest(task_id=task, frame_id="no-such-frame", text="ghost")
    assert_status(
        await rpc_error(review.AddComment(ghost, metadata=md, timeout=DEADLINE)), grpc.StatusCode.NOT_FOUND, "frame_id"
    )
    for frame_id, texts in (("g101", ["blurred?"]), ("no-such-frame", None)):
        call = review.GetFrameReview(
            rv.GetFrameReviewRequest(task_id=task, frame_id=frame_id), metadata=md, timeout=DEADLINE
        )
        if texts is None:
            assert_status(await rpc_error(call), grpc.StatusCode.NOT_FOUND, "frame_id")
        else:
            assert [c.text for c in (await call).comments] == texts
