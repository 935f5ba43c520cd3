"""How the datasets service stores imported frames: the messages come back as imported (without their initial
annotations), rows of the older JSON format are still read and skipped by id, concurrent imports into one
version never store a frame twice, and deleting a version or dataset leaves no frame behind."""

from __future__ import annotations

import asyncio
import json

import asyncpg

from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .conftest import Stubs, frames, make_version
from .grpc_helpers import USER_MD


def rich(i: int) -> t.Frame:
    f = t.Frame(
        frame_id=f"r{i:03d}",
        context_id=f"clip{i % 2}",
        timestamp=i * 40,
        sources=[
            t.Source(id="cam", uri=f"file:///{i}.jpg", width=100, height=50, preview_uri="p.jpg", timestamp=7),
            t.Source(id="lidar", uri=f"file:///{i}.pcd", width=10, height=10, masks=[t.Mask(id="m", uri="x.png")]),
        ],
        rois=[t.Roi(roi_id="a", type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=5, y=5)])],
        frame_labels=["day"],
    )
    f.metadata_json = json.dumps({"weather": "rain", "n": 3, "tags": ["a", None]})
    return f


async def test_frames_are_listed_back_as_imported_without_their_annotations(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 0, publish=False)
    sent = [rich(i) for i in range(4)]
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=sent))
    listed = await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=v.version_id))
    expected = []
    for f in sent:
        base = t.Frame()
        base.CopyFrom(f)
        base.ClearField("rois")
        base.ClearField("frame_labels")
        expected.append(base)
    assert list(listed.frames) == expected


async def test_rows_of_the_json_format_are_still_read_and_skipped_by_id(
    stubs: Stubs, unique: str, postgres_dsn: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)  # f000, stored as a message
    conn = await asyncpg.connect(postgres_dsn)
    try:  # a frame as the release before stored it: sources and metadata as JSON, no message
        await conn.execute(
            "INSERT INTO datasets.frames (version_id, frame_id, context_id, ts, sources, metadata)"
            " VALUES ($1, 'f001', 'old', 80, $2, $3)",
            v.version_id,
            json.dumps(
                [
                    {
                        "id": "cam",
                        "uri": "file:///old.jpg",
                        "width": 64,
                        "height": 48,
                        "masks": [{"id": "m", "uri": "m.png"}],
                    }
                ]
            ),
            json.dumps({"k": "v"}),
        )
        await conn.execute("UPDATE datasets.versions SET own_frame_count = 2 WHERE version_id = $1", v.version_id)
    finally:
        await conn.close()
    got = await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames(3)))
    assert (got.imported, got.skipped) == (1, 2)
    listed = (await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=v.version_id))).frames
    assert [f.frame_id for f in listed] == ["f000", "f001", "f002"]
    old = listed[1]
    assert (old.context_id, old.timestamp, old.sources[0].uri, old.sources[0].masks[0].id) == (
        "old",
        80,
        "file:///old.jpg",
        "m",
    )
    assert json.loads(old.metadata_json) == {"k": "v"}
    assert listed[2] == frames(3)[2]


async def test_concurrent_imports_into_one_version_store_each_frame_once(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 0, publish=False)
    batch = [
        t.Frame(frame_id=f"c{i:04d}", sources=[t.Source(uri=f"file:///{i}", width=1, height=1)]) for i in range(500)
    ]
    answers = await asyncio.gather(
        *(stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=batch)) for _ in range(4))
    )
    assert sorted((a.imported, a.skipped) for a in answers) == [(0, 500)] * 3 + [(500, 0)]
    got = await stubs.datasets.GetVersion(ds.GetVersionRequest(version_id=v.version_id))
    assert got.version.frame_count == 500


async def test_deleting_a_version_or_a_dataset_removes_its_frames(stubs: Stubs, unique: str, postgres_dsn: str) -> None:
    v = await make_version(stubs, unique, 3, publish=False)
    other = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=v.dataset_id, name="v2"))).version
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=other.version_id, frames=frames(2)))
    ids = [v.version_id, other.version_id]
    conn = await asyncpg.connect(postgres_dsn)
    try:
        count = "SELECT count(*) FROM datasets.frames WHERE version_id = ANY($1::text[])"
        assert await conn.fetchval(count, ids) == 5
        await stubs.datasets.DeleteVersion(ds.DeleteVersionRequest(version_id=other.version_id))
        assert await conn.fetchval(count, ids) == 3
        await stubs.datasets.DeleteDataset(ds.DeleteDatasetRequest(dataset_id=v.dataset_id), metadata=USER_MD)
        assert await conn.fetchval(count, ids) == 0
    finally:
        await conn.close()
