"""Cross-service promises under load (see conftest: CPU burners, lagging consumers, two annotation replicas).
Each scenario acts the moment the previous call answered, as a script or an impatient user would."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from grpc import aio

from annostream_kernel.grpc_client import service_metadata
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import datasets_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as fl
from annostream_protos.types.v1 import frames_pb2 as t

from ..integration.annotation_helpers import events_of, known_frame, labels_of, rect, save
from ..integration.conftest import Stubs, frames
from ..integration.grpc_helpers import USER_MD, assert_status, details, eventually, rpc_error
from .conftest import Loaded

DEADLINE = 30.0  # generous: the machine is busy on purpose


def as_user(name: str) -> tuple[tuple[str, str], ...]:
    return (("x-annostream-user", name),)


async def draft(stubs: Stubs, unique: str, n: int) -> ds.Version:
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"c-{unique}"), metadata=USER_MD)).dataset
    v = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1"))).version
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames(n)))
    return v


async def writer(
    stub: ann_grpc.AnnotationServiceStub,
    ref: t.FrameRef,
    name: str,
    stop: asyncio.Event,
    log: list[tuple[float, bool]],
    refused: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION,
    field: str = "",
) -> None:
    """Save a new ROI again and again until told to stop; log (when the save was sent, whether it was stored). A
    save may only be refused with `refused` (naming `field` when given): read-only by default."""
    version, i = 0, 0
    while not stop.is_set():
        sent = time.monotonic()
        try:
            resp = await stub.SaveFrame(save(ref, version, rect(name, roi_id=f"{name}-{i}")), timeout=DEADLINE)
            version = resp.frame.version
            log.append((sent, True))
        except aio.AioRpcError as err:
            if err.code() != refused:  # refused as the promise says, nothing else
                raise
            if field:
                assert_status(err, refused, field)
            log.append((sent, False))
            await asyncio.sleep(0.01)
        i += 1


async def test_from_the_moment_publish_answers_no_annotation_replica_stores_an_edit(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    v = await draft(s, unique, 4)
    refs = [(await known_frame(s, v.version_id, f"f00{i}")).frame for i in range(4)]
    stop, log = asyncio.Event(), list[tuple[float, bool]]()
    replicas = [s.annotation, sys_.replica]
    writers = [
        asyncio.create_task(writer(replicas[w % 2], refs[w % 4], f"w{w}", stop, log)) for w in range(8)
    ]  # two writers per frame, one on each replica
    await asyncio.sleep(0.5)
    await s.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id), timeout=DEADLINE)
    answered = time.monotonic()
    for replica in replicas:  # the very next edit, on either process
        err = await rpc_error(replica.SaveFrame(save(refs[0], 0, rect("late")), timeout=DEADLINE))
        assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "frame.version_id")
    stored = await events_of(sys_.dsn, v.version_id)
    await asyncio.sleep(1.0)  # the writers keep trying
    stop.set()
    await asyncio.gather(*writers)
    assert await events_of(sys_.dsn, v.version_id) == stored, "an edit was stored after publish answered"
    assert any(ok for _, ok in log), "the writers never stored anything before the publish"
    assert not [sent for sent, ok in log if ok and sent >= answered]


async def _planned_task(s: Stubs, unique: str, n: int) -> tk.Task:
    v = await draft(s, unique, n)
    req = tk.CreateTaskRequest(name=f"t {unique}", dataset_version_id=v.version_id)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task
    await eventually(
        lambda: _total(s, task.task_id, n), "the iterator to plan the task (its task events lag)", timeout=DEADLINE
    )
    return task


async def _total(s: Stubs, task_id: str, n: int) -> bool:
    return (await s.iterator.GetProgress(it.GetProgressRequest(task_id=task_id))).total == n


def _next(s: Stubs, task_id: str, annotator: str) -> object:
    return s.iterator.NextFrame(it.NextFrameRequest(task_id=task_id, annotator=annotator), timeout=DEADLINE)


async def test_a_completed_task_leases_nothing_from_the_moment_complete_answers(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    task = await _planned_task(s, unique, 3)
    held = await s.iterator.NextFrame(it.NextFrameRequest(task_id=task.task_id, annotator="ann"))
    await s.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=task.task_id), metadata=USER_MD, timeout=DEADLINE)
    for annotator in ("bob", "ann"):  # a newcomer, and the holder of a lease
        assert_status(
            await rpc_error(_next(s, task.task_id, annotator)), grpc.StatusCode.FAILED_PRECONDITION, "task_id"
        )
    beat = s.iterator.Heartbeat(it.HeartbeatRequest(task_id=task.task_id, annotator="ann", lease_id=held.lease_id))
    assert_status(await rpc_error(beat), grpc.StatusCode.FAILED_PRECONDITION, "task_id")
    await s.iterator.ReleaseFrame(it.ReleaseFrameRequest(task_id=task.task_id, annotator="ann", lease_id=held.lease_id))

    await s.tasks.ReopenTask(tk.ReopenTaskRequest(task_id=task.task_id), metadata=USER_MD, timeout=DEADLINE)
    again = await _next(s, task.task_id, "bob")  # reopened: leases resume at once too
    assert again.frame.frame_id  # type: ignore[attr-defined]


async def test_a_deleted_task_leases_nothing_from_the_moment_delete_answers(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    task = await _planned_task(s, unique, 3)
    await s.iterator.NextFrame(it.NextFrameRequest(task_id=task.task_id, annotator="ann"))
    await s.tasks.DeleteTask(tk.DeleteTaskRequest(task_id=task.task_id), metadata=USER_MD, timeout=DEADLINE)
    for annotator in ("bob", "ann"):
        assert_status(await rpc_error(_next(s, task.task_id, annotator)), grpc.StatusCode.NOT_FOUND, "task_id")
    progress = s.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))
    assert_status(await rpc_error(progress), grpc.StatusCode.NOT_FOUND, "task_id")


async def test_a_version_an_active_task_annotates_is_not_published_however_late_the_iterator_learns_the_task(
    sys_: Loaded, unique: str
) -> None:
    s = sys_.stubs
    v = await draft(s, unique, 2)
    req = tk.CreateTaskRequest(name=f"in place {unique}", dataset_version_id=v.version_id)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task  # annotates the Draft in place
    publish = s.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id), metadata=USER_MD)
    err = await rpc_error(publish)  # at once: the iterator's task events are 1.5 s late
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "version_id")
    assert details(err)["task_ids"] == [task.task_id] and task.task_id in (err.details() or "")
    got = await s.datasets.GetVersion(ds.GetVersionRequest(version_id=v.version_id), metadata=USER_MD)
    assert got.version.status == datasets_pb2.VERSION_STATUS_DRAFT
    ref = (await known_frame(s, v.version_id, "f000")).frame
    await s.annotation.SaveFrame(save(ref, 0, rect("still")), timeout=DEADLINE)  # nothing was sealed
    lease = await eventually(lambda: _next(s, task.task_id, "ann"), "a lease once the plan is built", DEADLINE)
    assert lease.frame.frame_id  # nothing was sealed in the iterator either


async def test_a_task_leases_nothing_from_the_moment_its_version_is_published(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    task = await _planned_task(s, unique, 3)
    held = await s.iterator.NextFrame(it.NextFrameRequest(task_id=task.task_id, annotator="ann"))
    await s.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=task.task_id), metadata=USER_MD, timeout=DEADLINE)
    req = ds.PublishVersionRequest(version_id=task.annotated_version_id)
    await s.datasets.PublishVersion(req, metadata=USER_MD, timeout=DEADLINE)  # allowed: no active task
    reopen = s.tasks.ReopenTask(tk.ReopenTaskRequest(task_id=task.task_id), metadata=USER_MD, timeout=DEADLINE)
    assert_status(await rpc_error(reopen), grpc.StatusCode.FAILED_PRECONDITION, "task_id")  # its version is Published
    # A reopen racing the publish (it read the version as Draft, and committed after the seal) tells the iterator
    # the task is active again, at the next revision: the seal still hands out nothing.
    gate = it.SetTaskStatusRequest(task_id=task.task_id, status=it.TASK_GATE_ACTIVE, revision=3)
    await s.iterator.SetTaskStatus(gate, metadata=service_metadata("tasks"), timeout=DEADLINE)
    for annotator in ("bob", "ann"):  # at once: VersionPublished reaches the iterator 2 s late
        err = await rpc_error(_next(s, task.task_id, annotator))
        assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "task_id")
        assert details(err)["version_id"] == task.annotated_version_id and "Published" in (err.details() or "")
    beat = s.iterator.Heartbeat(it.HeartbeatRequest(task_id=task.task_id, annotator="ann", lease_id=held.lease_id))
    assert_status(await rpc_error(beat), grpc.StatusCode.FAILED_PRECONDITION, "task_id")


async def test_a_task_created_right_after_an_edit_has_the_edited_frame_in_its_plan(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    v = await draft(s, unique, 6)
    target = (await known_frame(s, v.version_id, "f004")).frame
    needle = f"needle-{unique}"
    await sys_.replica.SaveFrame(save(target, 0, rect(needle)), timeout=DEADLINE)  # through the second replica
    selection = fl.FrameSelection(
        mode=fl.FILTER_MODE_CUSTOM,
        filters=[fl.FrameFilter(roi_rules=[fl.RoiRule(kind=fl.ROI_RULE_KIND_INCLUDE, label_expression=needle)])],
    )
    req = tk.CreateTaskRequest(name=f"needles {unique}", dataset_version_id=v.version_id, selection=selection)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task

    plan_req = it.ListPlanFramesRequest(task_id=task.task_id)

    async def planned() -> it.GetProgressResponse | None:
        p = await s.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))
        if p.status == "pending":  # meanwhile nothing is leased or listed from a plan that may still miss the edit
            try:
                listing = s.iterator.ListPlanFrames(plan_req, metadata=USER_MD)
                listed = [f async for page in listing for f in page.frame_ids]
            except aio.AioRpcError as err:
                assert_status(err, grpc.StatusCode.NOT_FOUND, "task_id")  # plan pending: never an empty list
            else:
                assert listed == ["f004"]  # built between the two calls: the final plan, with the edit
            try:
                early = await _next(s, task.task_id, "early")
            except aio.AioRpcError as err:
                assert_status(err, grpc.StatusCode.NOT_FOUND, "task_id")
                return None
            # The plan was built between the two calls: the lease comes from the final plan, which has the edit.
            assert early.frame.frame_id == "f004"  # type: ignore[attr-defined]
            release = it.ReleaseFrameRequest(task_id=task.task_id, annotator="early", lease_id=early.lease_id)
            await s.iterator.ReleaseFrame(release)
            return await s.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))
        return p

    progress = await eventually(planned, "the task's plan (pending until the edit is indexed)", timeout=DEADLINE)
    assert (progress.status, progress.total) == ("active", 1)
    lease = await _next(s, task.task_id, "ann")
    assert lease.frame.frame_id == "f004"  # type: ignore[attr-defined]
    info = await s.tasks.GetTask(tk.GetTaskRequest(task_id=task.task_id), metadata=USER_MD)
    assert info.progress.total == 1 and not info.progress.plan_pending


async def test_frames_the_datasets_service_acknowledged_are_readable_and_savable_at_once(
    sys_: Loaded, unique: str
) -> None:
    """The annotation service learns versions and frames from the datasets stream, 3 s late here: a save right
    after an import, and a read and a save of a child version right after it was created, are answered as for
    known frames (they wait for the stream), never "not found"."""
    s = sys_.stubs
    v = await draft(s, unique, 2)  # import answered a moment ago
    ref = t.FrameRef(version_id=v.version_id, frame_id="f001")
    saved = await s.annotation.SaveFrame(save(ref, 0, rect(f"at-once-{unique}")), timeout=DEADLINE)
    assert saved.frame.version == 1 and labels_of(saved.frame) == [[f"at-once-{unique}"]]
    await s.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id), timeout=DEADLINE)
    child = (
        await s.datasets.CreateVersion(
            ds.CreateVersionRequest(dataset_id=v.dataset_id, name="child", parent_version_id=v.version_id),
            timeout=DEADLINE,
        )
    ).version
    child_ref = t.FrameRef(version_id=child.version_id, frame_id="f001")
    inherited = await sys_.replica.GetFrame(ann.GetFrameRequest(frame=child_ref), timeout=DEADLINE)
    assert labels_of(inherited.frame) == [[f"at-once-{unique}"]]
    again = await s.annotation.SaveFrame(save(child_ref, 0, rect(f"child-{unique}")), timeout=DEADLINE)
    assert sorted(labels_of(again.frame)) == [[f"at-once-{unique}"], [f"child-{unique}"]]
    missing = s.annotation.GetFrame(ann.GetFrameRequest(frame=t.FrameRef(version_id=child.version_id, frame_id="nope")))
    assert_status(await rpc_error(missing), grpc.StatusCode.NOT_FOUND, "frame.frame_id")  # a real miss stays one


async def test_a_filtered_frame_list_right_after_an_import_holds_the_imported_frames(sys_: Loaded, unique: str) -> None:
    """The iterator learns versions from the datasets stream (2 s late here); asked for a version's matching frames
    right after the import (as a filtered export asks it), it waits for the stream instead of answering "no
    version"; an unknown version is still NOT_FOUND."""
    s = sys_.stubs
    v = await draft(s, unique, 3)  # import answered a moment ago
    everything = fl.FrameSelection(mode=fl.FILTER_MODE_ALL)
    as_service = service_metadata("annotation")
    call = s.iterator.SelectFrames(
        it.SelectFramesRequest(version_id=v.version_id, selection=everything), metadata=as_service, timeout=DEADLINE
    )
    listed = [frame_id async for page in call for frame_id in page.frame_ids]
    assert listed == [f.frame_id for f in frames(3)]
    missing = s.iterator.SelectFrames(
        it.SelectFramesRequest(version_id=f"ver_nope_{unique}", selection=everything), metadata=as_service
    )
    assert_status(await rpc_error(_drain(missing)), grpc.StatusCode.NOT_FOUND, "version_id")  # a real miss stays one


