"""Tasks service over real gRPC, PostgreSQL and NATS: parameter validation, view options, info,
complete/reopen/delete with owner/admin rules, and the task events on JetStream."""

from __future__ import annotations

import grpc
import nats
import pytest

from annostream_kernel.events import subject_token
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import envelope_pb2, tasks_pb2
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as f

from .conftest import Stubs, make_version
from .grpc_helpers import assert_status, rpc_error


def md(unique: str, user: str, role: str = "") -> tuple[tuple[str, str], ...]:
    out = [("x-annostream-user", user), ("x-annostream-team", f"team-{unique}")]
    return (*out, ("x-annostream-role", role)) if role else tuple(out)


@pytest.mark.parametrize(
    ("patch", "code", "field"),
    [
        ({"name": ""}, grpc.StatusCode.INVALID_ARGUMENT, "name"),
        ({"name": "x" * 201}, grpc.StatusCode.INVALID_ARGUMENT, "name"),
        ({"dataset_version_id": ""}, grpc.StatusCode.INVALID_ARGUMENT, "dataset_version_id"),
        ({"dataset_version_id": "nope"}, grpc.StatusCode.NOT_FOUND, "dataset_version_id"),
        ({"iteration": tasks_pb2.IterationSpec(order=7)}, grpc.StatusCode.INVALID_ARGUMENT, "iteration.order"),
        (
            {"iteration": tasks_pb2.IterationSpec(clip_length=10_001)},
            grpc.StatusCode.INVALID_ARGUMENT,
            "iteration.clip_length",
        ),
        ({"default_labels": ["car", " "]}, grpc.StatusCode.INVALID_ARGUMENT, "default_labels[1]"),
        ({"label_set": ["car"], "default_labels": ["bus"]}, grpc.StatusCode.INVALID_ARGUMENT, "default_labels[0]"),
        ({"selection": f.FrameSelection(mode=9)}, grpc.StatusCode.INVALID_ARGUMENT, "selection.mode"),
        (
            {"selection": f.FrameSelection(mode=f.FILTER_MODE_CUSTOM)},
            grpc.StatusCode.INVALID_ARGUMENT,
            "selection.filters",
        ),
        (
            {"selection": f.FrameSelection(mode=f.FILTER_MODE_EMPTY, filters=[f.FrameFilter(frame_query="a")])},
            grpc.StatusCode.INVALID_ARGUMENT,
            "selection.filters",
        ),
    ],
)
async def test_every_create_parameter_is_validated_and_nothing_is_created(
    stubs: Stubs, unique: str, patch: dict, code: grpc.StatusCode, field: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=True, md=md(unique, "maker"))
    req = tk.CreateTaskRequest(name="t", dataset_version_id=v.version_id)
    for k, val in patch.items():
        if isinstance(val, list):
            getattr(req, k).extend(val)
        elif hasattr(val, "CopyFrom"):
            getattr(req, k).CopyFrom(val)
        else:
            setattr(req, k, val)
    err = await rpc_error(stubs.tasks.CreateTask(req, metadata=md(unique, "u")))
    assert_status(err, code, field)
    tree = await stubs.datasets.ListVersions(ds.ListVersionsRequest(dataset_id=v.dataset_id), metadata=md(unique, "u"))
    assert tree.total_size == 1  # no child version was created for a rejected task


async def test_custom_filters_are_checked_by_the_iterator_before_anything_is_created(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=True, md=md(unique, "maker"))
    bad = f.FrameSelection(
        mode=f.FILTER_MODE_CUSTOM,
        filters=[f.FrameFilter(roi_rules=[f.RoiRule(kind=f.ROI_RULE_KIND_INCLUDE, label_expression="car AND (")])],
    )
    req = tk.CreateTaskRequest(name="t", dataset_version_id=v.version_id, selection=bad)
    err = await rpc_error(stubs.tasks.CreateTask(req, metadata=md(unique, "u")))
    # INVALID_ARGUMENT naming the rule once the iterator validates; UNAVAILABLE while it cannot.
    assert err.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAVAILABLE), err.details()
    assert "selection" in (err.details() or "")
    tree = await stubs.datasets.ListVersions(ds.ListVersionsRequest(dataset_id=v.dataset_id), metadata=md(unique, "u"))
    assert tree.total_size == 1


