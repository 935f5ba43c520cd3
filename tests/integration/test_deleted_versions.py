"""A deleted version is gone in the annotation service from the moment DeleteVersion / DeleteDataset answers: a save
is NOT_FOUND naming the version and stores nothing; its frame, events, time travel and export are NOT_FOUND. A
delete the annotation service cannot confirm deletes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from annostream_cli.embedded import free_port
from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from ..processes import component
from .annotation_helpers import events_of, known_frame, rect, save
from .conftest import Stubs, frames
from .grpc_helpers import USER_MD, assert_status, eventually, rpc_error


async def _draft(stubs: Stubs, unique: str) -> tuple[ds.Version, t.FrameRef]:
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"del-{unique}"), metadata=USER_MD)).dataset
    v = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1"))).version
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames(2)))
    ref = (await known_frame(stubs, v.version_id, "f000")).frame
    saved = await stubs.annotation.SaveFrame(save(ref, 0, rect("before")))
    assert saved.frame.version == 1
    return v, ref


async def _export(stubs: Stubs, version_id: str) -> list[ann.ExportFramesResponse]:
    return [page async for page in stubs.annotation.ExportFrames(ann.ExportFramesRequest(version_id=version_id))]


async def assert_gone(stubs: Stubs, dsn: str, version_id: str, ref: t.FrameRef) -> None:
    """A save is NOT_FOUND naming the version and stores nothing; every read of the version is NOT_FOUND."""
    stored = await events_of(dsn, version_id)
    err = await rpc_error(stubs.annotation.SaveFrame(save(ref, 1, rect("after"))))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "frame.version_id")
    assert version_id in (err.details() or "")
    frame = ann.GetFrameRequest(frame=ref)
    assert_status(await rpc_error(stubs.annotation.GetFrame(frame)), grpc.StatusCode.NOT_FOUND, "frame.version_id")
    history = stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=ref))
    assert_status(await rpc_error(history), grpc.StatusCode.NOT_FOUND, "frame.version_id")
    at = stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=ref, version=1))
    assert_status(await rpc_error(at), grpc.StatusCode.NOT_FOUND, "frame.version_id")
    assert_status(await rpc_error(_export(stubs, version_id)), grpc.StatusCode.NOT_FOUND, "version_id")
    undo = stubs.annotation.UndoSave(ann.UndoSaveRequest(frame=ref))
    assert_status(await rpc_error(undo), grpc.StatusCode.NOT_FOUND, "frame.version_id")
    assert await events_of(dsn, version_id) == stored, "an edit of a deleted version was stored"


async def test_from_the_moment_delete_version_answers_its_frames_are_not_found_and_no_save_is_stored(
    stubs: Stubs, system: LocalStack, unique: str
) -> None:
    v, ref = await _draft(stubs, unique)
    await stubs.datasets.DeleteVersion(ds.DeleteVersionRequest(version_id=v.version_id))
    await assert_gone(stubs, system.dsn, v.version_id, ref)


async def test_from_the_moment_delete_dataset_answers_its_versions_frames_are_not_found_and_no_save_is_stored(
    stubs: Stubs, system: LocalStack, unique: str
) -> None:
    v, ref = await _draft(stubs, unique)
    await stubs.datasets.DeleteDataset(ds.DeleteDatasetRequest(dataset_id=v.dataset_id), metadata=USER_MD)
    await assert_gone(stubs, system.dsn, v.version_id, ref)


@pytest.fixture
def cut_off(system: LocalStack, tmp_path: Path) -> Iterator[str]:
    """Address of a second datasets-service process on the system whose annotation service cannot be reached."""
    port = free_port()
    env = {**system.env, "ANNOSTREAM_GRPC_PORT": str(port), "ANNOSTREAM_PEER_TIMEOUT_SECONDS": "1"}
    env["ANNOSTREAM_ANNOTATION_ADDR"] = f"127.0.0.1:{free_port()}"  # nobody listens there
    with component("datasets", env, tmp_path / "datasets-2.log"):
        yield f"127.0.0.1:{port}"


async def test_a_delete_the_annotation_service_cannot_seal_deletes_nothing(
    stubs: Stubs, cut_off: str, unique: str
) -> None:
    v, ref = await _draft(stubs, unique)
    async with channel(cut_off) as ch:
        other = IdentityStub(datasets_service_pb2_grpc.DatasetsServiceStub(ch))
        await eventually(lambda: other.GetVersion(ds.GetVersionRequest(version_id=v.version_id)), "the process")
        err = await rpc_error(other.DeleteVersion(ds.DeleteVersionRequest(version_id=v.version_id), timeout=30))
        assert_status(err, grpc.StatusCode.UNAVAILABLE, "version_id")
        request = ds.DeleteDatasetRequest(dataset_id=v.dataset_id)
        err = await rpc_error(other.DeleteDataset(request, metadata=USER_MD, timeout=30))
        assert_status(err, grpc.StatusCode.UNAVAILABLE, "dataset_id")
    assert (await stubs.datasets.GetVersion(ds.GetVersionRequest(version_id=v.version_id))).version.version_id
    saved = await stubs.annotation.SaveFrame(save(ref, 1, rect("still a draft")))
    assert saved.frame.version == 2
