"""The iterator's datasets consumer: a multi-event batch through the batch handler builds the same index and
plans as the same events one by one, and applying a batch again changes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import asyncpg
from google.protobuf import any_pb2
from google.protobuf.message import Message

from annostream_iterator.adapters.postgres import ConsumerRepositories
from annostream_iterator.service_layer.consumers import Consumers
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2, iterator_pb2, tasks_pb2
from annostream_protos.types.v1 import filters_pb2 as fl
from annostream_protos.types.v1 import frames_pb2 as t

from .iterator_helpers import custom, rule
from .schema_helpers import fresh_schema, read_model

CONSUMERS = Consumers(ConsumerRepositories)  # as bootstrap wires them
on_datasets_event, on_datasets_events = CONSUMERS.on_datasets_event, CONSUMERS.on_datasets_events
on_tasks_event = CONSUMERS.on_tasks_event

READ_MODEL = {
    "versions": "SELECT * FROM versions ORDER BY version_id",
    "frames": "SELECT version_id, frame_id, context_id, ts, metadata::text, sources::text FROM frames"
    " ORDER BY version_id, frame_id",
    "marks": "SELECT version_id, frame_id, metadata::text FROM marks ORDER BY version_id, frame_id",
    "rois": "SELECT * FROM rois ORDER BY version_id, frame_id, roi_id",
    "plan": "SELECT task_id, seq, unit, frame_id, state FROM plan ORDER BY task_id, seq",
    "tasks": "SELECT task_id, total, status FROM tasks ORDER BY task_id",
}


CORRELATION = iter(range(1_000_000))


def envelope(payload: Message) -> envelope_pb2.EventEnvelope:
    env = envelope_pb2.EventEnvelope(actor="tester", correlation_id=f"corr-{next(CORRELATION)}")
    env.occurred_at.GetCurrentTime()
    packed = any_pb2.Any()
    packed.Pack(payload)  # type: ignore[arg-type]
    env.payload.CopyFrom(packed)
    return env


def frame(fid: str, *, labels: Sequence[str] = (), meta: dict[str, object] | None = None, ctx: str = "c") -> t.Frame:
    f = t.Frame(
        frame_id=fid,
        context_id=ctx,
        timestamp=int(fid[1:]) * 10,
        sources=[t.Source(id="cam", uri=f"s3://b/{fid}.jpg", width=64, height=48, preview_uri="p")],
        rois=[
            t.Roi(roi_id=f"{fid}-{label}", type=t.ROI_TYPE_RECTANGLE, labels=[label], confidence=0.5)
            for label in labels
        ],
    )
    if meta is not None:
        f.metadata.update(meta)
    return f


def imported(version: str, frames: list[t.Frame]) -> envelope_pb2.EventEnvelope:
    return envelope(datasets_pb2.FramesImported(dataset_id="d", version_id=version, frames=frames))


FIRST = [
    envelope(datasets_pb2.VersionCreated(dataset_id="d", version_id="v")),
    imported("v", [frame(f"f{i}", labels=["car"] if i % 3 == 0 else (), meta={"i": i}) for i in range(10)]),
]
TASKS = [
    tasks_pb2.TaskCreated(
        task_id="cars", annotated_version_id="v", selection=custom(fl.FrameFilter(roi_rules=[rule("car")]))
    ),
    tasks_pb2.TaskCreated(
        task_id="random",
        annotated_version_id="v",
        iteration=tasks_pb2.IterationSpec(order=tasks_pb2.ITERATION_ORDER_RANDOM, random_seed=7),
    ),
]
LATER = [
    imported("v", [frame(f"f{i}", labels=["car"] if i % 2 else ()) for i in range(10, 16)] + [frame("f3", ctx="x")]),
    imported("v", [frame(f"f{i}", labels=["car", "bus"]) for i in range(16, 20)]),
    envelope(datasets_pb2.VersionCreated(dataset_id="d", version_id="child", parent_version_id="v")),
    imported("child", [frame("f1", labels=["car"]), frame("g1", labels=["car"])]),
    imported("v", [frame("f20"), frame("f21"), frame("f20", labels=["car"])]),
]


def fresh_iterator(dsn: str) -> contextlib.AbstractAsyncContextManager[asyncpg.Pool]:
    return fresh_schema(dsn, "itb", "annostream_iterator.migrations")


async def last_totals(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT payload FROM events WHERE type LIKE '%TaskProgressed' ORDER BY position")
    return {e.task_id: e.total for e in (iterator_pb2.TaskProgressed.FromString(r["payload"]) for r in rows)}


async def start(pool: asyncpg.Pool, task_id: str) -> None:
    """A lease was handed out: frames imported from now on are appended to the plan, not re-planned."""
    await pool.execute("INSERT INTO trail (task_id, annotator, idx, unit) VALUES ($1, 'ann', 1, 1)", task_id)


async def test_a_batch_indexes_and_plans_like_the_same_events_one_by_one(postgres_dsn: str) -> None:
    async with fresh_iterator(postgres_dsn) as one, fresh_iterator(postgres_dsn) as batched:
        for env in FIRST:
            async with one.acquire() as conn, conn.transaction():
                await on_datasets_event(conn, env)
        async with batched.acquire() as conn, conn.transaction():
            await on_datasets_events(conn, FIRST)
        for pool in (one, batched):
            async with pool.acquire() as conn, conn.transaction():
                for tc in TASKS:
                    await on_tasks_event(conn, envelope(tc))
            await start(pool, "random")
        for env in LATER:
            async with one.acquire() as conn, conn.transaction():
                await on_datasets_event(conn, env)
        async with batched.acquire() as conn, conn.transaction():
            await on_datasets_events(conn, LATER)

        expected = await read_model(one, READ_MODEL)
        assert await read_model(batched, READ_MODEL) == expected
        assert await last_totals(batched) == await last_totals(one)
        frames = {(r[0], r[1]): r for r in expected["frames"]}
        assert len(frames) == 24 and frames["v", "f3"][2] == "c"  # the first import of a frame wins
        assert ("v", "f20", "f20-car", ["car"], 0.5) in expected["rois"]  # a repeated frame's ROIs replace
        random = [r[3] for r in expected["plan"] if r[0] == "random"]
        # started: each event's new frames are appended after the plan, in plan order within the event
        assert [set(random[:10]), set(random[10:16]), set(random[16:20]), set(random[20:])] == [
            {f"f{i}" for i in range(10)},
            {f"f{i}" for i in range(10, 16)},
            {f"f{i}" for i in range(16, 20)},
            {"f20", "f21"},
        ]
        cars = [r[3] for r in expected["plan"] if r[0] == "cars"]  # not started: re-planned in sequential order
        assert cars == ["f0", "f3", "f6", "f9", "f11", "f13", "f15", "f16", "f17", "f18", "f19", "f20"]

        joined = await batched.fetch(
            "SELECT correlation_id, actor FROM events WHERE type LIKE '%TaskProgressed' ORDER BY position"
        )
        later = {e.correlation_id for e in LATER}  # progress from frames joining plans: the import's context
        assert {(r["correlation_id"] in later, r["actor"]) for r in joined[len(TASKS) :]} == {(True, "tester")}

        async with batched.acquire() as conn, conn.transaction():  # the same batch again: no second effect
            await on_datasets_events(conn, [*FIRST, *LATER])
        assert await read_model(batched, READ_MODEL) == expected


async def test_a_batch_of_one_event_goes_the_same_way_as_the_single_event_handler(postgres_dsn: str) -> None:
    async with fresh_iterator(postgres_dsn) as pool:
        async with pool.acquire() as conn, conn.transaction():
            await on_datasets_events(conn, FIRST[:1])
            await on_datasets_event(conn, FIRST[1])
            await on_datasets_events(conn, [])
        model = await read_model(pool, READ_MODEL)
    assert [r[1] for r in model["frames"]] == sorted(f"f{i}" for i in range(10))
    assert [r[2] for r in model["rois"]] == ["f0-car", "f3-car", "f6-car", "f9-car"]
