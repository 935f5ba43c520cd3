"""Data made before teams owned it: the annotation and iterator services reach it only after
`annostream admin backfill-owners` copied the owners from the datasets and tasks schemas."""

from __future__ import annotations

import asyncpg
import grpc

from annostream_cli.owners import backfill
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t

from .conftest import Stubs, make_version
from .grpc_helpers import eventually, rpc_error

SCHEMAS = {"datasets": "datasets", "tasks": "tasks", "iterator": "iterator", "annotation": "annotation"}


async def test_legacy_rows_without_an_owner_are_unreachable_until_the_backfill_gives_them_one(
    stubs: Stubs, unique: str, postgres_dsn: str
) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    task = (await stubs.tasks.CreateTask(tk.CreateTaskRequest(name="legacy", dataset_version_id=v.version_id))).task
    conn = await asyncpg.connect(postgres_dsn)
    try:

        async def both_known() -> bool:
            a = await conn.fetchval("SELECT 1 FROM annotation.base_frames WHERE version_id = $1", v.version_id)
            i = await conn.fetchval("SELECT total FROM iterator.tasks WHERE task_id = $1", task.task_id)
            return bool(a) and i == 2

        await eventually(both_known, "the annotation service and the iterator to index the version and the task")
        # as a deployment from before tenancy left them: no owner in the annotation and iterator schemas
        await conn.execute("UPDATE annotation.versions SET team = NULL WHERE version_id = $1", v.version_id)
        await conn.execute("DELETE FROM annotation.datasets WHERE dataset_id = $1", v.dataset_id)
        await conn.execute("UPDATE iterator.tasks SET team = NULL WHERE task_id = $1", task.task_id)

        ref = t.FrameRef(version_id=v.version_id, frame_id="f000")
        err = await rpc_error(stubs.annotation.GetFrame(ann.GetFrameRequest(frame=ref)))
        assert err.code() == grpc.StatusCode.NOT_FOUND, err.details()
        err = await rpc_error(stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id)))
        assert err.code() == grpc.StatusCode.NOT_FOUND, err.details()

        assert await backfill(postgres_dsn, SCHEMAS) == (0, 0)
    finally:
        await conn.close()
    frame = await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=ref))
    assert frame.frame.frame.frame_id == "f000"
    assert (await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))).total == 2
