"""Label colors shared by a task's team, over real gRPC, PostgreSQL and NATS: SetLabelColor validates the label
and the `#rrggbb` color naming the field, only the task's team may set one, every member then reads it, and
each change is a LabelColorSet event on JetStream (setting the same color again is not)."""

from __future__ import annotations

import grpc
import nats
import pytest

from annostream_kernel.events import subject_token
from annostream_protos.events.v1 import envelope_pb2, tasks_pb2
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from .conftest import Stubs, make_version
from .grpc_helpers import assert_status, rpc_error


def md(unique: str, user: str) -> tuple[tuple[str, str], ...]:
    return (("x-annostream-user", user), ("x-annostream-team", f"team-{unique}"))


async def _task(stubs: Stubs, unique: str) -> tk.Task:
    v = await make_version(stubs, unique, 0, publish=False, md=md(unique, "maker"))
    req = tk.CreateTaskRequest(name="colors", dataset_version_id=v.version_id)
    return (await stubs.tasks.CreateTask(req, metadata=md(unique, "ann"))).task


@pytest.mark.parametrize(
    ("label", "color", "field"),
    [
        ("car", "", "color"),
        ("car", "red", "color"),
        ("car", "#ff00", "color"),
        ("car", "#ff00zz", "color"),
        ("car", "#ff0000 ", "color"),
        ("", "#ff0000", "label"),
        ("  ", "#ff0000", "label"),
        ("x" * 257, "#ff0000", "label"),
    ],
)
async def test_a_label_color_must_be_rrggbb_and_the_label_non_empty(
    stubs: Stubs, unique: str, label: str, color: str, field: str
) -> None:
    task = await _task(stubs, unique)
    req = tk.SetLabelColorRequest(task_id=task.task_id, label=label, color=color)
    err = await rpc_error(stubs.tasks.SetLabelColor(req, metadata=md(unique, "ann")))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, field)
    got = await stubs.tasks.GetTask(tk.GetTaskRequest(task_id=task.task_id), metadata=md(unique, "ann"))
    assert dict(got.task.label_colors) == {}


async def test_an_unknown_task_is_not_found_and_another_team_may_not_set_colors(stubs: Stubs, unique: str) -> None:
    task = await _task(stubs, unique)
    missing = tk.SetLabelColorRequest(task_id="task_nope", label="car", color="#ff0000")
    assert_status(
        await rpc_error(stubs.tasks.SetLabelColor(missing, metadata=md(unique, "ann"))),
        grpc.StatusCode.NOT_FOUND,
        "task_id",
    )
    req = tk.SetLabelColorRequest(task_id=task.task_id, label="car", color="#ff0000")
    err = await rpc_error(stubs.tasks.SetLabelColor(req, metadata=md(f"{unique}-other", "eve")))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "task_id")  # another team's task is as if it did not exist


async def test_a_color_set_by_one_member_is_read_by_every_member_and_is_an_event(
    stubs: Stubs, unique: str, nats_url: str
) -> None:
    task = await _task(stubs, unique)
    tid = task.task_id
    for label, color in [("car", "#FF0000"), ("bus", "#00aa00"), ("car", "#0000ff"), ("car", "#0000FF")]:
        req = tk.SetLabelColorRequest(task_id=tid, label=label, color=color)
        resp = await stubs.tasks.SetLabelColor(req, metadata=md(unique, "bob"))  # bob is not the owner
    assert dict(resp.task.label_colors) == {"car": "#0000ff", "bus": "#00aa00"}  # stored lower-case
    last = tk.SetLabelColorRequest(task_id=tid, label="bus", color="#123456")
    await stubs.tasks.SetLabelColor(last, metadata=md(unique, "ann"))

    other = await stubs.tasks.GetTask(tk.GetTaskRequest(task_id=tid), metadata=md(unique, "carol"))
    assert dict(other.task.label_colors) == {"car": "#0000ff", "bus": "#123456"}
    listed = await stubs.tasks.ListTasks(tk.ListTasksRequest(), metadata=md(unique, "carol"))
    assert [dict(t.label_colors) for t in listed.tasks if t.task_id == tid] == [{"car": "#0000ff", "bus": "#123456"}]

    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            f"annostream.tasks.v1.{subject_token(tid)}.LabelColorSet", stream="ANNOSTREAM_TASKS"
        )
        seen: list[tuple[str, str, str]] = []
        while len(seen) < 4:
            for msg in await sub.fetch(4, timeout=10):
                env = envelope_pb2.EventEnvelope.FromString(msg.data)
                payload = tasks_pb2.LabelColorSet()
                assert env.payload.Unpack(payload) and env.task_id == tid
                seen.append((env.actor, payload.label, payload.color))
                await msg.ack()
    finally:
        await nc.close()
    # the fourth request (the same color again, in upper case) changed nothing, so it has no event
    assert seen == [
        ("bob", "car", "#ff0000"),
        ("bob", "bus", "#00aa00"),
        ("bob", "car", "#0000ff"),
        ("ann", "bus", "#123456"),
    ]
