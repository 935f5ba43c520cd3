"""Consumer loop: applies JetStream events to a read model and stores the position in one transaction.

Exactly-once effect on at-least-once delivery
---------------------------------------------
For every durable consumer the service keeps `consumer_positions(consumer, stream_seq)`. A batch of
messages is applied in ONE database transaction that skips messages whose stream sequence is <= the
stored one (already applied: a redelivery after a commit whose ack was lost), applies the rest in order
and stores the last sequence; only after COMMIT is the batch acked (AckPolicy.ALL: one ack for the last
message covers the batch). If anything fails the transaction rolls back and the batch is tried again;
nothing was half-applied. The stored position is read under its row lock (`FOR UPDATE`) by a leader's
first batch and after any failure; after a commit the leader keeps it, and the next batch stores its own
only if the row still holds that one (compare-and-set in the same transaction; otherwise it rolls back
and reads the row again): one statement per batch instead of two.

A failed batch is retried in place (see `apply_in_order`): the loop never fetches past an event that is
not applied. A handler that raises `Unavailable` is waiting for something that has not happened yet (e.g.
another stream's event): it is retried and never dead-lettered; the handler bounds the wait itself.

Order matters for the skip rule: a later event applied (and acked) before an earlier one loses the earlier
one. So one process leads a durable (a session advisory lock; other replicas stand by), whose
`max_ack_pending` is the batch size; at take-over the leader sets the durable to start right after the
position stored with the read model, unless nothing is pending and it ends there (`durable.py`): a dead
leader's fetched, unapplied messages are delivered again at once instead of being acked by the next
leader's first cumulative ack. While leading, every delivery must be the durable's next one (consumer
sequence): one this leader never received (lost on a reconnect) stops it before it applies anything later,
and it takes over again.

A `one_write` spec's batches run outside a transaction when the leader knows its position: a handler that writes once
stores the position in that statement (no BEGIN, position and COMMIT round trips; `batch_write.py`).

A spec's `idle_when` condition lets a batch that would change nothing but the position store it in one statement
(`idle_batches.py`).

A `bundled` consumer fetches the relay's bundles (one message per transaction) and applies their events as above, by
event-stream sequence; events no bundle brought are read from the event stream by sequence (`bundles.py`).
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from nats.aio.msg import Msg
from nats.errors import MsgAlreadyAckdError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from .authz import bind_principal, service_principal
from .batch_write import STORE_POSITION, BatchWrite, PositionMoved, moved
from .bundles import EventReader, Item, contiguous, decode, first_bundle_after
from .consumer_spec import BatchHandler, ConsumerSpec, Handler, SubjectHandler, hand_over
from .dead_letter import dead_letter
from .durable import bind_durable
from .errors import Unavailable
from .idle_batches import IdleBatches
from .leadership import give_up_lead, lead_forever, take_lead
from .logs import get_logger
from .metrics import CONSUMER_APPLIED, CONSUMER_BATCHES
from .positions import applied_position, locked_position
from .pull import BatchPuller, delivery_seq
from .tracing import CONSUMER, batch_span

log = get_logger(__name__)
__all__ = ["BatchHandler", "ConsumerSpec", "DeliveryGap", "EventConsumer", "Handler", "PositionMoved", "SubjectHandler"]

WAIT_DELAY_SECONDS = 0.25
RETRY_DELAY_SECONDS = 1.0
FILL_LIMIT = 1000  # events read from the event stream per transaction (an upgrade's backlog: several transactions)


class DeliveryGap(Exception):
    """The durable delivered a message this leader did not receive: it stops before applying anything later."""


class EventConsumer:
    """Runs one ConsumerSpec until cancelled."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        spec: ConsumerSpec,
        *,
        schema: str,
        batch: int = 100,
        ack_wait: float = 30.0,
        max_attempts: int = 5,
        linger: float = 0.0,
        delay: float = 0.0,
    ) -> None:
        """`delay` (tests only) holds every fetched batch that long before applying it: a lagging consumer."""
        self._pool, self._js, self._spec, self._schema, self._batch = pool, js, spec, schema, batch
        self._ack_wait, self._max_attempts, self._linger, self._delay = ack_wait, max_attempts, linger, delay
        self._batches = CONSUMER_BATCHES.labels(spec.durable)
        self._delivered = 0  # the durable's last delivery (consumer sequence) this leader received
        self._position: int | None = None  # the stored position as this leader's last commit left it (None: read it)
        self._lazy_past = 0  # bundled and lazy: the last event sequence this leader acked with nothing to apply
        self._events = EventReader(js, spec.stream.name) if spec.bundled else None
        self._idle = IdleBatches(pool, spec)
        self.dead_lettered = 0
        self.applied = 0

    @property
    def spec(self) -> ConsumerSpec:
        """What this consumer consumes and how it applies it."""
        return self._spec

    async def run(self) -> None:
        """Hold leadership for this durable, then fetch and apply batches forever."""
        bind_principal(service_principal(self._spec.durable))  # consumers act as the service itself

        def on_error(exc: Exception) -> None:
            log.warning("consumer_error", consumer=self._spec.durable, error=repr(exc))

        await lead_forever(self._lead, on_error, 1.0)

    async def _lead(self) -> None:
        spec = self._spec
        lock_conn = await self._pool.acquire()
        sub: JetStreamContext.PullSubscription | None = None
        puller = BatchPuller(self._js, spec.durable_stream.name, spec.durable)
        try:
            await take_lead(lock_conn, f"consumer:{self._schema}:{spec.durable}", 1.0)
            self._position = None  # a new lead reads the stored position (under its row lock) before its first batch
            self._lazy_past = 0
            sub = await self._subscribe()
            await puller.start()
            log.info("consumer_leading", consumer=spec.durable, stream=spec.durable_stream.name)
            while True:
                msgs = await puller.fetch(self._batch, timeout=1.0)
                if not msgs:
                    if self._events is not None:
                        await self._fill(await self._events.last_seq())
                    continue
                self._check_deliveries(msgs)
                if self._delay:
                    await asyncio.sleep(self._delay)
                await self.apply_in_order(msgs)
                if len(msgs) < self._batch and self._linger:
                    # A busy stream is applied in bigger batches (one transaction and ack for many events)
                    # at the cost of `linger` more latency for the read model.
                    await asyncio.sleep(self._linger)
        finally:
            await puller.stop()
            if sub is not None:
                # A fetch cancelled mid-flight leaves its late reply in the subscription's queue, where nobody takes
                # it: NATS drain would wait for it until its timeout. The durable consumer itself stays.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await sub.unsubscribe()
            await give_up_lead(self._pool, lock_conn)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        """Bind the durable at take-over: set to deliver the first event after the stored position (durable.py)."""
        spec = self._spec
        stream = spec.durable_stream
        filters = list(spec.filter_subjects) or stream.subjects
        config = ConsumerConfig(
            durable_name=spec.durable,
            # Batches are applied in order, so acknowledging the last message acknowledges the batch.
            ack_policy=AckPolicy.ALL,
            ack_wait=self._ack_wait,
            max_ack_pending=self._batch,
            filter_subjects=filters if len(filters) > 1 else None,
            filter_subject=filters[0] if len(filters) == 1 else None,
        )
        async with self._pool.acquire() as conn:
            position = await applied_position(conn, spec.durable)
        if spec.bundled:  # the durable's position in the bundle stream: before the first bundle it has not applied
            with contextlib.suppress(NotFoundError):  # its durable of the event stream, from before bundles
                await self._js.delete_consumer(spec.stream.name, spec.durable)
            position = await first_bundle_after(self._js, stream.name, position) - 1
        ahead = spec.lazy_position and not spec.bundled  # bundled: start at the position (not read events one by one)
        info = await bind_durable(self._js, stream.name, config, position, acks_ahead=ahead)
        self._delivered = info.delivered.consumer_seq if info.delivered else 0
        return await self._js.pull_subscribe_bind(durable=spec.durable, stream=stream.name)

    def _check_deliveries(self, msgs: list[Msg]) -> None:
        """Raise DeliveryGap unless `msgs` are the durable's next deliveries: one this leader never received (lost
        on a reconnect, or taken by a process that should not lead) may be an unapplied event before them."""
        for msg in msgs:
            if (seq := delivery_seq(msg)) != self._delivered + 1:
                raise DeliveryGap(f"{self._spec.durable}: delivery {seq} after {self._delivered}; taking over again")
            self._delivered = seq

    async def apply_in_order(self, msgs: list[Msg]) -> int:
        """Apply a fetched batch, retrying it in place until it is applied; returns events applied.

        Nothing later is fetched meanwhile: acks are cumulative (AckPolicy.ALL) and the position only moves
        forward, so applying a later event first would silently skip the failed one. `Unavailable` (the
        handler waits for another stream's event) is retried every WAIT_DELAY_SECONDS without limit; any
        other failure up to `max_attempts` times, then the batch is applied message by message and a
        message that still fails is recorded in `dead_letters` and skipped: one poison event never blocks
        the stream.
        """
        failures = 0
        while True:
            try:
                return await self.apply_batch(msgs)
            except Unavailable as exc:
                log.info("consumer_waiting", consumer=self._spec.durable, reason=exc.message)
                await asyncio.sleep(WAIT_DELAY_SECONDS)
            except PositionMoved as exc:
                log.warning("consumer_position_moved", consumer=self._spec.durable, error=str(exc))
            except Exception as exc:
                failures += 1
                if failures >= self._max_attempts:
                    return await self._one_by_one(msgs)
                log.warning("consumer_batch_failed", consumer=self._spec.durable, attempt=failures, error=repr(exc))
                await asyncio.sleep(RETRY_DELAY_SECONDS)

    def _items(self, msgs: list[Msg]) -> list[Item]:
        if self._spec.bundled:
            return [item for m in msgs for item in decode(m.data)]
        return [Item.of_msg(m) for m in msgs]

    async def _known_position(self) -> int:
        if self._position is not None:
            return self._position
        async with self._pool.acquire() as conn:
            return await applied_position(conn, self._spec.durable)

    async def _after(self) -> int:
        """The last event sequence this leader has handled: the stored position, or past it what it acked lazily."""
        return max(await self._known_position(), self._lazy_past)

    async def _fill(self, upto: int) -> None:
        """Apply the event stream's events up to `upto` that no bundle brought, FILL_LIMIT per transaction."""
        while (after := await self._after()) < upto:
            if self._delay:
                await asyncio.sleep(self._delay)
            await self.commit_items([], upto=min(upto, after + FILL_LIMIT))

    async def apply_batch(self, msgs: list[Msg]) -> int:
        """Apply a fetched batch atomically with the position update, then ack; returns events applied (raises,
        with nothing applied or acked, when the batch fails)."""
        items = self._items(msgs)
        # A long run of events no bundle holds before the first bundle (an upgrade's backlog): read in first.
        if self._spec.bundled and items and items[0].seq - 1 - await self._after() > FILL_LIMIT:
            await self._fill(items[0].seq - 1)
        if self._spec.lazy_position and not self._wanted(items):
            after = self._position
            if not self._spec.bundled or (after is not None and contiguous(items, max(after, self._lazy_past))):
                await self._ack(msgs)  # nothing to apply: the next applied batch stores a position past these
                if items:
                    self._lazy_past = max(self._lazy_past, items[-1].seq)
                return 0
        with batch_span(
            f"apply {self._spec.durable}", (i.traceparent for i in items), CONSUMER, {"events": len(items)}
        ):
            applied = await self.commit_items(items)
        await self._ack(msgs)
        self.applied += applied
        CONSUMER_APPLIED.labels(self._spec.durable).inc(applied)
        return applied

    def _wanted(self, items: list[Item]) -> list[Item]:
        if (types := self._spec.event_types) is None:
            return items
        return [i for i in items if i.type is None or i.type in types]

    async def _ack(self, msgs: list[Msg]) -> None:
        with contextlib.suppress(MsgAlreadyAckdError):
            await msgs[-1].ack()  # AckPolicy.ALL: acknowledges the batch (durable.py keeps no other policy)

    async def _one_by_one(self, msgs: list[Msg]) -> int:
        applied = 0
        items = self._items(msgs)
        if self._events is not None:
            items = await self._events.complete(items, await self._after())
        for item in items:
            while True:
                try:
                    applied += await self.commit_items([item])
                    break
                except (Unavailable, PositionMoved):
                    await asyncio.sleep(WAIT_DELAY_SECONDS)
                except Exception as exc:
                    await self._dead_letter(item, exc)
                    break
        await self._ack(msgs)
        self.applied += applied
        CONSUMER_APPLIED.labels(self._spec.durable).inc(applied)
        return applied

    async def _dead_letter(self, item: Item, exc: Exception) -> None:
        self._position = None  # stored with GREATEST: read again by the next batch
        await dead_letter(self._pool, self._spec.durable, item, exc)
        self.dead_lettered += 1

    async def _fresh(self, items: list[Item], position: int, upto: int) -> tuple[list[Item], int]:
        """The events to apply after stored `position` (a bundled consumer's completed from the event stream, up to
        `upto`; only the wanted types) and the position the batch stores."""
        if self._events is not None:
            items = await self._events.complete(items, max(position, self._lazy_past), upto)
        fresh = [i for i in items if i.seq > position]
        return self._wanted(fresh), max(position, upto, *(i.seq for i in fresh))

    async def commit_batch(self, msgs: list[Msg]) -> int:
        """Apply a fetched batch and store the position in one transaction, without acking."""
        return await self.commit_items(self._items(msgs))

    async def commit_items(self, items: list[Item], upto: int = 0) -> int:
        """Apply events and store the position in one transaction, without acking; a bundled consumer also applies
        the event stream's events no bundle brought, before and between `items` and after them up to `upto`."""
        known, self._position = self._position, None  # unknown until this batch commits
        stored = None if known is None else await self._idle.store(items, known, max(known, self._lazy_past), upto)
        if stored is not None:
            self._position = stored
            self._batches.inc()
            return 0
        if known is not None and self._spec.one_write:
            return await self._commit_one_write(items, known, upto)
        async with self._pool.acquire() as conn, conn.transaction():
            position = known if known is not None else await locked_position(conn, self._spec.durable)
            fresh, last = await self._fresh(items, position, upto)
            if fresh:
                await hand_over(self._spec, conn, fresh)
            applied = len(fresh)
            status = await conn.execute(STORE_POSITION, self._spec.durable, last, position)
            if status != "UPDATE 1":
                raise PositionMoved(f"{self._spec.durable}: the stored position is no longer {position}")
        self._position = last
        self._batches.inc()
        return applied

    async def _commit_one_write(self, items: list[Item], known: int, upto: int) -> int:
        """`commit_items` for a one-write spec whose position this leader knows: the handler runs outside a
        transaction and stores the position with its one write, or begins a transaction (`batch_write.py`)."""
        async with self._pool.acquire() as conn:
            fresh, last = await self._fresh(items, known, upto)
            with BatchWrite(conn, self._spec.durable, known, last) as batch:
                try:
                    if fresh and self._spec.batch_handler is None and self._spec.subject_handler is None:
                        await batch.begin()  # a per-event handler writes as it goes: in a transaction
                    if fresh:
                        await hand_over(self._spec, conn, fresh, whole=True)
                    await batch.finish()
                except BaseException as exc:
                    await batch.abort()
                    if moved(exc):
                        raise PositionMoved(f"{self._spec.durable}: the stored position is no longer {known}") from exc
                    raise
        self._position = last
        self._batches.inc()
        return len(fresh)
