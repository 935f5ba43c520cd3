"""The webhooks service in this process (its own schema, on the session's servers) against real receivers: two
replicas and a flaky receiver keep every stream in order, and the address policy is applied again at delivery."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import nats
import pytest
from nats.js.errors import NotFoundError

from annostream_cli.grpc_identity import channel
from annostream_cli.stack import LocalStack
from annostream_kernel.runtime import ServiceApp
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as wh
from annostream_protos.webhooks.v1 import webhooks_service_pb2_grpc
from annostream_webhooks.bootstrap import STREAMS, definition
from annostream_webhooks.config import WebhooksSettings

from ..webhook_receiver import Received, Receiver, verify
from .annotation_helpers import move, rect, save
from .conftest import Stubs, as_user, make_version
from .grpc_helpers import eventually

SECRET = "integration-secret-0123456789"
Start = Callable[..., Awaitable[ServiceApp]]


@pytest.fixture
async def hooks(postgres_dsn: str, nats_url: str) -> AsyncIterator[tuple[str, Start]]:
    """A fresh webhooks schema and a way to start service replicas on it (all stopped, schema and durable consumers
    removed afterwards)."""
    schema = f"wh_{uuid.uuid4().hex[:10]}"
    apps: list[ServiceApp] = []

    async def start(**settings: Any) -> ServiceApp:
        app = ServiceApp(
            definition(schema),
            WebhooksSettings(database_url=postgres_dsn, nats_url=nats_url, grpc_port=0, **settings),
        )
        await app.start()
        apps.append(app)
        return app

    try:
        yield schema, start
    finally:
        for app in apps:
            await app.stop()
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        for name, stream in STREAMS.items():
            with contextlib.suppress(Exception):
                await js.delete_consumer(stream.name, f"{schema}-{name}")
        await nc.close()
        conn = await asyncpg.connect(postgres_dsn)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()


async def _register(app: ServiceApp, team: str, url: str, **fields: Any) -> wh.Webhook:
    async with channel(f"127.0.0.1:{app.port}") as ch:
        stub = webhooks_service_pb2_grpc.WebhooksServiceStub(ch)
        req = wh.CreateWebhookRequest(url=url, secret=SECRET, **fields)
        return (await stub.CreateWebhook(req, metadata=as_user("lead", team))).webhook


async def _deliveries(app: ServiceApp, team: str, webhook_id: str) -> list[wh.Delivery]:
    async with channel(f"127.0.0.1:{app.port}") as ch:
        stub = webhooks_service_pb2_grpc.WebhooksServiceStub(ch)
        req = wh.ListDeliveriesRequest(webhook_id=webhook_id, page_size=500)
        return list((await stub.ListDeliveries(req, metadata=as_user("lead", team))).deliveries)


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def _caught_up(nats_url: str, schema: str) -> bool:
    """Whether the durable consumers of the webhooks service on `schema` have no event left to deliver or to ack."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for name, stream in STREAMS.items():
            try:
                durable_stream = stream.bundles or stream  # the annotation consumer's durable reads bundles
                info = await js.consumer_info(durable_stream.name, f"{schema}-{name}")
            except NotFoundError:
                return False  # its consumer has not taken the lead (and set its durable) yet
            if info.num_pending or info.num_ack_pending:
                return False
        return True
    finally:
        await nc.close()


