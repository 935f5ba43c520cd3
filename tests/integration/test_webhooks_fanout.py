"""The fan-out on a real PostgreSQL schema: owners learned from datasets and tasks events decide which team's
webhooks get an event (sharing included), an event whose owner is not known yet waits, and queues stay ordered."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from google.protobuf import any_pb2
from google.protobuf.message import Message

from annostream_kernel.db import create_pool, migrate
from annostream_kernel.delivered import Delivered
from annostream_kernel.errors import Unavailable
from annostream_kernel.events import subject
from annostream_kernel.protobuf import timestamp
from annostream_protos.events.v1 import annotation_pb2, datasets_pb2, envelope_pb2, iterator_pb2, tasks_pb2
from annostream_webhooks.adapters.cloudevents import render
from annostream_webhooks.adapters.postgres import NO_WEBHOOK_TAKES, FanOutRepositories, WebhookRepository
from annostream_webhooks.domain.model import Webhook
from annostream_webhooks.service_layer.consumers import FanOut

NOW = datetime.now(UTC)
SDS = "dataset:ds"
Event = tuple[str, envelope_pb2.EventEnvelope]


@pytest.fixture
async def pool(postgres_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    schema = f"whf_{uuid.uuid4().hex[:10]}"
    p = await create_pool(postgres_dsn, schema)
    await migrate(p, schema, ["annostream_webhooks.migrations"])
    try:
        yield p
    finally:
        with contextlib.suppress(Exception):
            await p.execute(f"DROP SCHEMA {schema} CASCADE")
        await p.close()


def _event(prefix: str, ids: list[str], payload: Message, stream_id: str, version: int = 1) -> Event:
    name = payload.DESCRIPTOR.name
    envelope = envelope_pb2.EventEnvelope(
        event_id=str(uuid.uuid4()),
        type=name,
        stream_id=stream_id,
        stream_version=version,
        occurred_at=timestamp(NOW + timedelta(seconds=version)),
        payload=any_pb2.Any(
            type_url=f"type.googleapis.com/{payload.DESCRIPTOR.full_name}", value=payload.SerializeToString()
        ),
    )
    return subject(prefix, *ids, name), envelope


def _roi(version_id: str, frame: str, n: int) -> Event:
    payload = annotation_pb2.RoiMoved(roi_id="r", dx=n)
    return _event("annostream.annotation.v1", ["ds", version_id, frame], payload, f"frame:{version_id}:{frame}", n)


async def _hook(pool: asyncpg.Pool, team: str) -> str:
    webhook_id = f"wh_{team}_{uuid.uuid4().hex[:6]}"
    async with pool.acquire() as conn:
        await WebhookRepository(conn).add(
            Webhook(webhook_id, team, "http://127.0.0.1:9/x", "s" * 16, "lead", created_at=NOW)
        )
        await conn.execute("UPDATE webhooks SET created_at = $1", NOW - timedelta(minutes=1))
    return webhook_id


async def _apply(pool: asyncpg.Pool, fanout: FanOut, *events: Event) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await fanout.apply(conn, Delivered.of(events))


async def _queued(pool: asyncpg.Pool, webhook_id: str) -> list[tuple[str, int, bool]]:
    rows = await pool.fetch(
        "SELECT p.type, p.stream_version, d.ready FROM deliveries d JOIN payloads p USING (event_id)"
        " WHERE d.webhook_id = $1 ORDER BY d.seq",
        webhook_id,
    )
    return [(r["type"], r["stream_version"], r["ready"]) for r in rows]


async def test_an_event_whose_owner_is_not_known_yet_waits_for_it_then_reaches_only_readers_of_its_version(
    pool: asyncpg.Pool,
) -> None:
    fanout = FanOut(FanOutRepositories, render, "ch", owner_wait_seconds=30)
    a, b, c = await _hook(pool, "A"), await _hook(pool, "B"), await _hook(pool, "C")
    early = _roi("vA", "f1", 1)
    with pytest.raises(Unavailable):  # the annotation consumer got there before the datasets consumer
        await _apply(pool, fanout, early)
    assert await _queued(pool, a) == []

    ds = ["ds", "-"]
    await _apply(
        pool,
        fanout,
        _event("annostream.datasets.v1", ds, datasets_pb2.DatasetCreated(dataset_id="ds", team="A"), "dataset:ds"),
        _event(
            "annostream.datasets.v1",
            ["ds", "vA"],
            datasets_pb2.VersionCreated(dataset_id="ds", version_id="vA"),  # no team: the dataset's
            "dataset:ds",
            2,
        ),
        _event("annostream.datasets.v1", ds, datasets_pb2.DatasetSharingChanged(dataset_id="ds", teams=["B"]), SDS, 3),
        _event(
            "annostream.datasets.v1",
            ["ds", "vB"],
            datasets_pb2.VersionCreated(dataset_id="ds", version_id="vB", team="B"),  # B's child on A's shared one
            "dataset:ds",
            4,
        ),
    )
    await _apply(pool, fanout, early, _roi("vA", "f1", 2), _roi("vB", "g1", 1))

    assert [t for t, _, _ in await _queued(pool, a)] == [
        "DatasetCreated",
        "VersionCreated",
        "DatasetSharingChanged",
        "RoiMoved",
        "RoiMoved",
    ]  # not B's child version
    assert [t for t, _, _ in await _queued(pool, b)] == [
        "DatasetSharingChanged",
        "VersionCreated",
        "RoiMoved",
        "RoiMoved",
        "RoiMoved",
    ]  # shared from then on: A's version as a reader, its own child as owner
    assert await _queued(pool, c) == []
    # One queue per stream: only its oldest delivery is ready.
    assert [(v, ready) for t, v, ready in await _queued(pool, a) if t == "RoiMoved"] == [(1, True), (2, False)]


async def test_an_owner_that_never_arrives_sends_the_event_to_nobody_after_the_wait(pool: asyncpg.Pool) -> None:
    fanout = FanOut(FanOutRepositories, render, "ch", owner_wait_seconds=0)
    a = await _hook(pool, "A")
    await _apply(pool, fanout, _roi("unknown", "f1", 1))
    assert await _queued(pool, a) == []


async def test_task_and_progress_events_reach_the_tasks_team(pool: asyncpg.Pool) -> None:
    fanout = FanOut(FanOutRepositories, render, "ch", owner_wait_seconds=30)
    a, b = await _hook(pool, "A"), await _hook(pool, "B")
    progress = _event(
        "annostream.iterator.v1", ["t1"], iterator_pb2.TaskProgressed(task_id="t1", done=1, total=2), "progress:t1:"
    )
    with pytest.raises(Unavailable):
        await _apply(pool, fanout, progress)
    created = _event("annostream.tasks.v1", ["t1"], tasks_pb2.TaskCreated(task_id="t1", team="A"), "task:t1")
    done = _event("annostream.tasks.v1", ["t1"], tasks_pb2.TaskCompleted(task_id="t1"), "task:t1", 2)
    await _apply(pool, fanout, created, done)
    await _apply(pool, fanout, progress)
    assert [t for t, _, _ in await _queued(pool, a)] == ["TaskCreated", "TaskCompleted", "TaskProgressed"]
    assert await _queued(pool, b) == []


async def test_a_batch_is_idle_for_the_fan_out_exactly_while_no_enabled_webhook_takes_one_of_its_types(
    pool: asyncpg.Pool,
) -> None:
    async def idle(*types: str) -> bool:  # the condition as the kernel runs it ($1-$3: the position's parameters)
        sql = f"SELECT $1::text IS NULL AND $2::bigint IS NULL AND $3::bigint IS NULL AND ({NO_WEBHOOK_TAKES})"
        return bool(await pool.fetchval(sql, None, None, None, list(types)))

    save = ("RoiCreated", "FrameSaved")
    assert await idle(*save)  # no webhook at all
    everything = await _hook(pool, "t1")
    await pool.execute("UPDATE webhooks SET enabled = false WHERE webhook_id = $1", everything)
    assert await idle(*save)  # a disabled one takes nothing
    tasks = await _hook(pool, "t2")
    await pool.execute("UPDATE webhooks SET event_types = '{TaskCreated}' WHERE webhook_id = $1", tasks)
    assert await idle(*save)  # one taking other types only
    await pool.execute("UPDATE webhooks SET event_types = '{TaskCreated,FrameSaved}' WHERE webhook_id = $1", tasks)
    assert not await idle(*save) and await idle("RoiMoved")  # one taking a type of the batch
    await pool.execute("UPDATE webhooks SET enabled = true WHERE webhook_id = $1", everything)
    assert not await idle("RoiMoved")  # one taking every type (no types given)
