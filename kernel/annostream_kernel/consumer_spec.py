"""What a durable consumer is: its name, stream, filters and handlers (`EventConsumer` in consumer.py runs it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from annostream_protos.events.v1 import envelope_pb2

from .context import bind_request
from .db import Conn
from .delivered import Carried, Delivered
from .streams import StreamDef

Handler = Callable[[Conn, envelope_pb2.EventEnvelope], Awaitable[None]]
BatchHandler = Callable[[Conn, list[envelope_pb2.EventEnvelope]], Awaitable[None]]
SubjectHandler = Callable[[Conn, Delivered], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable consumer: its name, the stream and subject filters, and the handler per event.

    With `batch_handler`, the events of a fetched batch not yet applied go to it in one call (in stream
    order, same transaction as the position), so a read model can apply them with set-based SQL; the
    per-event `handler` then only serves the one-by-one path that isolates a poison event. The loop binds
    each event's correlation id and actor only for `handler`: a batch handler that writes events of its own
    binds them itself (`context.bind_request`).

    With `subject_handler`, every fresh batch (one event or many) goes to it instead, each event with the NATS
    subject it was published on (for consumers that route by subject), its envelope decoded only when the handler
    reads it (`Delivered`); `handler` is then never called.

    With `event_types`, only events of those types (their `Annostream-Event-Type` header; an event without it is
    kept) reach the handlers; the others are read past without being decoded (the position still moves over
    them). This is how a durable takes a few types of a stream whose subjects end with the type: JetStream's own
    multi-subject filters cost nats-server a walk of a message block's subjects per delivered message when the
    consumer lags (issue 18), a stream-wide durable reads the next message directly. With `lazy_position` too, a
    batch without any event of those types is only acked (no transaction): its position is stored with the next
    batch that has one, so only for a durable whose stored position nobody waits for.

    With `idle_when` (an SQL condition over the service's schema that may read `$4`, the fresh events' types as
    `text[]`), a batch for which it holds is one the handler would apply without any effect: its position is then
    stored by one statement, the compare-and-set `… AND (<idle_when>)`, without a transaction or the handler. The
    condition is evaluated in that statement's snapshot, so it sees what the handler's transaction would have seen
    at that moment (e.g. the webhooks registered until then). When it does not hold, the batch is applied as usual.

    With `one_write`, a batch (once the leader knows its stored position) is handed to the handlers outside a
    transaction, with `batch_write.current_batch()` set: a handler that writes in one statement stores the position
    in it (no BEGIN, position and COMMIT round trips), one that writes more begins a transaction first
    (`batch_write.py`). The batch (or subject) handler then gets every batch, even of one event; a spec with neither
    gets a transaction as usual.

    With `bundled`, the durable reads the stream's bundles (`bundles.py`: one message per committed transaction)
    instead of its events, and the events no bundle carries from the event stream by sequence; the stored position
    stays an event-stream sequence (a bundle is a whole transaction: one save is one batch).
    """

    durable: str
    stream: StreamDef
    handler: Handler
    filter_subjects: Sequence[str] = ()
    batch_handler: BatchHandler | None = None
    subject_handler: SubjectHandler | None = None
    event_types: frozenset[str] | None = None
    lazy_position: bool = False
    bundled: bool = False
    idle_when: str | None = None
    one_write: bool = False

    @property
    def durable_stream(self) -> StreamDef:
        """The stream the durable reads: the bundles of `stream` when `bundled`, else `stream`."""
        if self.bundled:
            assert self.stream.bundles is not None, f"{self.stream.name} has no bundles"
            return self.stream.bundles
        return self.stream


async def hand_over(spec: ConsumerSpec, conn: Conn, fresh: Sequence[Carried], *, whole: bool = False) -> None:
    """Hand `fresh` (events not applied yet, in order) to the spec's handlers; `whole`: to its batch handler even
    for one event."""
    if spec.subject_handler is not None:  # envelopes decoded as the handler reads them
        await spec.subject_handler(conn, Delivered.of_undecoded(fresh))
        return
    envelopes = [envelope_pb2.EventEnvelope.FromString(i.data) for i in fresh]
    if spec.batch_handler is not None and (len(envelopes) > 1 or whole):
        await spec.batch_handler(conn, envelopes)
        return
    for envelope in envelopes:
        bind_request(envelope.correlation_id, envelope.actor)
        await spec.handler(conn, envelope)
