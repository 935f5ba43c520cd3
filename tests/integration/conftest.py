"""Stubs of the running services and a helper to create data through the datasets service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc, review_service_pb2_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from ..conftest import service_addr
from .grpc_helpers import USER_MD


def as_user(user: str, team: str = "default", role: str = "admin") -> tuple[tuple[str, str], ...]:
    """Metadata of a caller: `user`, a member of `team` with `role`."""
    return (("x-annostream-user", user), ("x-annostream-team", team), ("x-annostream-role", role))


class AnnotatorCalls:
    """The iterator's stub whose lease and navigation calls act as the request's `annotator` (as the gateway
    does for the signed-in user), unless the call passes metadata of its own."""

    def __init__(self, stub: iterator_service_pb2_grpc.IteratorServiceStub) -> None:
        self._stub = stub

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def invoke(request: Any, **kw: Any) -> Any:
            if "metadata" not in kw and getattr(request, "annotator", ""):
                kw["metadata"] = as_user(request.annotator)
            return method(request, **kw)

        return invoke


@dataclass
class Stubs:
    datasets: datasets_service_pb2_grpc.DatasetsServiceStub
    tasks: tasks_service_pb2_grpc.TasksServiceStub
    iterator: Any  # AnnotatorCalls over IteratorServiceStub
    annotation: annotation_service_pb2_grpc.AnnotationServiceStub


@pytest.fixture
async def stubs(system: LocalStack) -> AsyncIterator[Stubs]:
    async with stubs_on({c: service_addr(system, c) for c in ("datasets", "tasks", "iterator", "annotation")}) as s:
        yield s


@contextlib.asynccontextmanager
async def stubs_on(addrs: dict[str, str]) -> AsyncIterator[Stubs]:
    """Stubs of the four services at `addrs` (component → host:port), channels closed afterwards."""
    chans = {c: channel(addr) for c, addr in addrs.items()}
    try:
        yield Stubs(
            IdentityStub(datasets_service_pb2_grpc.DatasetsServiceStub(chans["datasets"])),
            IdentityStub(tasks_service_pb2_grpc.TasksServiceStub(chans["tasks"])),
            AnnotatorCalls(IdentityStub(iterator_service_pb2_grpc.IteratorServiceStub(chans["iterator"]))),
            IdentityStub(annotation_service_pb2_grpc.AnnotationServiceStub(chans["annotation"])),
        )
    finally:
        for ch in chans.values():
            await ch.close()


def frames(n: int, context: str = "ctx") -> list[t.Frame]:
    """n frames of one context, 640x480, timestamps 0, 10, 20, ..."""
    return [
        t.Frame(
            frame_id=f"f{i:03d}",
            context_id=context,
            timestamp=i * 10,
            sources=[t.Source(id="cam", uri=f"file:///{i}.jpg", width=640, height=480)],
        )
        for i in range(n)
    ]


async def make_version(
    stubs: Stubs, unique: str, n: int, *, publish: bool, md: tuple[tuple[str, str], ...] = USER_MD
) -> ds.Version:
    """A dataset with one version holding n frames, published or left Draft (made by the caller of `md`, in its
    team: team "default" unless `md` names another)."""
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"ds-{unique}"), metadata=md)).dataset
    req = ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1")
    v = (await stubs.datasets.CreateVersion(req, metadata=md)).version
    if n:
        await stubs.datasets.ImportFrames(
            ds.ImportFramesRequest(version_id=v.version_id, frames=frames(n)), metadata=md
        )
    if publish:
        v = (
            await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id), metadata=md)
        ).version
    return v


@pytest.fixture
async def review(system: LocalStack) -> AsyncIterator[review_service_pb2_grpc.ReviewServiceStub]:
    """The iterator's ReviewService."""
    ch = channel(service_addr(system, "iterator"))
    try:
        yield IdentityStub(review_service_pb2_grpc.ReviewServiceStub(ch))  # type: ignore[no-untyped-call]
    finally:
        await ch.close()
