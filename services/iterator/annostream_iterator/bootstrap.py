"""Composition root of the iterator."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import asyncpg
from grpc import aio

from annostream_kernel.catch_up import (
    ANNOTATION_PRODUCER,
    DATASETS_PRODUCER,
    TASKS_PRODUCER,
    CatchUp,
    PeerPositions,
    SentPosition,
    StreamEnd,
)
from annostream_kernel.consumer import ConsumerSpec
from annostream_kernel.metrics import LEASES_EXPIRED, LEASES_HELD
from annostream_kernel.runtime import Resources, ServiceDefinition
from annostream_kernel.streams import ANNOTATION, DATASETS, ITERATOR, TASKS
from annostream_protos.iterator.v1 import (
    iterator_service_pb2,
    iterator_service_pb2_grpc,
    review_service_pb2,
    review_service_pb2_grpc,
)

from .adapters.postgres import ConsumerRepositories, uow_factory
from .adapters.progress import ProgressEmitter
from .config import IteratorSettings
from .entrypoints.grpc_api import IteratorServicer
from .entrypoints.review_api import ReviewServicer
from .service_layer.comments import CommentHandlers
from .service_layer.consumers import (
    ANNOTATION_EVENT_TYPES,
    Consumers,
)
from .service_layer.handlers import IteratorHandlers
from .service_layer.planning import ANNOTATION_CONSUMER, DATASETS_CONSUMER, TASKS_CONSUMER, PendingPlanner
from .service_layer.review import ReviewHandlers
from .service_layer.review_emitter import ReviewEmitter

SCHEMA = "iterator"
NAME = "iterator"


def _settings(res: Resources) -> IteratorSettings:
    s = res.settings
    return s if isinstance(s, IteratorSettings) else IteratorSettings()


def _register(server: aio.Server, res: Resources) -> None:
    settings = _settings(res)
    timeout = settings.peer_timeout_seconds
    positions = res.close_at_stop(PeerPositions(DATASETS_PRODUCER, settings.datasets_addr, NAME, timeout))
    catch_up = CatchUp(res.pool, DATASETS_CONSUMER, positions)  # a version datasets acknowledged is never unknown
    task_positions = res.close_at_stop(PeerPositions(TASKS_PRODUCER, settings.tasks_addr, NAME, timeout))
    tasks = CatchUp(res.pool, TASKS_CONSUMER, task_positions)  # nor a task the tasks service acknowledged
    handlers = IteratorHandlers(
        uow_factory(res.pool, res.notify_channel), timedelta(seconds=settings.lease_ttl_seconds)
    )
    # An export's annotation_stream_seq is bounded by the stream's own last sequence (read from JetStream, which
    # this service consumes anyway), not by asking the annotation service: same bound, no relay wait, no new peer.
    end = StreamEnd(res.js, ANNOTATION.name)
    edits = SentPosition(res.pool, ANNOTATION_CONSUMER, end, "annotation_stream_seq")
    servicer = IteratorServicer(handlers, catch_up, tasks, edits)
    iterator_service_pb2_grpc.add_IteratorServiceServicer_to_server(servicer, server)
    review = ReviewHandlers(handlers)
    # a ROI the annotation service acknowledged is never "no such ROI" to a comment (asked on a miss only)
    roi_positions = res.close_at_stop(PeerPositions(ANNOTATION_PRODUCER, settings.annotation_addr, NAME, timeout))
    rois = CatchUp(res.pool, ANNOTATION_CONSUMER, roi_positions)
    # and a frame imported into a task's version is never "not in the plan" (catch_up: the datasets stream's)
    reviews = ReviewServicer(review, CommentHandlers(review), tasks, rois, catch_up)
    review_service_pb2_grpc.add_ReviewServiceServicer_to_server(reviews, server)


def _consumers(res: Resources) -> list[ConsumerSpec]:
    settings = _settings(res)
    # TaskCreated waits for the datasets consumer to reach what the datasets service acknowledged (its imports)
    datasets = res.close_at_stop(
        PeerPositions(DATASETS_PRODUCER, settings.datasets_addr, NAME, settings.peer_timeout_seconds)
    )
    h = Consumers(ConsumerRepositories, datasets)
    return [
        ConsumerSpec(DATASETS_CONSUMER, DATASETS, h.on_datasets_event, batch_handler=h.on_datasets_events),
        ConsumerSpec(TASKS_CONSUMER, TASKS, h.on_tasks_event),
        ConsumerSpec(
            ANNOTATION_CONSUMER,
            ANNOTATION,
            h.on_annotation_event,
            event_types=ANNOTATION_EVENT_TYPES,
            batch_handler=h.on_annotation_events,
            bundled=True,  # one message per save (the relay's bundles); the position stays an event sequence
            one_write=True,  # a save of new objects on one frame: one statement, position included (batch_write.py)
        ),
    ]


def _workers(res: Resources) -> list[Callable[[], Coroutine[Any, Any, None]]]:
    emitter = ProgressEmitter(res.pool, res.notify_channel, _settings(res).progress_interval_seconds)
    uow = uow_factory(res.pool, res.notify_channel)
    reviews = ReviewEmitter(uow, _settings(res).review_interval_seconds)
    return [emitter.run, PendingPlanner(uow, ConsumerRepositories).run, reviews.run]


async def _lease_gauges(pool: asyncpg.Pool) -> None:
    """Leases held and leases past their expiry (not yet taken over), for the metrics."""
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE expires_at > now())::int AS held,"
        " count(*) FILTER (WHERE expires_at <= now())::int AS expired FROM leases WHERE state = 'leased'"
    )
    if row is not None:
        LEASES_HELD.set(row["held"])
        LEASES_EXPIRED.set(row["expired"])


def definition() -> ServiceDefinition:
    """The iterator as the kernel runtime runs it."""
    return ServiceDefinition(
        name=NAME,
        schema=SCHEMA,
        grpc_service_names=[
            iterator_service_pb2.DESCRIPTOR.services_by_name["IteratorService"].full_name,
            review_service_pb2.DESCRIPTOR.services_by_name["ReviewService"].full_name,
        ],
        register=_register,
        migrations_package="annostream_iterator.migrations",
        produces=ITERATOR,
        consumes=[DATASETS, TASKS, ANNOTATION],
        consumers=_consumers,
        workers=_workers,
        gauges=_lease_gauges,
    )
