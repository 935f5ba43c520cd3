"""Filter semantics (a table mirroring every rule of the issue), order, seed, limit, clips and lineage,
evaluated by the iterator's compiled SQL on real PostgreSQL."""

from __future__ import annotations

import hashlib

import asyncpg
import pytest

from annostream_iterator.adapters.index import IndexedRoi, IndexStore
from annostream_iterator.domain.model import FrameOrder
from annostream_protos.types.v1 import filters_pb2 as fl

from .iterator_helpers import build_plan, custom, frame, index, iterator_pool, rule

__all__ = ["iterator_pool"]

FRAMES = [
    frame(
        "f01",
        meta={"city": "bremen", "speed": 30, "tags": ["night", "rain"]},
        sources=[{"id": "front", "uri": "s3://b/f01.jpg", "width": 1920, "height": 1080}],
    ),
    frame(
        "f02",
        meta={"city": "berlin", "speed": 60},
        sources=[
            {"id": "front", "uri": "gs://x/f02.png", "width": 640, "height": 480},
            {"id": "rear", "uri": "gs://x/f02r.png", "width": 640, "height": 480},
        ],
    ),
    frame(
        "f03",
        meta={"city": "bremen", "nested": {"a": {"b": 1}}},
        sources=[{"id": "rear", "uri": "gs://x/f03.png", "width": 1280, "height": 720}],
    ),
    frame("f04", sources=[{"id": "front", "uri": "gs://x/f04.png", "width": 800, "height": 600}]),
    frame("f05", meta={"speed": "fast", "label with space": True}),
    frame("f06", meta={"city": "Bremen"}),
]
ROIS = {
    "f01": [(["car", "red"], 0.9)],
    "f02": [(["car"], 0.4), (["person", "red"], 0.8)],
    "f03": [(["car"], None), (["car"], None), (["car"], None)],
    "f05": [(["parked car"], 0.7), (["truck", "red"], 0.2)],
    "f06": [(["red"], None)],
}
ALL = ["f01", "f02", "f03", "f04", "f05", "f06"]

F = fl.FrameFilter
TABLE: list[tuple[str, fl.FrameSelection, list[str]]] = [
    ("all frames: no filter", fl.FrameSelection(mode=fl.FILTER_MODE_ALL), ALL),
    ("empty frames: no ROI at all", fl.FrameSelection(mode=fl.FILTER_MODE_EMPTY), ["f04"]),
    ("include needs ONE ROI carrying all labels", custom(F(roi_rules=[rule("car AND red")])), ["f01"]),
    ("two include rules may be met by different ROIs", custom(F(roi_rules=[rule("car"), rule("red")])), ["f01", "f02"]),
    ("exclude: no ROI carries the label", custom(F(roi_rules=[rule("car", exclude=True)])), ["f04", "f05", "f06"]),
    ("include and exclude together", custom(F(roi_rules=[rule("red"), rule("car", exclude=True)])), ["f05", "f06"]),
    ("count range: at least 2 matching ROIs", custom(F(roi_rules=[rule("car", min_count=2)])), ["f03"]),
    ("count range: at most 1", custom(F(roi_rules=[rule("car", max_count=1)])), ["f01", "f02"]),
    (
        "count range 0..0 = frames without such ROI",
        custom(F(roi_rules=[rule("car", min_count=0, max_count=0)])),
        ["f04", "f05", "f06"],
    ),
    ("confidence range", custom(F(roi_rules=[rule("car", min_confidence=0.5, max_confidence=1.0)])), ["f01"]),
    (
        "confidence: ROIs without confidence never match a range",
        custom(F(roi_rules=[rule("*", max_confidence=0.3)])),
        ["f05"],
    ),
    ("OR inside a label expression", custom(F(roi_rules=[rule("truck OR person")])), ["f02", "f05"]),
    ("NOT: a ROI without the label", custom(F(roi_rules=[rule("NOT car")])), ["f02", "f05", "f06"]),
    ("quoted label with a space", custom(F(roi_rules=[rule('"parked car"')])), ["f05"]),
    ("wildcard", custom(F(roi_rules=[rule("*car")])), ["f01", "f02", "f03", "f05"]),
    ("wildcard alone: any labelled ROI", custom(F(roi_rules=[rule("*")])), ["f01", "f02", "f03", "f05", "f06"]),
    ("meta equality (case-sensitive string)", custom(F(frame_query='meta.city:"bremen"')), ["f01", "f03"]),
    ("meta glob", custom(F(frame_query="meta.city:b*")), ["f01", "f02", "f03"]),
    ("meta inclusive range (numbers only)", custom(F(frame_query="meta.speed:[10 TO 50]")), ["f01"]),
    ("meta exclusive range", custom(F(frame_query="meta.speed:{30 TO 60]")), ["f02"]),
    ("meta comparison", custom(F(frame_query="meta.speed > 40")), ["f02"]),
    ("meta array element", custom(F(frame_query="meta.tags:night")), ["f01"]),
    ("meta nested key", custom(F(frame_query="meta.nested.a.b:1")), ["f03"]),
    ("meta quoted key and boolean", custom(F(frame_query='meta."label with space":true')), ["f05"]),
    ("meta exists", custom(F(frame_query="meta.speed:*")), ["f01", "f02", "f05"]),
    ("NOT meta exists: frames without the key", custom(F(frame_query="NOT meta.city:*")), ["f04", "f05"]),
    (
        "meta AND / OR with parentheses",
        custom(F(frame_query="(meta.city:berlin OR meta.speed:30) AND NOT meta.x:*")),
        ["f01", "f02"],
    ),
    ("source id", custom(F(source_query="source.id:rear")), ["f02", "f03"]),
    ("source width range", custom(F(source_query="source.width:[1000 TO *]")), ["f01", "f03"]),
    ("source uri glob", custom(F(source_query='source.uri:"gs://x/*.png"')), ["f02", "f03", "f04"]),
    (
        "one source must satisfy the whole source query",
        custom(F(source_query="source.id:front AND source.width < 1000")),
        ["f02", "f04", "f05", "f06"],
    ),
    ("filters are ORed", custom(F(roi_rules=[rule("truck")]), F(source_query="source.id:rear")), ["f02", "f03", "f05"]),
    (
        "rules, frame and source query inside one filter are ANDed",
        custom(F(roi_rules=[rule("car")], frame_query='meta.city:"bremen"', source_query="source.id:rear")),
        ["f03"],
    ),
]


