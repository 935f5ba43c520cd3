"""Raw baseline of the webhooks bench: a bare nats-py pull consumer that POSTs each event of the stream (the same
CloudEvent bytes, signed the same way) to the same receiver, in stream order per frame, frames side by side, and
acks after the POSTs: the delivery I/O without the service's durable queue (PostgreSQL), ordering state and
retries."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import aiohttp
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from annostream_protos.events.v1 import envelope_pb2
from annostream_webhooks.adapters.cloudevents import CONTENT_TYPE, SIGNATURE_HEADER, render, signature

STREAM = "ANNOSTREAM_ANNOTATION"


async def raw_deliver(
    js: JetStreamContext,
    subject_filter: str,
    url: str,
    secret: str,
    *,
    done: Callable[[int], bool],
    concurrency: int = 64,
    new_only: bool = False,
) -> int:
    """Consume `subject_filter` from the start (or only new events) and POST every event until `done(posted)`;
    returns how many were posted."""
    durable = f"bench-raw-{uuid.uuid4().hex[:8]}"
    config = ConsumerConfig(
        durable_name=durable,
        deliver_policy=DeliverPolicy.NEW if new_only else DeliverPolicy.ALL,
        ack_policy=AckPolicy.ALL,
        max_ack_pending=4096,
        filter_subject=subject_filter,
    )
    sub = await js.pull_subscribe(subject_filter, durable=durable, stream=STREAM, config=config)
    pool = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), trust_env=False)
    gate = asyncio.Semaphore(concurrency)
    posted = 0

    async def post(subject: str, envelope: envelope_pb2.EventEnvelope) -> None:
        body = render(subject, envelope)
        headers = {
            "Content-Type": CONTENT_TYPE,
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
            "Annostream-Event-Id": envelope.event_id,
            "X-Bench-Path": "raw",
        }
        async with pool.post(url, data=body, headers=headers, allow_redirects=False) as resp:
            await resp.read()
            assert 200 <= resp.status < 300, resp.status

    async def stream(events: list[tuple[str, envelope_pb2.EventEnvelope]]) -> None:
        nonlocal posted
        async with gate:
            for subject, envelope in events:  # one frame's events in order
                await post(subject, envelope)
                posted += 1

    try:
        while not done(posted):
            try:
                msgs = await sub.fetch(512, timeout=0.05)
            except (NatsTimeoutError, TimeoutError):
                continue
            by_stream: dict[str, list[tuple[str, envelope_pb2.EventEnvelope]]] = {}
            for m in msgs:
                envelope = envelope_pb2.EventEnvelope.FromString(m.data)
                by_stream.setdefault(envelope.stream_id, []).append((m.subject, envelope))
            await asyncio.gather(*(stream(events) for events in by_stream.values()))
            if msgs:
                await msgs[-1].ack()
    finally:
        await pool.close()
        await js.delete_consumer(STREAM, durable)
    return posted
