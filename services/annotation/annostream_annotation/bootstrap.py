"""Composition root of the annotation service."""

from __future__ import annotations

from grpc import aio

from annostream_kernel.catch_up import DATASETS_PRODUCER, CatchUp, PeerPositions
from annostream_kernel.config import PeerSettings
from annostream_kernel.consumer import ConsumerSpec
from annostream_kernel.runtime import Resources, ServiceDefinition
from annostream_kernel.streams import ANNOTATION, DATASETS
from annostream_protos.annotation.v1 import annotation_service_pb2, annotation_service_pb2_grpc

from .adapters.iterator_client import FrameLister
from .adapters.postgres import FrameUnitOfWork
from .entrypoints.grpc_api import SAVE_FRAMES, AnnotationServicer
from .service_layer.access import VersionAccess
from .service_layer.consumers import datasets_batch_handler, datasets_handler
from .service_layer.handlers import FrameSaver

SCHEMA = "annotation"
NAME = "annotation"  # also the relay checkpoint's name (GetPublishedPosition reads it)
DATASETS_CONSUMER = "annotation-datasets"


def _register(server: aio.Server, res: Resources) -> None:
    settings = res.settings
    assert isinstance(settings, PeerSettings)
    positions = res.close_at_stop(
        PeerPositions(DATASETS_PRODUCER, settings.datasets_addr, NAME, settings.peer_timeout_seconds)
    )
    lister = res.close_at_stop(FrameLister(settings.iterator_addr))  # exports of a plan or a filter ask the iterator
    catch_up = CatchUp(res.pool, DATASETS_CONSUMER, positions)
    access = VersionAccess(res.pool)
    # the process's frame locks and cache live in its one FrameSaver
    saver = FrameSaver(lambda: FrameUnitOfWork(res.pool, res.notify_channel), res.notify_channel)
    servicer = AnnotationServicer(res.pool, res.notify_channel, res.js, NAME, access, catch_up, saver, lister)
    annotation_service_pb2_grpc.add_AnnotationServiceServicer_to_server(servicer, server)


def _consumers(res: Resources) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            DATASETS_CONSUMER,
            DATASETS,
            datasets_handler(res.notify_channel),
            batch_handler=datasets_batch_handler(res.notify_channel),
        )
    ]


def definition() -> ServiceDefinition:
    """The annotation service as the kernel runtime runs it."""
    return ServiceDefinition(
        name=NAME,
        schema=SCHEMA,
        grpc_service_names=[annotation_service_pb2.DESCRIPTOR.services_by_name["AnnotationService"].full_name],
        register=_register,
        migrations_package="annostream_annotation.migrations",
        produces=ANNOTATION,
        consumes=[DATASETS],
        consumers=_consumers,
        in_stream_refusals=[SAVE_FRAMES],
    )