async def test_list_view_options_filter_sort_page_and_count(stubs: Stubs, unique: str) -> None:
    v1 = await make_version(stubs, unique, 0, publish=False, md=md(unique, "maker"))
    v2 = await make_version(stubs, f"{unique}-2", 0, publish=False, md=md(unique, "maker"))
    made = {}
    for name, user, v in [("delta", "ann", v1), ("Alpha", "bob", v1), ("charlie", "ann", v2), ("bravo", "ann", v1)]:
        req = tk.CreateTaskRequest(name=name, dataset_version_id=v.version_id)
        made[name] = (await stubs.tasks.CreateTask(req, metadata=md(unique, user))).task
    await stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=made["bravo"].task_id), metadata=md(unique, "ann"))

    async def names(user: str = "ann", **kw: object) -> tuple[list[str], int]:
        resp = await stubs.tasks.ListTasks(tk.ListTasksRequest(**kw), metadata=md(unique, user))  # type: ignore[arg-type]
        return [t.name for t in resp.tasks], resp.total_size

    assert await names() == (["bravo", "charlie", "Alpha", "delta"], 4)  # RECENT: newest first
    assert await names(status=tk.TASK_STATUS_ACTIVE) == (["charlie", "Alpha", "delta"], 3)
    assert await names(status=tk.TASK_STATUS_COMPLETED) == (["bravo"], 1)
    assert await names(dataset_id=v2.dataset_id) == (["charlie"], 1)
    assert await names(scope=tk.TASK_SCOPE_MINE, sort=tk.TASK_SORT_NAME) == (["bravo", "charlie", "delta"], 3)
    assert await names("bob", scope=tk.TASK_SCOPE_MINE) == (["Alpha"], 1)

    seen: list[str] = []
    token = ""
    while True:
        resp = await stubs.tasks.ListTasks(
            tk.ListTasksRequest(sort=tk.TASK_SORT_NAME, page_size=3, page_token=token), metadata=md(unique, "ann")
        )
        seen += [t.name for t in resp.tasks]
        token = resp.next_page_token
        if not token:
            break
    assert seen == ["Alpha", "bravo", "charlie", "delta"]
    first = await stubs.tasks.ListTasks(tk.ListTasksRequest(page_size=1), metadata=md(unique, "ann"))
    err = await rpc_error(
        stubs.tasks.ListTasks(
            tk.ListTasksRequest(sort=tk.TASK_SORT_NAME, page_token=first.next_page_token), metadata=md(unique, "ann")
        )
    )
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "page_token")


async def test_info_shows_both_versions_filters_iteration_and_progress(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 3, publish=True, md=md(unique, "maker"))
    req = tk.CreateTaskRequest(
        name="info",
        dataset_version_id=v.version_id,
        iteration=tasks_pb2.IterationSpec(order=tasks_pb2.ITERATION_ORDER_RANDOM, limit=2, clip_length=4),
        selection=f.FrameSelection(mode=f.FILTER_MODE_EMPTY),
        label_set=["car", "bus"],
        default_labels=["car"],
    )
    task = (await stubs.tasks.CreateTask(req, metadata=md(unique, "u"))).task
    info = await stubs.tasks.GetTask(tk.GetTaskRequest(task_id=task.task_id), metadata=md(unique, "u"))
    assert (info.source_version.version_id, info.source_version.frame_count) == (v.version_id, 3)
    assert (info.annotated_version.name, info.annotated_version.parent_version_id) == ("info", v.version_id)
    assert info.task.selection.mode == f.FILTER_MODE_EMPTY and list(info.task.label_set) == ["car", "bus"]
    it = info.task.iteration
    assert (it.order, it.limit, it.clip_length) == (tasks_pb2.ITERATION_ORDER_RANDOM, 2, 4) and it.random_seed != 0
    assert info.progress.done <= info.progress.total  # 0/0 until the iterator knows the task


