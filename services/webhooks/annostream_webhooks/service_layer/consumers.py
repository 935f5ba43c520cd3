"""The fan-out: consumers of every stream learn owners from the events and queue a delivery per event and webhook
that may receive it, in the same transaction as the consumer's position (so each is queued exactly once)."""

from __future__ import annotations

import time
from datetime import UTC

from annostream_kernel.consumer import SubjectHandler
from annostream_kernel.db import Conn
from annostream_kernel.delivered import Delivered
from annostream_kernel.errors import Unavailable
from annostream_kernel.events import decode_subject_token, unpack
from annostream_kernel.ids import new_id
from annostream_kernel.logs import get_logger
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2, tasks_pb2

from ..domain.matching import Readers, interested, recipients
from .ports import Deliveries, FanOutStoresFactory, Owners, Renderer

log = get_logger(__name__)
NOBODY = Readers("")
Event = tuple[str, envelope_pb2.EventEnvelope]


async def learn(owners: Owners, envelope: envelope_pb2.EventEnvelope) -> None:
    """Record what a datasets or tasks event says about owners (teams, sharing)."""
    if dc := unpack(envelope, datasets_pb2.DatasetCreated):
        await owners.dataset_created(dc.dataset_id, dc.team)
    elif vc := unpack(envelope, datasets_pb2.VersionCreated):
        await owners.version_created(vc.version_id, vc.dataset_id, vc.team)
    elif sc := unpack(envelope, datasets_pb2.DatasetSharingChanged):
        await owners.sharing_changed(sc.dataset_id, list(sc.teams))
    elif tc := unpack(envelope, tasks_pb2.TaskCreated):
        await owners.task_created(tc.task_id, tc.team)


async def readers_of(owners: Owners, subject: str) -> Readers | None:
    """Who may read the object an event is about (from its subject's ids), or None when its owner is not known yet
    (an annotation or iterator event whose version or task another consumer has not learned yet). An object of the
    stream that announces owners is known once its creation was applied: an unknown one is nobody's."""
    tokens = subject.split(".")
    stream = tokens[1] if len(tokens) > 3 else ""
    if stream == "annotation" and len(tokens) > 5:
        return await owners.version(decode_subject_token(tokens[4]))
    if stream == "datasets" and len(tokens) > 4:
        if tokens[4] == "-":
            return await owners.dataset(decode_subject_token(tokens[3])) or NOBODY
        return await owners.version(decode_subject_token(tokens[4])) or NOBODY
    if stream == "tasks":
        return await owners.task(decode_subject_token(tokens[3])) or NOBODY
    if stream == "iterator":
        return await owners.task(decode_subject_token(tokens[3]))
    return NOBODY


class FanOut:
    """The consumers' handler (one instance per stream consumer), over the stores bootstrap builds from the
    consumer's connection."""

    def __init__(
        self, stores: FanOutStoresFactory, render: Renderer, dispatch_channel: str, owner_wait_seconds: float = 30.0
    ) -> None:
        self._stores, self._render = stores, render
        self._channel, self._owner_wait = dispatch_channel, owner_wait_seconds
        self._waiting: dict[str, float] = {}  # event id → when its owner was first missing

    def handler(self) -> SubjectHandler:
        """This fan-out as a kernel subject handler."""
        return self.apply

    async def apply(self, conn: Conn, batch: Delivered) -> None:
        """Learn owners from the batch, then queue its deliveries (with their queues locked and promoted). Without
        any webhook, only the owner-announcing streams' envelopes are decoded."""
        stores = self._stores(conn)
        owners = stores.owners
        subscriptions = await stores.webhooks.subscriptions()
        wanted: list[tuple[Event, list[str]]] = []
        for i, subject in enumerate(batch.subjects):
            if subject.startswith(("annostream.datasets.", "annostream.tasks.")):
                await learn(owners, batch.envelope(i))
            if not subscriptions:
                continue
            envelope = batch.envelope(i)
            occurred_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
            candidates = interested(subscriptions, envelope.type, subject, occurred_at)
            if not candidates:
                continue
            readers = await self._readers(owners, subject, envelope)
            ids = recipients(candidates, readers)
            if ids:
                wanted.append(((subject, envelope), ids))
        if self._waiting:
            for i in range(len(batch)):
                self._waiting.pop(batch.envelope(i).event_id, None)
        if wanted:
            await self._queue(stores.deliveries, wanted)

    async def _readers(self, owners: Owners, subject: str, envelope: envelope_pb2.EventEnvelope) -> Readers:
        readers = await readers_of(owners, subject)
        if readers is not None:
            return readers
        first = self._waiting.setdefault(envelope.event_id, time.monotonic())
        if time.monotonic() - first < self._owner_wait:
            # Another stream's consumer has not applied the version or task yet: the kernel retries the batch.
            raise Unavailable(f"the owner of {subject} is not known yet", field="subject")
        log.warning("webhook_owner_unknown", subject=subject, event_id=envelope.event_id, waited=self._owner_wait)
        return NOBODY

    async def _queue(self, repo: Deliveries, wanted: list[tuple[Event, list[str]]]) -> None:
        payloads = []
        deliveries: list[tuple[str, str, str, str]] = []
        for (subject, e), ids in wanted:
            payloads.append((e.event_id, e.type, subject, e.stream_id, e.stream_version, self._render(subject, e)))
            deliveries.extend((new_id("dlv_"), w, e.event_id, e.stream_id) for w in ids)
        queues = sorted({(d[1], d[3]) for d in deliveries})
        await repo.lock_queues(queues)
        await repo.queue(payloads, deliveries)
        await repo.promote(queues)
        await repo.wake_dispatchers(self._channel)
