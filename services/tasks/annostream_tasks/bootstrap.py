"""Composition root of the tasks service."""

from __future__ import annotations

from grpc import aio

from annostream_kernel.config import PeerSettings
from annostream_kernel.positions import OwnStream
from annostream_kernel.runtime import Resources, ServiceDefinition
from annostream_kernel.streams import TASKS
from annostream_protos.tasks.v1 import tasks_service_pb2, tasks_service_pb2_grpc

from .adapters.annotation_client import GrpcEditPositions
from .adapters.datasets_client import GrpcVersionCatalog
from .adapters.iterator_client import GrpcFrameIterator
from .adapters.postgres import TasksUnitOfWork
from .entrypoints.grpc_api import TasksServicer

SCHEMA = "tasks"
NAME = "tasks"  # also the relay checkpoint's name (GetPublishedPosition reads it)


def definition() -> ServiceDefinition:
    """The tasks service as the kernel runtime runs it."""

    def register(server: aio.Server, res: Resources) -> None:
        settings = res.settings
        assert isinstance(settings, PeerSettings)
        catalog = res.close_at_stop(GrpcVersionCatalog(settings.datasets_addr, settings.peer_timeout_seconds))
        iterator = res.close_at_stop(GrpcFrameIterator(settings.iterator_addr, settings.peer_timeout_seconds))
        positions = res.close_at_stop(GrpcEditPositions(settings.annotation_addr, settings.peer_timeout_seconds))
        published = OwnStream(res.pool, res.js, TASKS.name, NAME)
        servicer = TasksServicer(
            lambda: TasksUnitOfWork(res.pool, res.notify_channel), catalog, iterator, positions, published
        )
        tasks_service_pb2_grpc.add_TasksServiceServicer_to_server(servicer, server)

    return ServiceDefinition(
        name=NAME,
        schema=SCHEMA,
        grpc_service_names=[tasks_service_pb2.DESCRIPTOR.services_by_name["TasksService"].full_name],
        register=register,
        migrations_package="annostream_tasks.migrations",
        produces=TASKS,
    )