async def test_only_the_owner_or_a_team_admin_completes_reopens_or_deletes(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=True, md=md(unique, "maker"))
    task = (
        await stubs.tasks.CreateTask(
            tk.CreateTaskRequest(name="own", dataset_version_id=v.version_id), metadata=md(unique, "ann")
        )
    ).task
    tid = task.task_id
    # a member who is not the owner lacks the permission; another team's admin does not see the task at all
    for who, code in (
        (md(unique, "bob"), grpc.StatusCode.PERMISSION_DENIED),
        (md(f"{unique}-x", "eve", "admin"), grpc.StatusCode.NOT_FOUND),
    ):
        err = await rpc_error(stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=tid), metadata=who))
        assert_status(err, code, "task_id")
        err = await rpc_error(stubs.tasks.DeleteTask(tk.DeleteTaskRequest(task_id=tid), metadata=who))
        assert_status(err, code, "task_id")

    done = await stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=tid), metadata=md(unique, "ann"))
    assert done.task.status == tk.TASK_STATUS_COMPLETED and done.task.HasField("completed_at")
    err = await rpc_error(stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=tid), metadata=md(unique, "ann")))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "task_id")
    still = await stubs.tasks.GetTask(tk.GetTaskRequest(task_id=tid), metadata=md(unique, "bob"))
    assert still.task.status == tk.TASK_STATUS_COMPLETED  # a Completed task stays readable
    again = await stubs.tasks.ReopenTask(tk.ReopenTaskRequest(task_id=tid), metadata=md(unique, "boss", "admin"))
    assert again.task.status == tk.TASK_STATUS_ACTIVE

    await stubs.tasks.DeleteTask(tk.DeleteTaskRequest(task_id=tid), metadata=md(unique, "boss", "admin"))
    err = await rpc_error(stubs.tasks.GetTask(tk.GetTaskRequest(task_id=tid)))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "task_id")
    kept = await stubs.datasets.GetVersion(
        ds.GetVersionRequest(version_id=task.annotated_version_id), metadata=md(unique, "u")
    )
    assert kept.version.name == "own"  # the annotated version stays


async def test_every_lifecycle_change_is_an_event_on_jetstream(stubs: Stubs, unique: str, nats_url: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False, md=md(unique, "maker"))
    who = md(unique, "ann")
    task = (
        await stubs.tasks.CreateTask(tk.CreateTaskRequest(name="ev", dataset_version_id=v.version_id), metadata=who)
    ).task
    await stubs.tasks.CompleteTask(tk.CompleteTaskRequest(task_id=task.task_id), metadata=who)
    await stubs.tasks.ReopenTask(tk.ReopenTaskRequest(task_id=task.task_id), metadata=who)
    await stubs.tasks.DeleteTask(tk.DeleteTaskRequest(task_id=task.task_id), metadata=who)
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            f"annostream.tasks.v1.{subject_token(task.task_id)}.>", stream="ANNOSTREAM_TASKS"
        )
        types: list[str] = []
        while len(types) < 4:
            for msg in await sub.fetch(4, timeout=10):
                env = envelope_pb2.EventEnvelope.FromString(msg.data)
                types.append(env.type)
                assert env.actor == "ann" and env.task_id == task.task_id
                await msg.ack()
    finally:
        await nc.close()
    assert types == ["TaskCreated", "TaskCompleted", "TaskReopened", "TaskDeleted"]
    deleted = tasks_pb2.TaskDeleted()
    assert env.payload.Unpack(deleted) and deleted.annotated_version_id == task.annotated_version_id
