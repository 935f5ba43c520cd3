"""Datasets service over real gRPC: versions, lineage rules, idempotent import, clear errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as api_grpc
from annostream_protos.events.v1 import datasets_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t

from ..conftest import service_addr
from .grpc_helpers import USER_MD, assert_status, rpc_error


@pytest.fixture
async def stub(system: LocalStack) -> AsyncIterator[api_grpc.DatasetsServiceStub]:
    async with channel(service_addr(system, "datasets")) as ch:
        yield IdentityStub(api_grpc.DatasetsServiceStub(ch))


def frame(i: int, **kw: object) -> t.Frame:
    return t.Frame(frame_id=f"f{i}", sources=[t.Source(id="cam", uri=f"file:///{i}.jpg", width=100, height=50)], **kw)


async def _dataset_with_version(stub: api_grpc.DatasetsServiceStub, unique: str) -> api.Version:
    ds = (await stub.CreateDataset(api.CreateDatasetRequest(name=f"ds-{unique}"), metadata=USER_MD)).dataset
    req = api.CreateVersionRequest(dataset_id=ds.dataset_id, name="v1")
    return (await stub.CreateVersion(req, metadata=USER_MD)).version


async def test_import_is_idempotent_by_frame_id(stub: api_grpc.DatasetsServiceStub, unique: str) -> None:
    v = await _dataset_with_version(stub, unique)
    first = await stub.ImportFrames(api.ImportFramesRequest(version_id=v.version_id, frames=[frame(1), frame(2)]))
    again = await stub.ImportFrames(api.ImportFramesRequest(version_id=v.version_id, frames=[frame(2), frame(3)]))
    assert (first.imported, first.skipped) == (2, 0)
    assert (again.imported, again.skipped) == (1, 1)
    got = await stub.GetVersion(api.GetVersionRequest(version_id=v.version_id))
    assert got.version.frame_count == 3


async def test_a_bad_frame_fails_the_whole_batch_naming_the_field(
    stub: api_grpc.DatasetsServiceStub, unique: str
) -> None:
    v = await _dataset_with_version(stub, unique)
    bad = t.Frame(frame_id="f9", sources=[t.Source(id="cam", uri="x", width=0, height=5)])
    err = await rpc_error(stub.ImportFrames(api.ImportFramesRequest(version_id=v.version_id, frames=[frame(1), bad])))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "frames[1].sources[0].width")
    got = await stub.GetVersion(api.GetVersionRequest(version_id=v.version_id))
    assert got.version.frame_count == 0  # nothing of the failed batch was written


async def test_child_versions_only_from_published_and_inherit_frames(
    stub: api_grpc.DatasetsServiceStub, unique: str
) -> None:
    v = await _dataset_with_version(stub, unique)
    await stub.ImportFrames(api.ImportFramesRequest(version_id=v.version_id, frames=[frame(1), frame(2)]))
    child_req = api.CreateVersionRequest(dataset_id=v.dataset_id, name="child", parent_version_id=v.version_id)
    err = await rpc_error(stub.CreateVersion(child_req))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "parent_version_id")

    published = (await stub.PublishVersion(api.PublishVersionRequest(version_id=v.version_id))).version
    assert published.status == ev.VERSION_STATUS_PUBLISHED
    child = (await stub.CreateVersion(child_req)).version
    assert child.status == ev.VERSION_STATUS_DRAFT
    assert child.parent_version_id == v.version_id
    assert child.frame_count == 2

    err = await rpc_error(stub.ImportFrames(api.ImportFramesRequest(version_id=v.version_id, frames=[frame(5)])))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "version_id")
    err = await rpc_error(stub.PublishVersion(api.PublishVersionRequest(version_id=v.version_id)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_names_are_unique_per_team_and_required(stub: api_grpc.DatasetsServiceStub, unique: str) -> None:
    await stub.CreateDataset(api.CreateDatasetRequest(name=f"dup-{unique}"), metadata=USER_MD)
    err = await rpc_error(stub.CreateDataset(api.CreateDatasetRequest(name=f"dup-{unique}"), metadata=USER_MD))
    assert_status(err, grpc.StatusCode.ALREADY_EXISTS, "name")
    other_team = (*USER_MD, ("x-annostream-team", f"team-{unique}"))
    await stub.CreateDataset(api.CreateDatasetRequest(name=f"dup-{unique}"), metadata=other_team)
    err = await rpc_error(stub.CreateDataset(api.CreateDatasetRequest(name="  ")))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "name")


async def test_unknown_ids_are_not_found_naming_the_field(stub: api_grpc.DatasetsServiceStub) -> None:
    err = await rpc_error(stub.CreateVersion(api.CreateVersionRequest(dataset_id="nope", name="v")))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "dataset_id")
    err = await rpc_error(stub.GetVersion(api.GetVersionRequest(version_id="nope")))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "version_id")
    err = await rpc_error(stub.ImportFrames(api.ImportFramesRequest(version_id="nope", frames=[frame(1)])))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "version_id")


async def test_batch_get_versions_answers_the_known_ids_once_each_in_the_order_asked(
    stub: api_grpc.DatasetsServiceStub, unique: str
) -> None:
    a = await _dataset_with_version(stub, unique)
    b = await _dataset_with_version(stub, f"{unique}-b")
    ids = [b.version_id, "ver_unknown", a.version_id, b.version_id]
    got = await stub.BatchGetVersions(api.BatchGetVersionsRequest(version_ids=ids))
    assert [(v.version_id, v.name, v.dataset_id) for v in got.versions] == [
        (b.version_id, "v1", b.dataset_id),
        (a.version_id, "v1", a.dataset_id),
    ]
    for bad in ([""], [a.version_id] * 1001):
        err = await rpc_error(stub.BatchGetVersions(api.BatchGetVersionsRequest(version_ids=bad)))
        assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "version_ids")
