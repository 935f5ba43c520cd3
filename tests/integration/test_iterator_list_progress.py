"""ListProgress: the progress of many tasks in one call, through the running services."""

from __future__ import annotations

import grpc

from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, eventually, rpc_error
from .test_iterator_leases import make_task, next_req


def _rows(resp: it.ListProgressResponse) -> list[tuple[str, int, int, int, str]]:
    return [(p.task_id, p.done, p.total, p.leased, p.status) for p in resp.tasks]


async def test_list_progress_counts_done_and_leased_frames_and_leaves_unknown_tasks_out(
    stubs: Stubs, unique: str
) -> None:
    v1 = await make_version(stubs, unique, 5, publish=False)
    v2 = await make_version(stubs, f"{unique}-b", 3, publish=False)
    busy = await make_task(stubs, v1.version_id, 5)
    idle = await make_task(stubs, v2.version_id, 3)

    first = await stubs.iterator.NextFrame(next_req(busy, "a"))
    second = await stubs.iterator.NextFrame(next_req(busy, "a", first.lease_id))  # finishes the first
    await stubs.iterator.ReleaseFrame(
        it.ReleaseFrameRequest(task_id=busy, annotator="a", lease_id=second.lease_id, done=True)
    )
    await stubs.iterator.NextFrame(next_req(busy, "b"))  # held, not done
    released = await stubs.iterator.NextFrame(next_req(busy, "c"))
    await stubs.iterator.ReleaseFrame(it.ReleaseFrameRequest(task_id=busy, annotator="c", lease_id=released.lease_id))

    resp = await stubs.iterator.ListProgress(it.ListProgressRequest(task_ids=[idle, "task_nope", busy, idle]))
    assert _rows(resp) == [(idle, 0, 3, 0, "active"), (busy, 2, 5, 1, "active")]
    one = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=busy))
    assert (one.done, one.total, one.leased) == (2, 5, 1)  # the same numbers as the single-task read

    await stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=idle), metadata=USER_MD)

    async def completed() -> bool:
        got = await stubs.iterator.ListProgress(it.ListProgressRequest(task_ids=[idle]))
        return _rows(got) == [(idle, 0, 3, 0, "completed")]

    await eventually(completed, "the iterator to see the task completed")
    assert _rows(await stubs.iterator.ListProgress(it.ListProgressRequest())) == []


async def test_list_progress_takes_at_most_500_task_ids(stubs: Stubs, unique: str) -> None:
    ids = [f"task_{unique}_{i}" for i in range(500)]
    assert _rows(await stubs.iterator.ListProgress(it.ListProgressRequest(task_ids=ids))) == []
    err = await rpc_error(stubs.iterator.ListProgress(it.ListProgressRequest(task_ids=[*ids, "one more"])))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "task_ids")
