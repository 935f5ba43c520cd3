"""A deleted version stores no edit and answers no read from the moment DeleteVersion / DeleteDataset answers, on
either annotation replica, while the machine is loaded and the annotation service gets the datasets events 3 s late
(see conftest)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from ..integration.annotation_helpers import events_of, known_frame, rect, save
from ..integration.conftest import frames
from ..integration.grpc_helpers import USER_MD, assert_status, rpc_error
from .conftest import Loaded
from .test_guarantees_under_load import DEADLINE, draft, writer

NOT_FOUND = grpc.StatusCode.NOT_FOUND  # refused as deleted, nothing else
LAG = 3.5  # past the annotation service's datasets consumer delay: the delete events have arrived by then


async def _gone_on_both(sys_: Loaded, ref: t.FrameRef) -> None:
    """On each replica: the very next edit and every read of the version are NOT_FOUND."""
    for replica in (sys_.stubs.annotation, sys_.replica):
        err = await rpc_error(replica.SaveFrame(save(ref, 0, rect("late")), timeout=DEADLINE))
        assert_status(err, grpc.StatusCode.NOT_FOUND, "frame.version_id")
        assert ref.version_id in (err.details() or "")
        for read in (
            replica.GetFrame(ann.GetFrameRequest(frame=ref), timeout=DEADLINE),
            replica.ListFrameEvents(ann.ListFrameEventsRequest(frame=ref), timeout=DEADLINE),
            replica.GetFrameAt(ann.GetFrameAtRequest(frame=ref, version=1), timeout=DEADLINE),
        ):
            assert_status(await rpc_error(read), grpc.StatusCode.NOT_FOUND, "frame.version_id")
        export = replica.ExportFrames(ann.ExportFramesRequest(version_id=ref.version_id), timeout=DEADLINE)
        err = await rpc_error(_drain(export))
        assert_status(err, grpc.StatusCode.NOT_FOUND, "version_id")


async def _drain(stream: Any) -> list[Any]:
    return [page async for page in stream]


async def _race(sys_: Loaded, refs: list[t.FrameRef], delete: Callable[[], Awaitable[Any]]) -> None:
    """Eight writers on the two replicas (two per frame) race `delete`; from its answer nothing more is stored."""
    s = sys_.stubs
    stop, log = asyncio.Event(), list[tuple[float, bool]]()
    replicas = [s.annotation, sys_.replica]
    writers = [
        asyncio.create_task(writer(replicas[w % 2], refs[w % 4], f"w{w}", stop, log, NOT_FOUND, "frame.version_id"))
        for w in range(8)
    ]
    await asyncio.sleep(0.5)
    await delete()
    answered = time.monotonic()
    await _gone_on_both(sys_, refs[0])
    stored = await events_of(sys_.dsn, refs[0].version_id)
    await asyncio.sleep(1.0)  # the writers keep trying
    stop.set()
    await asyncio.gather(*writers)
    assert await events_of(sys_.dsn, refs[0].version_id) == stored, "an edit was stored after the delete answered"
    assert any(ok for _, ok in log), "the writers never stored anything before the delete"
    assert not [sent for sent, ok in log if ok and sent >= answered]


async def test_from_the_moment_delete_version_answers_no_annotation_replica_stores_an_edit_or_reads_it(
    sys_: Loaded, unique: str
) -> None:
    s = sys_.stubs
    v = await draft(s, unique, 4)
    refs = [(await known_frame(s, v.version_id, f"f00{i}")).frame for i in range(4)]
    request = ds.DeleteVersionRequest(version_id=v.version_id)
    await _race(sys_, refs, lambda: s.datasets.DeleteVersion(request, timeout=DEADLINE))
    await asyncio.sleep(LAG)  # VersionDeleted has arrived: applying it changes nothing
    await _gone_on_both(sys_, refs[0])


async def test_from_the_moment_delete_dataset_answers_no_annotation_replica_stores_an_edit_or_reads_it(
    sys_: Loaded, unique: str
) -> None:
    """The dataset's other version is published a moment before the delete: its VersionPublished (3 s late)
    arrives after the delete answered and must not bring it back."""
    s = sys_.stubs
    v = await draft(s, unique, 4)
    refs = [(await known_frame(s, v.version_id, f"f00{i}")).frame for i in range(4)]
    other = (await s.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=v.dataset_id, name="v2"))).version
    await s.datasets.ImportFrames(ds.ImportFramesRequest(version_id=other.version_id, frames=frames(2)))
    await s.datasets.PublishVersion(ds.PublishVersionRequest(version_id=other.version_id), timeout=DEADLINE)
    request = ds.DeleteDatasetRequest(dataset_id=v.dataset_id)
    await _race(sys_, refs, lambda: s.datasets.DeleteDataset(request, metadata=USER_MD, timeout=DEADLINE))
    other_ref = t.FrameRef(version_id=other.version_id, frame_id="f000")
    export = s.annotation.ExportFrames(ann.ExportFramesRequest(version_id=other.version_id), timeout=DEADLINE)
    assert_status(await rpc_error(_drain(export)), grpc.StatusCode.NOT_FOUND, "version_id")
    await asyncio.sleep(LAG)  # VersionCreated, VersionPublished and DatasetDeleted have arrived: nothing comes back
    await _gone_on_both(sys_, refs[0])
    err = await rpc_error(s.annotation.GetFrame(ann.GetFrameRequest(frame=other_ref), timeout=DEADLINE))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "frame.version_id")
    export = s.annotation.ExportFrames(ann.ExportFramesRequest(version_id=other.version_id), timeout=DEADLINE)
    assert_status(await rpc_error(_drain(export)), grpc.StatusCode.NOT_FOUND, "version_id")
