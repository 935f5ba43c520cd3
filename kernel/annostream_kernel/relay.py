"""Outbox relay: publishes committed rows of a service's events table to JetStream, in order.

Why it never skips an event
---------------------------
`position` (bigserial) is assigned at INSERT, not at COMMIT. Two transactions T1 (position 10) and
T2 (position 11) may commit in the order T2, T1. A relay that remembered "published up to 11" would
never see 10: a classic lost event. Instead every row records its writing transaction id
(`tx_id xid8 DEFAULT pg_current_xact_id()`), and the relay:

1. only reads rows whose `tx_id < pg_snapshot_xmin(pg_current_snapshot())`. xmin is the oldest
   transaction still running anywhere in the cluster; every transaction below it has finished
   (committed or rolled back), so no row with such a tx_id can appear later;
2. orders by `(tx_id, position)` and keeps its checkpoint as that pair. A transaction that has not
   finished has tx_id >= xmin, so the relay stops *before* it and waits; once it commits, its rows
   sort after the checkpoint and are published. A transaction that gets its id later always has a
   larger tx_id than any finished one below xmin, so it also sorts after the checkpoint.

The cost: a long-running transaction anywhere in the cluster delays (never loses) publication. The read also
returns the first committed row held behind such a transaction, if any: the relay then reads again shortly
(2 ms, doubling up to `poll_seconds`) instead of waiting for the next notification, which may never come —
the notification of the held rows was spent on the read that could not publish them yet.
Publishing uses `Nats-Msg-Id` = event id, so a crash between publish and checkpoint update only
re-publishes messages that JetStream de-duplicates within the stream's duplicate window.
Only one relay per schema runs at a time (a session advisory lock); the others stand by.

How a batch is confirmed with one acknowledgement
-------------------------------------------------
Waiting for JetStream's ack of every message costs an ack message per event on both sides. Instead,
once the relay knows the stream's last sequence number (from an earlier ack), it publishes a batch's
messages without a reply subject and only the last one as a request. The server stores the messages of
one connection in order, and the stream sequence grows by one per *stored* message (a duplicate or a
dropped message does not move it). So the batch is confirmed exactly when the last ack is not a
duplicate, comes from the same stream and carries `last sequence + batch size`. Anything else (a
message lost or refused, a duplicate after a crash, another publisher on the stream) makes the relay
publish the whole batch again with an ack per message, which the event-id de-duplication makes safe.
This relies on the relay being its stream's only publisher, which holds by construction: each service's
stream takes only its own subjects and one relay per schema leads. (A foreign message stored in the
middle of a batch would only go unnoticed if exactly as many of the batch's messages were lost.)
An ack that does not come back within `ack_timeout_seconds` (1 s: lost with a stream leader or a server that died
after the message left, or only late) makes the relay publish the batch again with an ack per message, and then the
still unacknowledged messages, waiting twice as long each time (`acks.py`); an earlier publish's late ack still
counts. It used to wait 10 s for the lost ack, and every later event waited as long.

Bundles for the service's own consumers
---------------------------------------
For a stream with bundles (`StreamDef.bundles`, `bundles.py`), once a batch's messages are confirmed (so every
event's stream sequence is known: counted from the one ack, or read from each ack), the relay publishes one bundle
per transaction of the batch on the bundle stream (acked; `Nats-Msg-Id` = `bundle:<first event id>`), and only then
moves the checkpoint. A crash between the two publishes the batch again: the events are de-duplicated (their acks
carry the sequences of the first publish), the bundles published or de-duplicated. Consumers skip by event sequence,
so a bundle holding events they applied already (from the event stream) has no second effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js import api

from .acks import ACK_TIMEOUT_SECONDS, publish_acked
from .bundles import publish_bundles
from .db import Conn, advisory_key
from .events import EVENT_COLUMNS, StoredEvent, row_to_event
from .leadership import give_up_lead, lead_forever, take_lead
from .logs import get_logger
from .loops import woken_or_timed_out
from .metrics import RELAY_PUBLISHED
from .outbox_wire import headers_for, hpub
from .streams import StreamDef
from .tracing import PRODUCER, batch_span

log = get_logger(__name__)

HELD_RETRY_SECONDS = 0.002  # first re-read when committed rows wait behind an older open transaction
# The batch of rows below xmin, then (held = true) the first committed row at or above it, if any: rows that
# exist and are committed (this snapshot sees them) but wait behind a transaction still open. The checkpoint is
# always below xmin (it was read below an earlier one), so the second part starts its index scan at xmin.
READ = (
    f"(SELECT false AS held, tx_id AS tx_order, tx_id::text AS tx, {EVENT_COLUMNS} FROM events"
    " WHERE (tx_id, position) > ($1::text::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())"
    " ORDER BY tx_id, position LIMIT $3)"
    " UNION ALL"
    f" (SELECT true, tx_id AS tx_order, tx_id::text AS tx, {EVENT_COLUMNS} FROM events"
    " WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot())"  # all after the checkpoint: it is below xmin
    " ORDER BY tx_id, position LIMIT 1)"
    " ORDER BY held, tx_order, position"
)
YIELD_EVERY = 16
WRITE_EVERY = 64  # unacknowledged messages handed to the connection as one write (the process runs between)


class OutboxRelay:
    """Publishes one schema's events table to JetStream; run() loops until cancelled."""

    ack_timeout_seconds = ACK_TIMEOUT_SECONDS  # first wait for acks before publishing again (`acks.py`)

    def __init__(
        self,
        pool: asyncpg.Pool,
        nc: NatsClient,
        *,
        schema: str,
        producer: str,
        batch: int = 500,
        poll_seconds: float = 1.0,
        linger_seconds: float = 0.0,
        bundles: StreamDef | None = None,
    ) -> None:
        self._pool, self._nc, self._js, self._schema = pool, nc, nc.jetstream(), schema
        self._published_metric = RELAY_PUBLISHED.labels(schema)
        self._producer, self._batch, self._poll, self._linger = producer, batch, poll_seconds, linger_seconds
        self._bundles = bundles
        self._wake = asyncio.Event()
        self.held = False  # the last read found committed rows waiting behind an older open transaction
        self._last: api.PubAck | None = None  # the stream's last stored message, as last acknowledged to us
        self.published = 0
        self.batches_confirmed_by_one_ack = 0
        self.bundles = 0
        self.acks_late = 0  # publishes whose acks did not come within the ack timeout (published again)

    @property
    def notify_channel(self) -> str:
        """The LISTEN/NOTIFY channel appenders signal after writing events."""
        return f"{self._schema}_events"

    async def run(self) -> None:
        """Hold leadership, then publish until cancelled; reconnects on database errors."""

        def on_error(exc: Exception) -> None:  # database or NATS outage: back off and retry
            log.warning("relay_error", error=repr(exc), schema=self._schema)

        await lead_forever(self._lead, on_error, self._poll)

    async def _lead(self) -> None:
        conn = await self._pool.acquire()
        try:
            await take_lead(conn, f"relay:{self._schema}", self._poll)
            await conn.add_listener(self.notify_channel, self._on_notify)
            await conn.execute("INSERT INTO relay_checkpoints(name) VALUES ($1) ON CONFLICT DO NOTHING", self._producer)
            log.info("relay_leading", schema=self._schema)
            checkpoint = await self._checkpoint(conn)  # only this leader moves it: read once, then kept here
            held_wait = HELD_RETRY_SECONDS
            while True:
                published, checkpoint = await self._publish_after(conn, checkpoint)
                if published < self._batch:
                    wait = min(held_wait, self._poll) if self.held else self._poll
                    held_wait = held_wait * 2 if self.held else HELD_RETRY_SECONDS
                    await woken_or_timed_out(self._wake, wait)  # not wait_for: it can drop the stop (loops.py)
                    if self._linger:  # let concurrent commits land: one read and one publish burst for all
                        await asyncio.sleep(self._linger)
                    self._wake.clear()
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.remove_listener(self.notify_channel, self._on_notify)
            await give_up_lead(self._pool, conn)

    async def flush(self, timeout: float = 5.0) -> None:
        """Publish everything committed so far, if no other relay holds leadership (used at shutdown)."""
        async with asyncio.timeout(timeout), self._pool.acquire() as conn:
            key = advisory_key(f"relay:{self._schema}")
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return
            try:
                await conn.execute(
                    "INSERT INTO relay_checkpoints(name) VALUES ($1) ON CONFLICT DO NOTHING", self._producer
                )
                while await self.publish_pending(conn):
                    pass
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _checkpoint(self, conn: Conn) -> tuple[str, int]:
        cp = await conn.fetchrow(
            "SELECT tx_id::text AS tx, position FROM relay_checkpoints WHERE name = $1", self._producer
        )
        assert cp is not None
        return cp["tx"], cp["position"]

    async def publish_pending(self, conn: Conn) -> int:
        """Publish one batch of committed, unpublished events after the stored checkpoint; returns how many."""
        return (await self._publish_after(conn, await self._checkpoint(conn)))[0]

    async def _publish_after(self, conn: Conn, cp: tuple[str, int]) -> tuple[int, tuple[str, int]]:
        """Publish one batch after checkpoint `cp` and move the stored checkpoint past it; returns how many were
        published and the new checkpoint. The leader keeps the checkpoint between batches (one statement fewer
        per batch): while it holds the relay's lock no one else writes it, and a failed update ends its lead."""
        rows = await conn.fetch(READ, cp[0], cp[1], self._batch)
        self.held = bool(rows) and rows[-1]["held"]
        if self.held:
            rows = rows[:-1]
        if not rows:
            return 0, cp
        events = [row_to_event(r) for r in rows]
        datas = [e.envelope(self._producer).SerializeToString() for e in events]
        with batch_span(f"publish {self._schema}", (e.traceparent for e in events), PRODUCER, {"events": len(events)}):
            seqs, sent = await self._publish_confirmed_by_last_ack(events, datas)
            if seqs is None:
                seqs = await self._publish_each_acked(events, datas, sent)
            if self._bundles is not None:
                txs = [r["tx"] for r in rows]
                self.bundles += await publish_bundles(
                    self._js,
                    self._bundles,
                    txs,
                    events,
                    datas,
                    seqs,
                    timeout=self.ack_timeout_seconds,
                    on_timeout=functools.partial(self._ack_late, "bundles"),
                )
        last = rows[-1]
        await conn.execute(
            "UPDATE relay_checkpoints SET tx_id = $2::text::xid8, position = $3, updated_at = now()"
            " WHERE name = $1 AND (tx_id, position) < ($2::text::xid8, $3)",
            self._producer,
            last["tx"],
            last["position"],
        )
        self.published += len(events)
        self._published_metric.inc(len(events))
        return len(events), (last["tx"], last["position"])

    async def _send_acked(self, i: int, e: StoredEvent, data: bytes) -> asyncio.Future[api.PubAck]:
        """Publish the i-th event of a batch with a reply subject and return its ack's future; every YIELD_EVERY
        events the process's requests run first."""
        if i and i % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        return await self._js.publish_async(e.subject, data, headers=headers_for(e))

    async def _send_unacked(self, events: list[StoredEvent], datas: list[bytes]) -> None:
        """Publish events without reply subjects, WRITE_EVERY at a time as one write of prebuilt `HPUB` commands
        (`outbox_wire`), in order; an event nats-py must judge (connection not up, payload too big, odd subject)
        goes through `publish`, which buffers or raises as it always did."""
        nc = self._nc
        for start in range(0, len(events), WRITE_EVERY):
            if start:
                await asyncio.sleep(0)
            cmds: list[bytes] = []
            for e, data in zip(events[start : start + WRITE_EVERY], datas[start : start + WRITE_EVERY], strict=True):
                fast = nc.is_connected and not nc.is_draining_pubs and len(data) <= nc.max_payload
                cmd = hpub(e, data) if fast else None
                if cmd is None:
                    await self._write(cmds)
                    await nc.publish(e.subject, data, headers=headers_for(e))
                else:
                    cmds.append(cmd)
            await self._write(cmds)

    async def _write(self, cmds: list[bytes]) -> None:
        # nats-py's own publish path after it has built a command: queue it, then wake the flusher.
        if not cmds:
            return
        nc = self._nc
        await nc._send_command(b"".join(cmds))
        nc.stats["out_msgs"] += len(cmds)
        cmds.clear()
        if nc._flush_queue is not None and nc._flush_queue.empty():
            await nc._flush_pending()

    async def _publish_each_acked(
        self, events: list[StoredEvent], datas: list[bytes], sent: dict[int, asyncio.Future[api.PubAck]]
    ) -> list[int]:
        """Publish with an ack per message (again, those whose ack is late: `acks.py`); returns each event's stream
        sequence. `sent`: the future of a message published already, whose ack counts too."""
        # Pipelined publishes keep their order on the one connection; every ack is awaited (bounded)
        # before the checkpoint moves, so nothing is marked published that JetStream did not store.
        acks = await publish_acked(
            lambda i: self._send_acked(i, events[i], datas[i]),
            len(events),
            timeout=self.ack_timeout_seconds * (2 if sent else 1),  # after the one ack's wait: the next, doubled
            sent=sent,
            on_timeout=functools.partial(self._ack_late, "events"),
        )
        self._last = max(acks, key=lambda a: a.seq)  # a re-published duplicate acks with its earlier sequence
        return [a.seq for a in acks]

    async def _publish_confirmed_by_last_ack(
        self, events: list[StoredEvent], datas: list[bytes]
    ) -> tuple[list[int] | None, dict[int, asyncio.Future[api.PubAck]]]:
        """Publish the batch with one ack (see the module docstring) and return each event's stream sequence; None
        when that ack does not confirm every message, or the stream's last sequence is not known yet (with the last
        message's future when its ack did not come within the ack timeout: it still counts)."""
        last = self._last
        if last is None or len(events) < 2:
            return None, {}
        self._last = None  # unknown until this batch is confirmed
        await self._send_unacked(events[:-1], datas[:-1])
        # The last ack through publish_async + asyncio.wait, not js.publish: a cancelled relay (shutdown) must see
        # CancelledError here, and nats-py's request path can turn it into an error the run loop would retry.
        last_ack = await self._send_acked(len(events) - 1, events[-1], datas[-1])
        try:
            answered, _ = await asyncio.wait([last_ack], timeout=self.ack_timeout_seconds)
        except asyncio.CancelledError:
            last_ack.cancel()
            raise
        if not answered:  # lost with a leader or a connection, or late: the batch goes again with an ack each
            self._ack_late("batch", len(events), self.ack_timeout_seconds)
            return None, {len(events) - 1: last_ack}
        ack = last_ack.result()
        if ack.duplicate or ack.stream != last.stream or ack.seq != last.seq + len(events):
            log.info("relay_batch_not_confirmed", schema=self._schema, expected=last.seq + len(events), got=ack.seq)
            return None, {}
        self._last = ack
        self.batches_confirmed_by_one_ack += 1
        return list(range(last.seq + 1, ack.seq + 1)), {}

    def _ack_late(self, what: str, unacked: int, waited: float) -> None:
        """Count and log acks that did not come within `waited` seconds (their messages are published again)."""
        self.acks_late += 1
        log.warning("relay_ack_timeout", schema=self._schema, what=what, unacked=unacked, waited_s=waited)
