"""Event envelope, subject naming and appending events to a service's events table (outbox)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from google.protobuf import any_pb2
from google.protobuf.message import Message

from annostream_protos.events.v1 import envelope_pb2

from .context import current_actor, current_correlation_id
from .db import Conn
from .errors import Conflict, InvalidArgument
from .ids import uuid7
from .limits import MAX_EVENT_BYTES
from .protobuf import timestamp
from .tracing import current_traceparent

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
TYPE_URL_PREFIX = "type.googleapis.com/"


def subject_token(value: str) -> str:
    """Encode an id as one NATS subject token: bytes outside [A-Za-z0-9_-] become %XX (like URLs)."""
    if value and _SAFE_TOKEN.fullmatch(value):  # not match: its "$" also matches before a final newline
        return value
    if not value:
        return "%"  # a lone % is never produced by the %XX escapes, so it cannot collide
    return "".join(
        chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_-") else f"%{b:02X}" for b in value.encode()
    )


def decode_subject_token(token: str) -> str:
    """Invert `subject_token`."""
    if token == "%":
        return ""
    out = bytearray()
    i = 0
    while i < len(token):
        if token[i] == "%":
            out.append(int(token[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(ord(token[i]))
            i += 1
    return out.decode()


def subject(*parts: str) -> str:
    """Join a fixed prefix and encoded id tokens, e.g. subject("annostream.datasets.v1", ds, "Created")."""
    prefix, *tokens = parts
    return ".".join([prefix, *(subject_token(t) for t in tokens)])


@dataclass(frozen=True)
class NewEvent:
    """An event to append: payload message, its stream, and the subject it is published on."""

    payload: Message
    stream_id: str
    subject: str
    schema_version: int = 1
    task_id: str = ""
    event_id: uuid.UUID = field(default_factory=uuid7)

    @property
    def type_name(self) -> str:
        """Full protobuf name of the payload, e.g. annostream.events.v1.RoiCreated."""
        return str(self.payload.DESCRIPTOR.full_name)


@dataclass(frozen=True)
class StoredEvent:
    """An event as read back from an events table."""

    position: int
    event_id: uuid.UUID
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    payload: bytes
    subject: str
    actor: str
    task_id: str
    correlation_id: str
    occurred_at: datetime
    traceparent: str = ""  # W3C trace context of the request that appended it ("" when tracing was off)

    def envelope(self, producer: str) -> envelope_pb2.EventEnvelope:
        """Build the wire envelope (payload as google.protobuf.Any)."""
        return envelope_pb2.EventEnvelope(
            event_id=str(self.event_id),
            type=self.type.rsplit(".", 1)[-1],
            schema_version=self.schema_version,
            stream_id=self.stream_id,
            stream_version=self.stream_version,
            occurred_at=timestamp(self.occurred_at),
            actor=self.actor,
            correlation_id=self.correlation_id,
            task_id=self.task_id,
            producer=producer,
            payload=any_pb2.Any(type_url=TYPE_URL_PREFIX + self.type, value=self.payload),
        )


EVENT_COLUMNS = (
    "position, event_id, stream_id, stream_version, type, schema_version, payload, subject, actor,"
    " task_id, correlation_id, occurred_at, traceparent"
)


_EVENT_FIELDS = tuple(EVENT_COLUMNS.replace(" ", "").split(","))


def row_to_event(row: asyncpg.Record) -> StoredEvent:
    """Map an events-table row (EVENT_COLUMNS) to a StoredEvent."""
    return StoredEvent(**{k: row[k] for k in _EVENT_FIELDS})


async def stream_version(conn: Conn, stream_id: str) -> int:
    """Current version of a stream (0 when it has no events)."""
    v = await conn.fetchval("SELECT max(stream_version) FROM events WHERE stream_id = $1", stream_id)
    return int(v or 0)


INSERT_COLUMNS = (
    "event_id, stream_id, stream_version, type, schema_version, payload, subject, actor, task_id, correlation_id"
)
INSERT_ARRAY_TYPES = (
    "uuid[]",
    "text[]",
    "bigint[]",
    "text[]",
    "int[]",
    "bytea[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
)


def insert_events_sql(first_param: int, where: str = "", traceparent_param: int | None = None) -> str:
    """One INSERT of a batch of events from parallel arrays ($first_param .. +9) and one traceparent for all
    (`traceparent_param`, default $first_param + 10: pass `current_traceparent()`), optionally guarded by
    `where` (e.g. "WHERE EXISTS (SELECT 1 FROM u)" inside a data-modifying CTE)."""
    args = ", ".join(f"${first_param + i}::{t}" for i, t in enumerate(INSERT_ARRAY_TYPES))
    tp = traceparent_param or first_param + len(INSERT_ARRAY_TYPES)
    return (
        f"INSERT INTO events ({INSERT_COLUMNS}, traceparent) SELECT *, ${tp}::text FROM unnest({args}) {where}".rstrip()
    )


def event_arrays(
    events: Sequence[NewEvent], first_version: int = 1, versions: Sequence[int] | None = None
) -> list[list[Any]]:
    """The ten parallel arrays `insert_events_sql` takes; stream versions are `versions` (events of several
    streams) or first_version, first_version + 1, ... (events of one stream). Built a column at a time (a row
    tuple spread over ten lists cost twice as much for a 51-event save)."""
    actor, cid = current_actor(), current_correlation_id()
    payloads = [e.payload.SerializeToString() for e in events]
    for e, payload in zip(events, payloads, strict=True):
        if len(payload) > MAX_EVENT_BYTES:  # JetStream could never take it: the relay would stall on it
            raise InvalidArgument(
                f"the change makes a {e.payload.DESCRIPTOR.name} event of {len(payload)} bytes, over the limit"
                f" of {MAX_EVENT_BYTES}"
            )
    n = len(events)
    return [
        [e.event_id for e in events],
        [e.stream_id for e in events],
        [versions[i] for i in range(n)] if versions is not None else list(range(first_version, first_version + n)),
        [e.type_name for e in events],
        [e.schema_version for e in events],
        payloads,
        [e.subject for e in events],
        [actor] * n,
        [e.task_id for e in events],
        [cid] * n,
    ]


async def append_events(
    conn: Conn,
    events: Sequence[NewEvent],
    *,
    expected_version: int | None = None,
    notify_channel: str | None = None,
) -> list[int]:
    """Append events in the caller's transaction; returns their stream versions.

    All events of one call must share a stream. With `expected_version`, the append fails with
    Conflict when the stream has moved on; without it, the events go after the current tail.
    UNIQUE(stream_id, stream_version) turns a lost race into a Conflict either way.
    """
    if not events:
        return []
    stream_id = events[0].stream_id
    if any(e.stream_id != stream_id for e in events):
        raise ValueError("append_events: all events of one append must share a stream")
    current = await stream_version(conn, stream_id)
    if expected_version is not None and current != expected_version:
        raise Conflict(
            f"stream {stream_id} is at version {current}, expected {expected_version}",
            field="expected_version",
            details={"stream_id": stream_id, "current_version": current},
        )
    try:
        await conn.execute(insert_events_sql(1), *event_arrays(events, current + 1), current_traceparent())
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"concurrent append to stream {stream_id}", field="expected_version") from exc
    if notify_channel:
        await conn.execute("SELECT pg_notify($1, '')", notify_channel)
    return list(range(current + 1, current + 1 + len(events)))


M = TypeVar("M", bound=Message)


def unpack(envelope: envelope_pb2.EventEnvelope, cls: type[M]) -> M | None:
    """The envelope's payload as `cls`, or None when the event is of another type."""
    if envelope.payload.type_url != TYPE_URL_PREFIX + cls.DESCRIPTOR.full_name:
        return None
    return cls.FromString(envelope.payload.value)


def runs_of(
    envelopes: Sequence[envelope_pb2.EventEnvelope], cls: type[M]
) -> Iterator[tuple[list[tuple[envelope_pb2.EventEnvelope, M]], envelope_pb2.EventEnvelope | None]]:
    """Split a batch, in order, into (run of consecutive `cls` events, the other event that ends it): a batch
    handler applies each run set-based and the events between runs one by one (the last pair has None)."""
    run: list[tuple[envelope_pb2.EventEnvelope, M]] = []
    for envelope in envelopes:
        if (payload := unpack(envelope, cls)) is not None:
            run.append((envelope, payload))
        else:
            yield run, envelope
            run = []
    yield run, None
