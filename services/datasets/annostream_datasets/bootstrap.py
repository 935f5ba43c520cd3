"""Composition root of the datasets service: real adapters by default."""

from __future__ import annotations

from grpc import aio

from annostream_kernel.config import PeerSettings
from annostream_kernel.consumer import ConsumerSpec
from annostream_kernel.positions import OwnStream
from annostream_kernel.runtime import Resources, ServiceDefinition
from annostream_kernel.streams import ANNOTATION, DATASETS, TASKS
from annostream_protos.datasets.v1 import datasets_service_pb2, datasets_service_pb2_grpc

from .adapters.annotation_client import GrpcEditSealer
from .adapters.iterator_client import GrpcLeaseSealer
from .adapters.postgres import ConsumerRepositories, DatasetsUnitOfWork
from .entrypoints.grpc_api import DatasetsServicer
from .service_layer.consumers import (
    ANNOTATION_EVENT_TYPES,
    Consumers,
)

SCHEMA = "datasets"
NAME = "datasets"  # also the relay checkpoint's name (GetPublishedPosition reads it)


def _register(server: aio.Server, res: Resources) -> None:
    settings = res.settings
    assert isinstance(settings, PeerSettings)
    sealer = res.close_at_stop(GrpcEditSealer(settings.annotation_addr, settings.peer_timeout_seconds))
    # within the publish's deadline, at most 30 s (not the peer timeout): the iterator may wait for its task events
    leases = res.close_at_stop(GrpcLeaseSealer(settings.iterator_addr))
    published = OwnStream(res.pool, res.js, DATASETS.name, NAME)
    servicer = DatasetsServicer(lambda: DatasetsUnitOfWork(res.pool, res.notify_channel), sealer, leases, published)
    datasets_service_pb2_grpc.add_DatasetsServiceServicer_to_server(servicer, server)


def _consumers(_res: Resources) -> list[ConsumerSpec]:
    handlers = Consumers(ConsumerRepositories)
    return [
        ConsumerSpec("datasets-task-refs", TASKS, handlers.on_tasks_event),
        ConsumerSpec(
            "datasets-stats",
            ANNOTATION,
            handlers.on_annotation_event,
            event_types=ANNOTATION_EVENT_TYPES,
            lazy_position=True,  # nobody waits for this position: a move's batch needs no transaction here
            batch_handler=handlers.on_annotation_events,
            bundled=True,  # one message per save (the relay's bundles), not one per event
            one_write=True,  # its one write stores the position: no BEGIN/COMMIT round trips (kernel batch_write.py)
        ),
    ]


def definition() -> ServiceDefinition:
    """The datasets service as the kernel runtime runs it."""
    return ServiceDefinition(
        name=NAME,
        schema=SCHEMA,
        grpc_service_names=[datasets_service_pb2.DESCRIPTOR.services_by_name["DatasetsService"].full_name],
        register=_register,
        migrations_package="annostream_datasets.migrations",
        produces=DATASETS,
        consumes=[TASKS, ANNOTATION],
        consumers=_consumers,
    )
