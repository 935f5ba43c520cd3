"""Tasks create child versions of Published versions; the iterator leases frames in plan order."""

from __future__ import annotations

import asyncio

import grpc

from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import datasets_pb2, tasks_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, eventually, rpc_error


async def test_a_task_on_a_published_version_annotates_a_new_draft_child_named_like_the_task(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=True)
    req = tk.CreateTaskRequest(name=f"Cars {unique}", dataset_version_id=v.version_id)
    task = (await stubs.tasks.CreateTask(req, metadata=USER_MD)).task
    assert task.source_version_id == v.version_id
    assert task.annotated_version_id != v.version_id
    assert task.owner == "tester" and task.status == tk.TASK_STATUS_ACTIVE
    child = (await stubs.datasets.GetVersion(ds.GetVersionRequest(version_id=task.annotated_version_id))).version
    assert (child.name, child.status, child.parent_version_id) == (
        f"Cars {unique}",
        datasets_pb2.VERSION_STATUS_DRAFT,
        v.version_id,
    )
    assert child.frame_count == 2


async def test_a_task_on_a_draft_version_annotates_it_directly(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    task = (await stubs.tasks.CreateTask(tk.CreateTaskRequest(name="t", dataset_version_id=v.version_id))).task
    assert task.annotated_version_id == v.version_id


async def test_task_creation_errors_name_the_field(stubs: Stubs) -> None:
    err = await rpc_error(stubs.tasks.CreateTask(tk.CreateTaskRequest(name="", dataset_version_id="x")))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "name")
    err = await rpc_error(stubs.tasks.CreateTask(tk.CreateTaskRequest(name="t", dataset_version_id="nope")))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "dataset_version_id")
    bad_iter = tasks_pb2.IterationSpec(order=tasks_pb2.ITERATION_ORDER_RANDOM, limit=0, clip_length=0)
    req = tk.CreateTaskRequest(name="t", dataset_version_id="nope", iteration=bad_iter, default_labels=[""])
    err = await rpc_error(stubs.tasks.CreateTask(req))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "default_labels[0]")


async def test_random_order_keeps_the_given_seed_and_generates_one_when_blank(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    spec = tasks_pb2.IterationSpec(order=tasks_pb2.ITERATION_ORDER_RANDOM, random_seed=7)
    given = await stubs.tasks.CreateTask(
        tk.CreateTaskRequest(name="a", dataset_version_id=v.version_id, iteration=spec, has_random_seed=True)
    )
    assert given.task.iteration.random_seed == 7
    blank = await stubs.tasks.CreateTask(
        tk.CreateTaskRequest(
            name="b", dataset_version_id=v.version_id, iteration=tasks_pb2.IterationSpec(order=spec.order)
        )
    )
    assert blank.task.iteration.random_seed != 0


async def test_list_pages_through_the_team_s_tasks_newest_first(stubs: Stubs, unique: str) -> None:
    team = (*USER_MD, ("x-annostream-team", f"team-{unique}"))
    v = await make_version(stubs, unique, 0, publish=False, md=team)
    ids = [
        (
            await stubs.tasks.CreateTask(
                tk.CreateTaskRequest(name=f"t{i}", dataset_version_id=v.version_id), metadata=team
            )
        ).task.task_id
        for i in range(5)
    ]
    page1 = await stubs.tasks.ListTasks(tk.ListTasksRequest(page_size=3), metadata=team)
    page2 = await stubs.tasks.ListTasks(
        tk.ListTasksRequest(page_size=3, page_token=page1.next_page_token), metadata=team
    )
    assert page1.total_size == 5
    assert [t.task_id for t in [*page1.tasks, *page2.tasks]] == ids[::-1]
    assert page2.next_page_token == ""
    err = await rpc_error(stubs.tasks.ListTasks(tk.ListTasksRequest(page_token="garbage"), metadata=team))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "page_token")


async def test_the_iterator_leases_frames_in_sequential_order_and_never_twice(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 3, publish=True)
    task = (await stubs.tasks.CreateTask(tk.CreateTaskRequest(name="seq", dataset_version_id=v.version_id))).task

    async def lease(annotator: str) -> it.NextFrameResponse:
        return await stubs.iterator.NextFrame(it.NextFrameRequest(task_id=task.task_id, annotator=annotator))

    first = await eventually(lambda: _has_frame(lease("ann-a")), "the iterator to know task and frames")
    assert (first.frame.frame_id, first.position, first.total) == ("f000", 1, 3)
    assert first.frame.version_id == task.annotated_version_id
    again = await lease("ann-a")
    assert again.lease_id == first.lease_id  # a held lease is returned again, not a new frame
    others = await asyncio.gather(lease("ann-b"), lease("ann-c"), lease("ann-d"))
    got = sorted(o.frame.frame_id for o in others if o.HasField("frame"))
    assert got == ["f001", "f002"]  # two frames left for three annotators: no frame leased twice


async def _has_frame(call: object) -> it.NextFrameResponse | None:
    resp = await call  # type: ignore[misc]
    return resp if resp.HasField("frame") else None


async def test_next_frame_errors_name_the_field(stubs: Stubs) -> None:
    err = await rpc_error(stubs.iterator.NextFrame(it.NextFrameRequest(task_id="nope", annotator="a")))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "task_id")
    err = await rpc_error(stubs.iterator.NextFrame(it.NextFrameRequest(task_id="x", annotator="")))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "annotator")