async def test_two_replicas_and_a_flaky_slow_receiver_deliver_every_event_at_least_once_in_stream_order(
    system: LocalStack, stubs: Stubs, unique: str, hooks: tuple[str, Start]
) -> None:
    _, start = hooks
    fast = {
        "webhook_allow_networks": "127.0.0.0/8",
        "webhook_backoff_base_seconds": 0.02,
        "webhook_backoff_max_seconds": 0.2,
        "webhook_max_attempts": 50,
        "webhook_concurrency": 8,
    }
    first, second = await start(**fast), await start(**fast)
    team = f"wi-{unique}"
    receiver = Receiver().start()
    rand = random.Random(11)

    def flaky(_: Received) -> int:
        time.sleep(rand.uniform(0, 0.01))
        return 500 if rand.random() < 0.3 else 200

    receiver.answer = flaky
    try:
        hook = await _register(first, team, receiver.url, subject_filter="annostream.annotation.>")
        md = as_user("lead", team)
        version = await make_version(stubs, unique, 4, publish=False, md=md)
        frames = ["f000", "f001", "f002", "f003"]
        saved: list[str] = []
        at = dict.fromkeys(frames, 0)
        for f in frames:
            ref = t.FrameRef(version_id=version.version_id, frame_id=f)
            await eventually(
                lambda ref=ref: stubs.annotation.GetFrame(ann.GetFrameRequest(frame=ref), metadata=md), "the frames"
            )
        for i in range(6):
            for f in frames:
                ref = t.FrameRef(version_id=version.version_id, frame_id=f)
                cmd = rect("car", roi_id="r") if i == 0 else move("r", 1)
                resp = await stubs.annotation.SaveFrame(save(ref, at[f], cmd), metadata=md)
                at[f], saved = resp.frame.version, saved + list(resp.event_ids)

        await _until(lambda: _answered_ok(receiver, set(saved)), "every event answered 200 at least once", timeout=90)
        events = _first_arrivals(receiver.received)
        for f in frames:
            versions = [e["streamversion"] for e in events if e["subject"] == f"frame:{version.version_id}:{f}"]
            assert versions == list(range(1, 7)), (f, versions)
        assert all(verify(SECRET, r.headers, r.body) for r in receiver.received)
        assert len(receiver.received) > len(set(r.event["id"] for r in receiver.received))  # retries happened
        assert first.consumers and second.consumers

        async def all_delivered() -> bool:
            listed = await _deliveries(first, team, hook.webhook_id)
            return len(listed) >= len(saved) and all(d.state == wh.DELIVERY_STATE_DELIVERED for d in listed)

        await _until(all_delivered, "every delivery recorded as delivered")
    finally:
        receiver.stop()


def _first_arrivals(received: list[Received]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for r in list(received):
        if r.event["id"] not in seen:
            seen.add(r.event["id"])
            out.append(r.event)
    return out


async def _answered_ok(receiver: Receiver, wanted: set[str]) -> bool:
    return wanted <= {r.event["id"] for r in list(receiver.received)}


async def test_a_target_the_policy_refuses_at_delivery_time_is_never_contacted_and_dead_letters_with_the_reason(
    system: LocalStack, stubs: Stubs, unique: str, hooks: tuple[str, Start], nats_url: str
) -> None:
    schema, start = hooks
    receiver = Receiver().start()
    team = f"wr-{unique}"
    try:
        # Registered while loopback was allowed (or: the name resolved to a public address then) ...
        lenient = await start(webhook_allow_networks="127.0.0.0/8,::1/128")
        hook = await _register(lenient, team, f"http://localhost:{receiver.port}/hooks", event_types=["DatasetCreated"])
        # (Stopped once it applied the streams' history: a batch it fetched and never acked would hold its durable's
        # max_ack_pending for the ack wait, 30 s, before the next replica gets any event.)
        await _until(lambda: _caught_up(nats_url, schema), "the first replica to apply the streams' history")
        await lenient.stop()
        # ... and delivered by a process whose policy refuses it: every connection is checked after resolving.
        strict = await start(webhook_max_attempts=2, webhook_backoff_base_seconds=0.05)
        await make_version(stubs, unique, 0, publish=False, md=as_user("lead", team))

        async def dead() -> bool:
            listed = await _deliveries(strict, team, hook.webhook_id)
            return bool(listed) and listed[0].state == wh.DELIVERY_STATE_DEAD

        await _until(dead, "the delivery to be dead-lettered")
        [delivery] = await _deliveries(strict, team, hook.webhook_id)
        assert delivery.attempts == 2 and delivery.last_status == 0
        assert "refused by the address policy: localhost resolves to" in delivery.last_error
        assert "loopback address" in delivery.last_error
        assert receiver.received == []
    finally:
        receiver.stop()
