"""A task right after `CreateTask` answered, under load (see conftest: CPU burners, the iterator's task events 1.5 s
late and its annotation events 4 s late): the iterator never answers "not yet known" for a task the tasks service
acknowledged, and a task export waits for the plan instead of failing (a script's create_task then export_task)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from grpc import aio

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t

from ..integration.annotation_helpers import rect, save
from ..integration.conftest import Stubs
from ..integration.grpc_helpers import USER_MD, assert_status, details, rpc_error
from .conftest import Loaded
from .test_guarantees_under_load import draft

DEADLINE = 30.0  # generous: the machine is busy on purpose
FRAMES = ["f000", "f001", "f002", "f003"]


async def _exported(s: Stubs, version_id: str, task_id: str) -> list[str]:
    req = ann.ExportFramesRequest(version_id=version_id, task_id=task_id)
    call = s.annotation.ExportFrames(req, metadata=USER_MD, timeout=DEADLINE)
    return [f.frame_id async for page in call for f in page.frames]


async def _first_lease(s: Stubs, task_id: str) -> Any:
    """NextFrame's answer, or its error (a pending plan is an answer the web UI retries; "not yet known" is not)."""
    try:
        return await s.iterator.NextFrame(
            it.NextFrameRequest(task_id=task_id, annotator="tester"), metadata=USER_MD, timeout=DEADLINE
        )
    except aio.AioRpcError as err:
        return err


async def test_a_task_is_exported_and_leased_right_after_create_task_answers(sys_: Loaded, unique: str) -> None:
    s = sys_.stubs
    v = await draft(s, unique, len(FRAMES))
    # An edit just before the task: its plan stays pending until the iterator's annotation events (4 s late) hold it.
    ref = t.FrameRef(version_id=v.version_id, frame_id="f002")
    await sys_.replica.SaveFrame(save(ref, 0, rect(f"fresh-{unique}")), timeout=DEADLINE)
    req = tk.CreateTaskRequest(name=f"at once {unique}", dataset_version_id=v.version_id)
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task

    exported, lease = await asyncio.gather(
        _exported(s, task.annotated_version_id, task.task_id), _first_lease(s, task.task_id), return_exceptions=True
    )
    if isinstance(lease, aio.AioRpcError):  # documented: NextFrame answers 404 plan_pending while it is built
        assert_status(lease, grpc.StatusCode.NOT_FOUND, "task_id")
        assert details(lease).get("plan_pending"), lease.details()  # never "not yet known to the iterator"
    else:
        assert lease.frame.frame_id in FRAMES and lease.total == len(FRAMES)
    assert not isinstance(exported, BaseException), exported
    assert exported == FRAMES  # the plan's frames: neither NOT_FOUND nor "plan pending"
    progress = await s.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id), metadata=USER_MD)
    assert progress.total == len(FRAMES)

    unknown = f"task_nope_{unique}"  # a real miss stays one
    missing = await _first_lease(s, unknown)
    assert isinstance(missing, aio.AioRpcError)
    assert_status(missing, grpc.StatusCode.NOT_FOUND, "task_id")
    assert not details(missing).get("plan_pending")
    export_missing = await rpc_error(_exported(s, task.annotated_version_id, unknown))
    assert_status(export_missing, grpc.StatusCode.NOT_FOUND, "task_id")
