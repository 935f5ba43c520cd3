"""Review settings given with CreateTask hold from the task's first frame: the iterator stores them in the transaction
that records the task (from TaskCreated), before any lease can exist; bad settings are refused naming the field and
nothing is created."""

from __future__ import annotations

import asyncio

import grpc
from grpc import aio

from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import tasks_pb2
from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.iterator.v1 import review_service_pb2_grpc as rv_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, eventually, rpc_error
from .test_iterator_leases import next_req
from .test_review import reviewer

ALL = tasks_pb2.TaskReview(mode="all")


async def first_lease(stubs: Stubs, task: str, who: str) -> tuple[str, str]:
    """Ask for a frame as fast as the iterator answers until it hands one out (NOT_FOUND while it does not know
    the task or its plan is pending): (frame id, lease id) of the first lease the task ever gave."""
    for _ in range(6000):
        try:
            r = await stubs.iterator.NextFrame(next_req(task, who))
        except aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.002)
            continue
        assert r.HasField("frame")
        return r.frame.frame_id, r.lease_id
    raise AssertionError(f"task {task} never handed out a frame")


async def test_a_task_created_with_review_all_sends_its_very_first_finished_frame_to_review(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    versions = await asyncio.gather(*(make_version(stubs, f"{unique}-{i}", 3, publish=False) for i in range(4)))

    async def create_and_finish_first(version_id: str) -> tuple[str, str]:
        req = tk.CreateTaskRequest(name="reviewed", dataset_version_id=version_id, review=ALL)
        task = (await stubs.tasks.CreateTask(req, metadata=USER_MD)).task.task_id
        frame, lease = await first_lease(stubs, task, "ann")
        await stubs.iterator.NextFrame(next_req(task, "ann", lease))  # finishes it (and leases the next)
        return task, frame

    for task, frame in await asyncio.gather(*(create_and_finish_first(v.version_id) for v in versions)):
        got = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=reviewer("rev"))
        assert (got.frame.frame_id, got.annotator, got.round) == (frame, "ann", 1)
        settings = await review.GetReviewSettings(rv.GetReviewSettingsRequest(task_id=task), metadata=USER_MD)
        assert settings.settings.mode == rv.REVIEW_MODE_ALL


async def test_a_task_created_with_a_sample_and_rework_by_any_keeps_them(
    stubs: Stubs, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    spec = tasks_pb2.TaskReview(mode="sample", sample_percent=30, reviewer_may_review_own=True, rework_by="any")
    req = tk.CreateTaskRequest(name="sampled", dataset_version_id=v.version_id, review=spec)
    task = (await stubs.tasks.CreateTask(req, metadata=USER_MD)).task.task_id

    async def stored() -> rv.ReviewSettings | None:
        s = (await review.GetReviewSettings(rv.GetReviewSettingsRequest(task_id=task), metadata=USER_MD)).settings
        return s if s.mode != rv.REVIEW_MODE_OFF else None

    s = await eventually(stored, "the settings of the created task")
    assert (s.mode, s.sample_percent, s.reviewer_may_review_own, s.rework_by) == (
        rv.REVIEW_MODE_SAMPLE,
        30,
        True,
        rv.REWORK_BY_ANY,
    )


async def test_bad_review_settings_at_creation_are_refused_naming_the_field_and_create_nothing(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=True)
    for spec, field in (
        (tasks_pb2.TaskReview(mode="sample"), "review.sample_percent"),
        (tasks_pb2.TaskReview(mode="sample", sample_percent=101), "review.sample_percent"),
        (tasks_pb2.TaskReview(mode="all", sample_percent=5), "review.sample_percent"),
        (tasks_pb2.TaskReview(mode="maybe"), "review.mode"),
        (tasks_pb2.TaskReview(mode="all", rework_by="nobody"), "review.rework_by"),
    ):
        req = tk.CreateTaskRequest(name=f"bad-{unique}", dataset_version_id=v.version_id, review=spec)
        err = await rpc_error(stubs.tasks.CreateTask(req, metadata=USER_MD))
        assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, field)
    listed = await stubs.datasets.ListVersions(ds.ListVersionsRequest(dataset_id=v.dataset_id), metadata=USER_MD)
    assert [(n.version.version_id, list(n.children)) for n in listed.roots] == [(v.version_id, [])]  # no child
    mine = await stubs.tasks.ListTasks(tk.ListTasksRequest(page_size=500, dataset_id=v.dataset_id), metadata=USER_MD)
    assert list(mine.tasks) == []
