"""The iterator's annotation consumer applies a batch with the effect of its events one at a time (issue 18): a run
of created ROIs on a frame without its own state yet gives the frame its own state (copy on write from an ancestor)
in the same statement as the run's upsert (real PostgreSQL)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
from google.protobuf.message import Message

from annostream_iterator.adapters.postgres import ConsumerRepositories
from annostream_iterator.service_layer.consumers import Consumers
from annostream_kernel.db import create_pool, migrate
from annostream_protos.events.v1 import annotation_pb2 as an
from annostream_protos.events.v1 import envelope_pb2

from ..annotation_events import envelope, rect, ref
from .iterator_helpers import frame, index

CONSUMERS = Consumers(ConsumerRepositories)  # as bootstrap wires them (no task: FrameSaved finishes nothing)
TABLES = (
    "SELECT version_id, frame_id, metadata FROM marks ORDER BY 1, 2",
    "SELECT version_id, frame_id, roi_id, labels, confidence FROM rois ORDER BY 1, 2, 3",
)


def saves() -> list[envelope_pb2.EventEnvelope]:
    """Runs of created ROIs on fresh frames of a root and a child version (one re-creating a ROI id the parent has),
    the parent's frame changed before the child's frame copies it, and other events between runs."""
    p1, c1, c2, p3 = ref("v1", "f1"), ref("v2", "f1"), ref("v2", "f2"), ref("v1", "f3")
    msgs: list[Message] = [an.RoiCreated(frame=p3, roi=rect(f"n{i}", "car")) for i in range(5)]  # fresh, root
    msgs += [an.FrameSaved(frame=p3)]
    msgs += [an.RoiCreated(frame=p1, roi=rect("p-new", "bus")), an.RoiLabelAdded(frame=p1, roi_id="f1-r0", label="x")]
    msgs += [an.RoiCreated(frame=c1, roi=rect("f1-r1", "truck")), an.RoiCreated(frame=c1, roi=rect("c-new", "car"))]
    msgs += [an.RoiCreated(frame=p3, roi=rect("n9", "car"))]  # a frame owned earlier in the batch, in the run
    msgs += [an.RoiDeleted(frame=c1, roi_id="f1-r0"), an.FrameSaved(frame=c1)]
    msgs += [an.RoiRestored(frame=c2, roi=rect("f2-r0", "person")), an.FrameSaved(frame=c2)]  # fresh child frame
    return [envelope(m) for m in msgs]


async def _seed(pool: asyncpg.Pool) -> None:
    await index(pool, "v1", [frame("f1"), frame("f2"), frame("f3")], {"f1": [(["car"], 0.5), (["car"], None)]})
    await index(pool, "v2", [], {}, parent="v1")
    await pool.execute("INSERT INTO marks (version_id, frame_id) VALUES ('v1', 'f1') ON CONFLICT DO NOTHING")


async def _tables(pool: asyncpg.Pool) -> list[list[tuple[object, ...]]]:
    return [[tuple(r) for r in await pool.fetch(q)] for q in TABLES]


@contextlib.asynccontextmanager
async def _schema(postgres_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    schema = f"itb_{uuid.uuid4().hex[:12]}"
    pool = await create_pool(postgres_dsn, schema, min_size=1, max_size=4)
    await migrate(pool, schema, ["annostream_iterator.migrations"])
    try:
        await _seed(pool)
        yield pool
    finally:
        with contextlib.suppress(Exception):
            await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()


async def test_a_batch_has_the_effect_of_its_events_one_at_a_time(postgres_dsn: str) -> None:
    events = saves()
    async with _schema(postgres_dsn) as one, _schema(postgres_dsn) as batch:
        for env in events:
            async with one.acquire() as conn, conn.transaction():
                await CONSUMERS.on_annotation_event(conn, env)
        async with batch.acquire() as conn, conn.transaction():
            await CONSUMERS.on_annotation_events(conn, events)
        expected = await _tables(one)
        assert await _tables(batch) == expected
        marks, rois = expected
        assert [m[:2] for m in marks] == [("v1", "f1"), ("v1", "f3"), ("v2", "f1"), ("v2", "f2")]
        child = {r[2]: r[3] for r in rois if r[:2] == ("v2", "f1")}
        # copied from the parent as it was after its own edits, the re-created ROI replaced, the deleted one gone
        assert child == {"f1-r1": ["truck"], "c-new": ["car"], "p-new": ["bus"]}
        assert [r[2] for r in rois if r[:2] == ("v1", "f3")] == ["n0", "n1", "n2", "n3", "n4", "n9"]
