"""JetStream streams of annostream (one per producing service) and their provisioning."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError, ServiceUnavailableError

from .logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class StreamDef:
    """A JetStream stream: its name, the subject prefix it captures (`<prefix>.>`) and, for a stream whose relay also
    publishes one bundle per transaction for the service's own consumers (`bundles.py`), the stream of those."""

    name: str
    prefix: str
    duplicate_window_seconds: float = 120.0
    bundles: StreamDef | None = None

    @property
    def bundle_subject(self) -> str:
        """The one subject bundles of this (bundle) stream are published on."""
        return f"{self.prefix}.tx"

    @property
    def subjects(self) -> list[str]:
        """Subjects the stream captures."""
        return [f"{self.prefix}.>"]


DATASETS = StreamDef("ANNOSTREAM_DATASETS", "annostream.datasets.v1")
TASKS = StreamDef("ANNOSTREAM_TASKS", "annostream.tasks.v1")
# Internal: a save's events as one message for the datasets, iterator and webhooks consumers (not for subscribers).
ANNOTATION_BUNDLES = StreamDef("ANNOSTREAM_ANNOTATION_BUNDLES", "annostream.internal.annotation.bundles")
ANNOTATION = StreamDef("ANNOSTREAM_ANNOTATION", "annostream.annotation.v1", bundles=ANNOTATION_BUNDLES)
ITERATOR = StreamDef("ANNOSTREAM_ITERATOR", "annostream.iterator.v1")


# A service starting while JetStream elects a leader (a NATS node just died or restarted) finds its API silent or
# "temporarily unavailable" for a few seconds: it asks again rather than exiting (no supervisor may restart it).
JETSTREAM_WAIT_SECONDS = 60.0
UNANSWERED = (nats.errors.TimeoutError, nats.errors.NoRespondersError, ServiceUnavailableError)


async def ensure_stream(
    js: JetStreamContext, stream: StreamDef, *, replicas: int = 1, wait: float = JETSTREAM_WAIT_SECONDS
) -> None:
    """Create the stream if missing (idempotent; safe when several processes race); while JetStream does not
    answer, ask again for up to `wait` seconds, then raise its error."""
    deadline, pause = time.monotonic() + wait, 0.2
    while True:
        try:
            await _ensure_stream(js, stream, replicas)
            return
        except UNANSWERED as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("jetstream_unanswered_retrying", stream=stream.name, error=repr(exc), retry_in_s=pause)
            await asyncio.sleep(pause)
            pause = min(2 * pause, 2.0)


async def _ensure_stream(js: JetStreamContext, stream: StreamDef, replicas: int) -> None:
    config = StreamConfig(
        name=stream.name,
        subjects=stream.subjects,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        duplicate_window=stream.duplicate_window_seconds,
        num_replicas=replicas,
    )
    try:
        await js.stream_info(stream.name)
        return
    except NotFoundError:
        pass
    try:
        await js.add_stream(config)
        log.info("stream_created", stream=stream.name, subjects=stream.subjects)
    except BadRequestError as exc:  # another process created it first
        if exc.err_code != 10058:  # "stream name already in use"
            raise
