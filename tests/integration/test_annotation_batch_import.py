"""The annotation service's datasets consumer: a multi-event batch through the batch handler stores the same
base frames, imported annotation events and projections as the same events one by one (imports before a
publish in the same batch are applied before it), and imports delivered again change nothing."""

from __future__ import annotations

import contextlib
import json

import asyncpg
from google.protobuf import any_pb2, json_format
from google.protobuf.message import Message

from annostream_annotation.service_layer.consumers import datasets_batch_handler, datasets_handler
from annostream_protos.events.v1 import datasets_pb2, envelope_pb2
from annostream_protos.types.v1 import frames_pb2 as t

from .schema_helpers import fresh_schema, read_model

READ_MODEL = {
    "versions": "SELECT * FROM versions ORDER BY version_id",
    "base_frames": "SELECT version_id, frame_id, doc FROM base_frames ORDER BY version_id, frame_id",
    "projections": "SELECT version_id, frame_id, stream_version, doc FROM frame_projections"
    " ORDER BY version_id, frame_id",
    "events": "SELECT stream_id, stream_version, type, actor, correlation_id FROM events"
    " ORDER BY stream_id, stream_version",
    "saves": "SELECT stream_id, actor, kind, from_version, to_version FROM saves ORDER BY stream_id, to_version",
}
N = iter(range(1_000_000))


def envelope(payload: Message) -> envelope_pb2.EventEnvelope:
    env = envelope_pb2.EventEnvelope(actor="importer", correlation_id=f"corr-{next(N)}")
    packed = any_pb2.Any()
    packed.Pack(payload)  # type: ignore[arg-type]
    env.payload.CopyFrom(packed)
    return env


def frame(fid: str, *, rois: list[str] = (), labels: list[str] = (), uri: str = "", meta: bool = False) -> t.Frame:  # type: ignore[assignment]
    f = t.Frame(
        frame_id=fid,
        context_id="ctx",
        timestamp=40,
        sources=[
            t.Source(id="cam", uri=uri or f"file:///{fid}.jpg", width=64, height=48, masks=[t.Mask(id="m", uri="x")]),
            t.Source(id="side", uri=f"file:///{fid}-side.jpg", width=32, height=24, timestamp=3),
        ],
        rois=[
            t.Roi(roi_id=f"{fid}-{label}", type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=9, y=9)])
            for label in rois
        ],
        frame_labels=labels,
    )
    for roi, label in zip(f.rois, rois, strict=True):
        roi.labels.append(label)
    if meta:
        f.metadata.update({"weather": "rain", "n": 2})
    return f


def imported(version: str, *frames: t.Frame) -> envelope_pb2.EventEnvelope:
    return envelope(datasets_pb2.FramesImported(dataset_id="d", version_id=version, frames=frames))


EVENTS = [
    envelope(datasets_pb2.VersionCreated(dataset_id="d", version_id="v")),
    imported("v", frame("a", rois=["car", "bus"], labels=["day"], meta=True), frame("b"), frame("c", labels=["x"])),
    imported("v", frame("b", uri="file:///other.jpg"), frame("d", rois=["person"])),
    envelope(datasets_pb2.VersionPublished(dataset_id="d", version_id="v")),  # after the imports in the batch
    envelope(datasets_pb2.VersionCreated(dataset_id="d", version_id="child", parent_version_id="v")),
    imported("child", frame("e", rois=["car"])),
]


def fresh_annotation(dsn: str) -> contextlib.AbstractAsyncContextManager[asyncpg.Pool]:
    return fresh_schema(dsn, "anb", "annostream_annotation.migrations")


async def test_a_batch_stores_what_the_same_events_one_by_one_store(postgres_dsn: str) -> None:
    one_handler, batch_handler = datasets_handler("n"), datasets_batch_handler("n")
    async with fresh_annotation(postgres_dsn) as one, fresh_annotation(postgres_dsn) as batched:
        for env in EVENTS:
            async with one.acquire() as conn, conn.transaction():
                await one_handler(conn, env)
        for _ in range(2):  # delivered again (before the publish): no second effect
            async with batched.acquire() as conn, conn.transaction():
                await batch_handler(conn, EVENTS[:2])
        async with batched.acquire() as conn, conn.transaction():  # an import, then the publish, in one batch
            await batch_handler(conn, EVENTS[2:])
        expected = await read_model(one, READ_MODEL)
        assert await read_model(batched, READ_MODEL) == expected

    base = {(r[0], r[1]): json.loads(r[2]) for r in expected["base_frames"]}
    assert base["v", "b"]["sources"][0]["uri"] == "file:///b.jpg"  # the first import of a frame wins
    assert base["v", "a"] == json_format.MessageToDict(frame("a", meta=True), preserving_proto_field_name=True)
    assert "rois" not in base["v", "a"] and "frame_labels" not in base["v", "a"]
    assert [(r[0], r[1]) for r in expected["versions"]] == [("child", "d"), ("v", "d")]
    assert [r[3] for r in expected["versions"]] == ["draft", "published"]
    events = [r for r in expected["events"] if r[0].startswith("frame:")]
    assert [(r[0], r[2].rsplit(".", 1)[-1]) for r in events if r[0] == "frame:v:a"] == [
        ("frame:v:a", "RoiCreated"),
        ("frame:v:a", "RoiCreated"),
        ("frame:v:a", "FrameLabelAdded"),
    ]
    assert {r[0] for r in events} == {"frame:v:a", "frame:v:c", "frame:v:d", "frame:child:e"}
    assert {r[3] for r in events} == {"import"}  # imported annotations are the import's events
    by_frame = {r[0]: r[4] for r in events}
    corr = [e.correlation_id for e in EVENTS]
    assert (by_frame["frame:v:a"], by_frame["frame:v:d"], by_frame["frame:child:e"]) == (corr[1], corr[2], corr[5])
    assert [(r[0], r[1], r[2]) for r in expected["projections"]] == [
        ("child", "e", 1),
        ("v", "a", 3),
        ("v", "c", 1),
        ("v", "d", 1),
    ]
