"""Serving many annotators through the running services: leases, clips, navigation, lifecycle, order."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import nats

from annostream_kernel.events import subject_token
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import envelope_pb2, iterator_pb2, tasks_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as fl
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import known_frame
from .conftest import Stubs, frames, make_version
from .grpc_helpers import USER_MD, assert_status, eventually, rpc_error


async def make_task(stubs: Stubs, version_id: str, expected_total: int, **iteration: int) -> str:
    """A task on the version; waits until the iterator planned `expected_total` frames."""
    spec = tasks_pb2.IterationSpec(**iteration)  # type: ignore[arg-type]
    req = tk.CreateTaskRequest(name="t", dataset_version_id=version_id, iteration=spec, has_random_seed=True)
    task = (await stubs.tasks.CreateTask(req, metadata=USER_MD)).task

    async def planned() -> bool:
        p = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))
        return p.total == expected_total

    await eventually(planned, f"the plan of {expected_total} frames")
    return task.task_id


def next_req(task: str, who: str, complete: str = "") -> it.NextFrameRequest:
    return it.NextFrameRequest(task_id=task, annotator=who, complete_lease_id=complete)


async def served_order(stubs: Stubs, task: str, who: str = "solo") -> list[str]:
    """Lease and finish every frame of the task with one annotator; the frames in the order served."""
    order, lease = [], ""
    while (r := await stubs.iterator.NextFrame(next_req(task, who, lease))).HasField("frame"):
        order.append(r.frame.frame_id)
        lease = r.lease_id
    assert r.exhausted
    return order


async def test_fifty_concurrent_claimers_get_every_frame_exactly_once(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 120, publish=False)
    task = await make_task(stubs, v.version_id, 120)

    async def annotator(i: int) -> list[str]:
        got, lease = [], ""
        while (r := await stubs.iterator.NextFrame(next_req(task, f"ann-{i}", lease))).HasField("frame"):
            got.append(r.frame.frame_id)
            lease = r.lease_id
        return got

    served = [f for fs in await asyncio.gather(*(annotator(i) for i in range(50))) for f in fs]
    assert len(served) == len(set(served)) == 120
    progress = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))
    assert (progress.done, progress.total, progress.leased) == (120, 120, 0)
    assert sum(a.done for a in progress.annotators) == 120


async def test_heartbeat_release_and_finish_follow_the_lease_holder(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    task = await make_task(stubs, v.version_id, 2)
    a = await stubs.iterator.NextFrame(next_req(task, "a"))
    beat = await stubs.iterator.Heartbeat(it.HeartbeatRequest(task_id=task, annotator="a", lease_id=a.lease_id))
    assert beat.lease_expires_at.ToDatetime() >= a.lease_expires_at.ToDatetime()
    err = await rpc_error(
        stubs.iterator.Heartbeat(it.HeartbeatRequest(task_id=task, annotator="b", lease_id=a.lease_id))
    )
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "lease_id")
    await stubs.iterator.ReleaseFrame(it.ReleaseFrameRequest(task_id=task, annotator="a", lease_id=a.lease_id))
    b = await stubs.iterator.NextFrame(next_req(task, "b"))
    assert b.frame.frame_id == a.frame.frame_id  # a released frame goes back to the queue, first in order
    err = await rpc_error(
        stubs.iterator.Heartbeat(it.HeartbeatRequest(task_id=task, annotator="a", lease_id=a.lease_id))
    )
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "lease_id")
    done = it.ReleaseFrameRequest(task_id=task, annotator="b", lease_id=b.lease_id, done=True)
    await stubs.iterator.ReleaseFrame(done)
    err = await rpc_error(stubs.iterator.NextFrame(next_req(task, "a", complete=b.lease_id)))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "complete_lease_id")
    progress = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))
    assert (progress.done, progress.total) == (1, 2)
    assert [(x.annotator, x.done) for x in progress.annotators] == [("a", 0), ("b", 1)]


async def test_same_seed_same_order_in_two_datasets_and_another_seed_differs(stubs: Stubs, unique: str) -> None:
    v1 = await make_version(stubs, unique + "a", 12, publish=True)
    v2 = await make_version(stubs, unique + "b", 12, publish=True)
    rnd = {"order": tasks_pb2.ITERATION_ORDER_RANDOM}
    first = await served_order(stubs, await make_task(stubs, v1.version_id, 12, random_seed=11, **rnd))
    second = await served_order(stubs, await make_task(stubs, v2.version_id, 12, random_seed=11, **rnd))
    other = await served_order(stubs, await make_task(stubs, v1.version_id, 12, random_seed=12, **rnd))
    assert first == second
    assert sorted(first) == sorted(other) and first != other


async def test_clips_limits_and_frames_imported_later_into_the_draft(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 5, publish=False)
    task = await make_task(stubs, v.version_id, 5, clip_length=2)
    r = await stubs.iterator.NextFrame(next_req(task, "a"))
    assert [f.frame_id for f in r.clip] == ["f000", "f001"] and r.position == 1
    later = [t.Frame(frame_id=f"g{i}", context_id="ctx2", timestamp=i, sources=frames(1)[0].sources) for i in range(3)]
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=later))

    async def grown() -> bool:
        return (await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))).total == 8

    await eventually(grown, "the late frames to join the plan")
    clips = [[f.frame_id for f in r.clip]]
    lease = r.lease_id
    while (r := await stubs.iterator.NextFrame(next_req(task, "a", lease))).HasField("frame"):
        clips.append([f.frame_id for f in r.clip])
        lease = r.lease_id
    assert clips == [["f000", "f001"], ["f002", "f003"], ["f004"], ["g0", "g1"], ["g2"]]
    limited = await make_task(stubs, v.version_id, 3, limit=3)
    assert len(await served_order(stubs, limited)) == 3


async def test_navigation_trail_jumps_and_annotated_frames_after_a_save_by_the_holder(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 6, publish=False)
    task = await make_task(stubs, v.version_id, 6)
    a1 = await stubs.iterator.NextFrame(next_req(task, "nav"))
    roi = t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=5, y=5)], labels=["car"])
    save = ann.SaveFrameRequest(frame=a1.frame, task_id=task, commands=[ann.Command(create_roi=ann.CreateRoi(roi=roi))])
    await known_frame(stubs, a1.frame.version_id, a1.frame.frame_id)  # the annotation service has the frame too
    await stubs.annotation.SaveFrame(save, metadata=(("x-annostream-user", "nav"),))

    async def finished() -> bool:
        return (await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))).done == 1

    await eventually(finished, "the save by the lease holder to finish the frame")
    a2 = await stubs.iterator.NextFrame(next_req(task, "nav"))  # the saved frame is done: a new one comes
    assert (a1.frame.frame_id, a2.frame.frame_id, a2.trail_index) == ("f000", "f001", 2)

    async def nav(action: int, **kw: int) -> it.NavigateResponse:
        return await stubs.iterator.Navigate(it.NavigateRequest(task_id=task, annotator="nav", action=action, **kw))

    prev = await nav(it.NAVIGATE_ACTION_TRAIL_PREVIOUS, from_trail_index=2)
    assert (prev.frame.frame_id, prev.trail_index, prev.state, prev.annotator) == (
        "f000",
        1,
        it.PLAN_FRAME_STATE_DONE,
        "nav",
    )
    assert (await nav(it.NAVIGATE_ACTION_TRAIL_NEXT, from_trail_index=1)).frame.frame_id == "f001"
    assert not (await nav(it.NAVIGATE_ACTION_TRAIL_NEXT, from_trail_index=2)).HasField("frame")
    assert (await nav(it.NAVIGATE_ACTION_ANNOTATED_PREVIOUS, from_position=5)).frame.frame_id == "f000"
    assert not (await nav(it.NAVIGATE_ACTION_ANNOTATED_NEXT, from_position=1)).HasField("frame")
    jump = await nav(it.NAVIGATE_ACTION_JUMP, from_position=2, steps=3)
    assert (jump.frame.frame_id, jump.position, jump.state) == ("f004", 5, it.PLAN_FRAME_STATE_OPEN)
    assert (await nav(it.NAVIGATE_ACTION_JUMP, from_position=2, steps=-10)).position == 1
    err = await rpc_error(stubs.iterator.Navigate(it.NavigateRequest(task_id=task, annotator="nav")))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "action")


async def test_locate_answers_where_a_frame_opened_from_a_link_stands_in_the_plan(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 4, publish=False)
    task = await make_task(stubs, v.version_id, 4)

    def locate(frame_id: str) -> Any:
        req = it.NavigateRequest(task_id=task, annotator="link", action=it.NAVIGATE_ACTION_LOCATE, frame_id=frame_id)
        return stubs.iterator.Navigate(req)

    found = await locate("f002")
    assert (found.frame.frame_id, found.position, found.total, found.state) == ("f002", 3, 4, it.PLAN_FRAME_STATE_OPEN)
    missing = await locate("not-in-the-plan")
    assert not missing.HasField("frame") and missing.total == 4  # a frame outside the plan: no position, the total
    assert_status(await rpc_error(locate("")), grpc.StatusCode.INVALID_ARGUMENT, "frame_id")
    assert_status(await rpc_error(locate("f\x00")), grpc.StatusCode.INVALID_ARGUMENT, "frame_id")


async def test_navigation_from_a_position_or_trail_index_beyond_32_bits_is_invalid_argument_naming_it(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    task = await make_task(stubs, v.version_id, 2)
    await stubs.iterator.NextFrame(next_req(task, "far"))
    cases = [
        (it.NAVIGATE_ACTION_TRAIL_NEXT, "from_trail_index"),
        (it.NAVIGATE_ACTION_TRAIL_PREVIOUS, "from_trail_index"),
        (it.NAVIGATE_ACTION_ANNOTATED_NEXT, "from_position"),
        (it.NAVIGATE_ACTION_ANNOTATED_PREVIOUS, "from_position"),
        (it.NAVIGATE_ACTION_JUMP, "from_position"),
    ]
    for action, field in cases:
        for value in (2**31, 2**63 - 1, 2**64 - 1):
            req = it.NavigateRequest(task_id=task, annotator="far", action=action, **{field: value})
            assert_status(await rpc_error(stubs.iterator.Navigate(req)), grpc.StatusCode.INVALID_ARGUMENT, field)
    last = await stubs.iterator.Navigate(
        it.NavigateRequest(
            task_id=task, annotator="far", action=it.NAVIGATE_ACTION_TRAIL_NEXT, from_trail_index=2**31 - 1
        )
    )
    assert not last.HasField("frame")  # the largest index the trail can hold is still an answer


async def test_completed_tasks_lease_nothing_reopened_ones_do_and_deleted_ones_are_gone(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    task = await make_task(stubs, v.version_id, 2)
    await stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=task), metadata=USER_MD)

    async def status(expected: str) -> bool:  # poll without leasing: a lease taken meanwhile would stay held
        return (await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))).status == expected

    await eventually(lambda: status("completed"), "the iterator to see the task completed")
    err = await rpc_error(stubs.iterator.NextFrame(next_req(task, "a")))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "task_id")
    await stubs.tasks.ReopenTask(tk.ReopenTaskRequest(task_id=task), metadata=USER_MD)
    await eventually(lambda: status("active"), "the iterator to see the task reopened")
    assert (await stubs.iterator.NextFrame(next_req(task, "a"))).HasField("frame")
    await stubs.tasks.DeleteTask(tk.DeleteTaskRequest(task_id=task), metadata=USER_MD)

    async def gone() -> bool:
        try:
            await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))
        except grpc.aio.AioRpcError as err:
            return err.code() == grpc.StatusCode.NOT_FOUND
        return False

    await eventually(gone, "the deleted task to disappear from the iterator")


async def test_a_custom_filter_selects_frames_by_metadata_through_the_whole_system(stubs: Stubs, unique: str) -> None:
    v = (await make_version(stubs, unique, 0, publish=False)).version_id
    fs = frames(4)
    for i, f in enumerate(fs):
        f.metadata.update({"speed": i * 20, "city": "bremen" if i % 2 else "berlin"})
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v, frames=fs))
    sel = fl.FrameSelection(
        mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(frame_query='meta.city:"bremen" AND meta.speed >= 30')]
    )
    req = tk.CreateTaskRequest(name="filtered", dataset_version_id=v, selection=sel)
    task = (await stubs.tasks.CreateTask(req, metadata=USER_MD)).task.task_id

    async def planned() -> bool:
        return (await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))).total == 1

    await eventually(planned, "the filtered plan")
    assert await served_order(stubs, task) == ["f003"]
    bad = fl.FrameSelection(mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(frame_query="meta.city:")])
    err = await rpc_error(stubs.tasks.CreateTask(tk.CreateTaskRequest(name="x", dataset_version_id=v, selection=bad)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "position 10" in (err.details() or "")


async def test_task_progressed_reaches_jetstream_coalesced_with_the_final_counts(
    stubs: Stubs, unique: str, nats_url: str
) -> None:
    v = await make_version(stubs, unique, 30, publish=False)
    task = await make_task(stubs, v.version_id, 30)
    for who in ("a", "b"):
        lease = ""
        for _ in range(15 if who == "a" else 10):  # a finishes 14 leases, b 9; the last lease of each stays held
            lease = (await stubs.iterator.NextFrame(next_req(task, who, lease))).lease_id
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            f"annostream.iterator.v1.{subject_token(task)}.TaskProgressed", stream="ANNOSTREAM_ITERATOR"
        )
        last: dict[str, iterator_pb2.AnnotatorProgress] = {}
        tasks: dict[str, iterator_pb2.TaskProgressed] = {}
        count = 0
        while (last.get("a") is None or last["a"].done < 14) or (last.get("b") is None or last["b"].done < 9):
            for msg in await sub.fetch(50, timeout=10):
                p = iterator_pb2.TaskProgressed()
                assert envelope_pb2.EventEnvelope.FromString(msg.data).payload.Unpack(p)
                for moved in p.annotators:
                    last[moved.annotator] = moved
                    tasks[moved.annotator] = p
                count += bool(p.annotators)
                await msg.ack()
    finally:
        await nc.close()
    assert (last["a"].done, last["b"].done, tasks["a"].total) == (14, 9, 30)
    assert max(tasks["a"].done, tasks["b"].done) == 23  # the later event counts both annotators
    assert count <= 23  # never more than one event per finished lease (one per task per emitter tick)


async def test_a_save_the_index_ignores_still_finishes_the_holders_frame_through_frame_saved(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    task = await make_task(stubs, v.version_id, 2)
    lease = await stubs.iterator.NextFrame(next_req(task, "labeller"))
    await known_frame(stubs, lease.frame.version_id, lease.frame.frame_id)
    label_only = ann.SaveFrameRequest(  # FrameLabelAdded is not delivered to the iterator; FrameSaved is
        frame=lease.frame,
        task_id=task,
        commands=[ann.Command(add_frame_label=ann.AddFrameLabel(label="night"))],
    )
    await stubs.annotation.SaveFrame(label_only, metadata=(("x-annostream-user", "labeller"),))

    async def finished() -> bool:
        p = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))
        return [(a.annotator, a.done) for a in p.annotators] == [("labeller", 1)]

    await eventually(finished, "FrameSaved of the holder's save to finish the frame")
    # Completing the lease the save already finished is accepted (the editor does so when it moves on),
    # and a retried call returns the same next lease.
    again = await stubs.iterator.NextFrame(next_req(task, "labeller", lease.lease_id))
    retried = await stubs.iterator.NextFrame(next_req(task, "labeller", lease.lease_id))
    assert again.frame.frame_id != lease.frame.frame_id and retried.lease_id == again.lease_id
    progress = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task))
    assert progress.done == 1  # counted once
    err = await rpc_error(stubs.iterator.NextFrame(next_req(task, "someone-else", lease.lease_id)))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "complete_lease_id")