@pytest.mark.parametrize(("name", "selection", "expected"), TABLE, ids=[t[0] for t in TABLE])
async def test_filter_semantics(
    iterator_pool: asyncpg.Pool, name: str, selection: fl.FrameSelection, expected: list[str]
) -> None:
    await index(iterator_pool, "v1", FRAMES, ROIS)
    rows = await build_plan(iterator_pool, "v1", selection)
    assert sorted(f for _, _, f in rows) == expected, name


def md5_order(seed: int, frame_ids: list[str]) -> list[str]:
    """The documented random order, computed outside PostgreSQL."""
    return sorted(frame_ids, key=lambda f: (hashlib.md5(f"{seed}:{f}".encode()).hexdigest(), f.encode()))


async def test_sequential_order_is_context_then_timestamp_then_id_and_random_order_is_md5_of_seed_and_id(
    iterator_pool: asyncpg.Pool,
) -> None:
    frames = [frame(f"x{i:02d}", ctx=f"ctx{i % 3}", ts=(7 * i) % 5) for i in range(30)]
    await index(iterator_pool, "v1", frames, {})
    seq = [f for _, _, f in await build_plan(iterator_pool, "v1", fl.FrameSelection())]
    assert seq == [f.frame_id for f in sorted(frames, key=lambda f: (f.context_id, f.timestamp, f.frame_id))]
    ids = [f.frame_id for f in frames]
    rnd = [
        f for _, _, f in await build_plan(iterator_pool, "v1", fl.FrameSelection(), order=FrameOrder.RANDOM, seed=42)
    ]
    assert rnd == md5_order(42, ids)
    again = await build_plan(iterator_pool, "v1", fl.FrameSelection(), order=FrameOrder.RANDOM, seed=42)
    assert [f for _, _, f in again] == rnd
    other = await build_plan(iterator_pool, "v1", fl.FrameSelection(), order=FrameOrder.RANDOM, seed=43)
    assert [f for _, _, f in other] != rnd


async def test_limit_takes_the_first_n_of_the_order_or_fewer(iterator_pool: asyncpg.Pool) -> None:
    await index(iterator_pool, "v1", [frame(f"x{i:02d}") for i in range(10)], {})
    rows = await build_plan(iterator_pool, "v1", fl.FrameSelection(), order=FrameOrder.RANDOM, seed=5, limit=4)
    assert [f for _, _, f in rows] == md5_order(5, [f"x{i:02d}" for i in range(10)])[:4]
    assert len(await build_plan(iterator_pool, "v1", fl.FrameSelection(), limit=50)) == 10


async def test_clips_are_consecutive_frames_of_one_context(iterator_pool: asyncpg.Pool) -> None:
    frames = [frame(f"a{i}", ctx="A", ts=i) for i in range(5)] + [frame(f"b{i}", ctx="B", ts=i) for i in range(3)]
    await index(iterator_pool, "v1", frames, {})
    rows = await build_plan(iterator_pool, "v1", fl.FrameSelection(), clip=2)
    clips: dict[int, list[str]] = {}
    for _, unit, f in rows:
        clips.setdefault(unit, []).append(f)
    assert list(clips.values()) == [["a0", "a1"], ["a2", "a3"], ["a4"], ["b0", "b1"], ["b2"]]
    rnd = await build_plan(iterator_pool, "v1", fl.FrameSelection(), clip=2, order=FrameOrder.RANDOM, seed=9)
    units: dict[int, list[str]] = {}
    for _, unit, f in rnd:
        units.setdefault(unit, []).append(f)
    assert sorted(map(tuple, units.values())) == sorted(map(tuple, clips.values()))  # same clips, seeded order
    assert [u[0] for u in units.values()] == md5_order(9, [c[0] for c in clips.values()])


async def test_a_child_version_sees_parent_frames_and_its_own_edits(iterator_pool: asyncpg.Pool) -> None:
    await index(iterator_pool, "v1", FRAMES, ROIS)
    await index(iterator_pool, "v2", [frame("f07")], {"f07": [(["car"], 0.5)]}, parent="v1")
    async with iterator_pool.acquire() as conn, conn.transaction():
        store = IndexStore(conn)
        await store.own_state("v2", "f01")  # f01 edited in the child: copy-on-write, then relabelled
        await store.put_roi("v2", "f01", IndexedRoi("f01-r0", ["bus"], 0.9))
    cars = custom(fl.FrameFilter(roi_rules=[rule("car")]))
    assert sorted(f for _, _, f in await build_plan(iterator_pool, "v2", cars)) == ["f02", "f03", "f07"]
    assert sorted(f for _, _, f in await build_plan(iterator_pool, "v1", cars)) == ["f01", "f02", "f03"]
    red = custom(fl.FrameFilter(roi_rules=[rule("red")]))  # the copied state keeps the parent's other ROIs
    assert sorted(f for _, _, f in await build_plan(iterator_pool, "v2", red)) == ["f02", "f05", "f06"]