async def _drain(call: Any) -> None:
    async for _ in call:
        pass


async def test_a_task_created_right_after_an_import_hands_out_the_imported_frames_never_exhausted(
    sys_: Loaded, unique: str
) -> None:
    """The iterator knows the version already; its datasets consumer (2 s late here) has not indexed the import yet
    when its tasks consumer (1.5 s late) sees TaskCreated: the plan waits for the import instead of being built
    empty (NextFrame answered "exhausted" until the frames joined it)."""
    s = sys_.stubs
    d = (await s.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"i-{unique}"), metadata=USER_MD)).dataset
    v = (await s.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1"))).version
    everything = fl.FrameSelection(mode=fl.FILTER_MODE_ALL)
    known = s.iterator.SelectFrames(
        it.SelectFramesRequest(version_id=v.version_id, selection=everything),
        metadata=service_metadata("annotation"),
        timeout=DEADLINE,
    )
    assert [f async for page in known for f in page.frame_ids] == []  # the iterator has indexed the version
    await s.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames(3)))
    req = tk.CreateTaskRequest(name=f"imported {unique}", dataset_version_id=v.version_id)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task

    async def first() -> Any:
        try:
            return await _next(s, task.task_id, "ann")
        except aio.AioRpcError as err:
            assert_status(err, grpc.StatusCode.NOT_FOUND, "task_id")  # not planned yet
            return None

    lease = await eventually(first, "the task's first lease", timeout=DEADLINE)
    assert not lease.exhausted and lease.frame.frame_id == "f000"
    progress = await s.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))
    assert progress.total == 3
