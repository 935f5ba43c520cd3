"""Bundles: one committed transaction's events of a stream as one internal message, for the service's own consumers.

The relay publishes every event as its own message (the documented subjects) and, once JetStream has stored them and
it knows their stream sequences, one bundle per transaction on the stream's internal bundle stream: the same envelopes,
each with its type, subject, trace context and the sequence of its own message. A consumer reading bundles receives a
50-object save as one message instead of 51, and keeps its position in the event stream's sequence space (the last
event sequence it applied), so everything that waits for a position reads it as before. Events no bundle carries
(published before bundles existed, or while the bundle of their transaction is not published yet) are read from the
event stream itself by sequence (`EventConsumer`): before a bundle whose first event does not follow the position,
and, when a fetch finds no bundle, up to the event stream's last sequence (so a position someone waits for is reached
even when no bundle follows). At take-over the durable starts at the first bundle holding an event after the
position (`first_bundle_after`)."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NotFoundError

from .acks import ACK_TIMEOUT_SECONDS, publish_acked
from .events import StoredEvent
from .pull import EVENT_TYPE, stream_seq
from .streams import StreamDef
from .tracing import TRACEPARENT

FIRST_SEQ, LAST_SEQ = "Annostream-First-Seq", "Annostream-Last-Seq"  # headers of a bundle: the event sequences it holds
_HEAD = struct.Struct(">QHHHI")  # sequence, then the lengths of type, subject, traceparent and the envelope


@dataclass(slots=True)
class Item:
    """One event as a consumer applies it: its event-stream sequence, type, subject, trace context and envelope."""

    seq: int
    type: str | None
    subject: str
    traceparent: str | None
    data: bytes

    @classmethod
    def of_msg(cls, msg: Msg) -> Item:
        """A message of the event stream itself."""
        headers = msg.headers
        return cls(
            stream_seq(msg),
            headers.get(EVENT_TYPE) if headers else None,
            msg.subject,
            headers.get(TRACEPARENT) if headers else None,
            msg.data,
        )


def encode(items: Sequence[Item]) -> bytes:
    """A bundle's body: per event its fixed head, then type, subject, traceparent and envelope bytes."""
    parts: list[bytes] = []
    for i in items:
        t, s, tp = (i.type or "").encode(), i.subject.encode(), (i.traceparent or "").encode()
        parts += (_HEAD.pack(i.seq, len(t), len(s), len(tp), len(i.data)), t, s, tp, i.data)
    return b"".join(parts)


def decode(body: bytes) -> list[Item]:
    """The events of a bundle's body, in stream order."""
    out: list[Item] = []
    at, view, size = 0, memoryview(body), _HEAD.size
    while at < len(body):
        seq, nt, ns, ntp, nd = _HEAD.unpack_from(body, at)
        at += size
        t = str(view[at : at + nt], "utf-8")
        at += nt
        s = str(view[at : at + ns], "utf-8")
        at += ns
        tp = str(view[at : at + ntp], "utf-8")
        at += ntp
        out.append(Item(seq, t or None, s, tp or None, bytes(view[at : at + nd])))
        at += nd
    return out


def last_seq(headers: dict[str, str] | None) -> int:
    """The last event sequence a bundle holds, from its headers."""
    return int((headers or {}).get(LAST_SEQ, "0"))


async def first_bundle_after(js: JetStreamContext, stream: str, position: int) -> int:
    """The sequence in bundle stream `stream` of the first bundle holding an event after `position` (an event-stream
    sequence); one past the stream's last bundle when none does yet. A binary search over the bundles' headers: their
    event sequences grow with their own (one relay publishes them in order)."""
    state = (await js.stream_info(stream)).state
    lo, hi = int(state.first_seq or 1), int(state.last_seq or 0) + 1  # the answer lies in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            held = last_seq((await js.get_msg(stream, mid)).headers)
        except NotFoundError:  # a bundle removed (limits): look after it
            held = -1
        if held > position:
            hi = mid
        else:
            lo = mid + 1
    return lo


async def publish_bundles(
    js: JetStreamContext,
    bundles: StreamDef,
    txs: Sequence[str],
    events: Sequence[StoredEvent],
    datas: Sequence[bytes],
    seqs: Sequence[int],
    *,
    timeout: float = ACK_TIMEOUT_SECONDS,
    on_timeout: Callable[[int, float], None] | None = None,
) -> int:
    """Publish one bundle per transaction (`txs`: each event's) of a batch the event stream confirmed (`seqs`: each
    event's sequence there) and wait for every ack, publishing again those not acknowledged within `timeout`
    (`acks.publish_acked`); returns how many. A re-published bundle (a late ack, or after a crash) is de-duplicated
    by its id, its first event's."""
    messages: list[tuple[bytes, dict[str, str]]] = []
    start = 0
    for end in range(1, len(events) + 1):
        if end < len(events) and txs[end] == txs[start]:
            continue
        items = [
            Item(seqs[i], e.type.rsplit(".", 1)[-1], e.subject, e.traceparent or None, datas[i])
            for i, e in enumerate(events[start:end], start)
        ]
        headers = {
            "Nats-Msg-Id": f"bundle:{events[start].event_id}",
            FIRST_SEQ: str(seqs[start]),
            LAST_SEQ: str(seqs[end - 1]),
        }
        messages.append((encode(items), headers))
        start = end

    async def send(i: int) -> asyncio.Future[PubAck]:
        body, headers = messages[i]
        return await js.publish_async(bundles.bundle_subject, body, headers=headers)

    await publish_acked(send, len(messages), timeout=timeout, on_timeout=on_timeout)
    return len(messages)


class EventReader:
    """Reads events of an event stream that no bundle brought, by sequence (an upgrade's backlog, a transaction whose
    bundle is not published yet): one request per event, a path taken rarely."""

    def __init__(self, js: JetStreamContext, stream: str) -> None:
        """Read from event stream `stream`."""
        self._js, self._stream = js, stream

    async def last_seq(self) -> int:
        """The event stream's last sequence."""
        return int((await self._js.stream_info(self._stream)).state.last_seq or 0)

    async def read(self, first: int, last: int) -> list[Item]:
        """The stored events with sequences `first`..`last` (a sequence without a message is passed over)."""
        out: list[Item] = []
        for seq in range(first, last + 1):
            try:
                m = await self._js.get_msg(self._stream, seq)
            except NotFoundError:
                continue
            h = m.headers or {}
            out.append(Item(seq, h.get(EVENT_TYPE), m.subject or "", h.get(TRACEPARENT), m.data or b""))
        return out

    async def complete(self, items: Sequence[Item], after: int, upto: int = 0) -> list[Item]:
        """The events after sequence `after`: `items` (bundled, in order) with the event stream's events no bundle
        here holds read in before, between and (up to `upto`) after them; events at or before `after` left out."""
        out: list[Item] = []
        expected = after + 1
        for item in items:
            if item.seq < expected:
                continue
            if item.seq > expected:
                out += await self.read(expected, item.seq - 1)
            out.append(item)
            expected = item.seq + 1
        if upto >= expected:
            out += await self.read(expected, upto)
        return out


def contiguous(items: Sequence[Item], after: int) -> bool:
    """Whether `items` are exactly the events following sequence `after` (no event of the stream missing)."""
    return all(item.seq == after + k for k, item in enumerate(items, 1))
