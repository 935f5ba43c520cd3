"""Stubs of the running services and a helper to create data through the datasets service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from grpc import aio

from annostream_cli.stack import LocalStack
from annostream_kernel.limits import GRPC_MESSAGE_OPTIONS
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from ..conftest import service_addr
from .grpc_helpers import USER_MD


@dataclass
class Stubs:
    datasets: datasets_service_pb2_grpc.DatasetsServiceStub
    tasks: tasks_service_pb2_grpc.TasksServiceStub
    iterator: iterator_service_pb2_grpc.IteratorServiceStub
    annotation: annotation_service_pb2_grpc.AnnotationServiceStub


@pytest.fixture
async def stubs(system: LocalStack) -> AsyncIterator[Stubs]:
    chans = {
        c: aio.insecure_channel(service_addr(system, c), options=GRPC_MESSAGE_OPTIONS)
        for c in ("datasets", "tasks", "iterator", "annotation")
    }
    try:
        yield Stubs(
            datasets_service_pb2_grpc.DatasetsServiceStub(chans["datasets"]),
            tasks_service_pb2_grpc.TasksServiceStub(chans["tasks"]),
            iterator_service_pb2_grpc.IteratorServiceStub(chans["iterator"]),
            annotation_service_pb2_grpc.AnnotationServiceStub(chans["annotation"]),
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


async def make_version(stubs: Stubs, unique: str, n: int, *, publish: bool) -> ds.Version:
    """A dataset with one version holding n frames, published or left Draft."""
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"ds-{unique}"), metadata=USER_MD)).dataset
    v = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1"))).version
    if n:
        await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames(n)))
    if publish:
        v = (await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))).version
    return v
