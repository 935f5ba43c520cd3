"""ExportFrames over real gRPC: pages of a version's frames (own and inherited, nearest state) in frame id order,
the caller checked against the version (another team's is like a missing one), filters and task plans asked of
the iterator (SelectFrames for annostream's services only, ListPlanFrames checked against the task's team)."""

from __future__ import annotations

import json
from typing import Any

import grpc
from grpc import aio

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as f
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import known_frame, rect, save
from .conftest import Stubs, as_user, frames, make_version
from .grpc_helpers import USER_MD, assert_status, eventually


async def _pages(call: Any) -> list[ann.ExportFramesResponse]:
    return [page async for page in call]


async def _error(call: Any) -> aio.AioRpcError:
    try:
        async for _ in call:
            pass
    except aio.AioRpcError as err:
        return err
    raise AssertionError("the stream ended without an error")


def _ids(pages: list[ann.ExportFramesResponse]) -> list[str]:
    return [x.frame_id for p in pages for x in p.frames]


async def test_export_pages_a_child_version_with_inherited_and_own_frames_and_states(stubs: Stubs, unique: str) -> None:
    parent = await make_version(stubs, unique, 5, publish=False)
    f1 = (await known_frame(stubs, parent.version_id, "f001")).frame
    await stubs.annotation.SaveFrame(save(f1, 0, rect("car", roi_id="c1")), metadata=USER_MD)
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=parent.version_id), metadata=USER_MD)
    req = ds.CreateVersionRequest(dataset_id=parent.dataset_id, name="child", parent_version_id=parent.version_id)
    child = (await stubs.datasets.CreateVersion(req, metadata=USER_MD)).version
    own = [t.Frame(frame_id=f"g{i}", sources=frames(1)[0].sources) for i in range(2)]
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=child.version_id, frames=own), metadata=USER_MD)
    await known_frame(stubs, child.version_id, "g1")
    f2 = (await known_frame(stubs, child.version_id, "f002")).frame
    await stubs.annotation.SaveFrame(save(f2, 0, rect("bus", roi_id="b1")), metadata=USER_MD)
    pages = await _pages(
        stubs.annotation.ExportFrames(
            ann.ExportFramesRequest(version_id=child.version_id, page_size=2), metadata=USER_MD
        )
    )
    assert [len(p.frames) for p in pages] == [2, 2, 2, 1] and {p.dataset_id for p in pages} == {parent.dataset_id}
    assert _ids(pages) == ["f000", "f001", "f002", "f003", "f004", "g0", "g1"]
    by_id = {x.frame_id: x for p in pages for x in p.frames}
    inherited, edited = json.loads(by_id["f001"].annotations_json), json.loads(by_id["f002"].annotations_json)
    assert [r["labels"] for r in inherited["rois"]] == [["car"]] and by_id["f001"].version == 0
    assert [r["labels"] for r in edited["rois"]] == [["bus"]]
    assert by_id["f002"].version > 0 and json.loads(by_id["g0"].annotations_json)["rois"] == []
    assert json.loads(by_id["f003"].base_json)["sources"][0]["width"] == 640


async def test_export_refuses_another_team_like_a_missing_version_and_bad_page_sizes(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    await known_frame(stubs, v.version_id)
    other = await _error(
        stubs.annotation.ExportFrames(
            ann.ExportFramesRequest(version_id=v.version_id), metadata=as_user("eve", "elsewhere")
        )
    )
    missing = await _error(
        stubs.annotation.ExportFrames(ann.ExportFramesRequest(version_id="ver_missing"), metadata=USER_MD)
    )
    assert_status(other, grpc.StatusCode.NOT_FOUND, "version_id")
    assert other.details().replace(v.version_id, "X") == missing.details().replace("ver_missing", "X")
    big = await _error(
        stubs.annotation.ExportFrames(
            ann.ExportFramesRequest(version_id=v.version_id, page_size=5000), metadata=USER_MD
        )
    )
    assert_status(big, grpc.StatusCode.INVALID_ARGUMENT, "page_size")
    assert_status(
        await _error(stubs.annotation.ExportFrames(ann.ExportFramesRequest(), metadata=USER_MD)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "version_id",
    )


async def test_filtered_and_task_exports_list_frames_through_the_iterator(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 6, publish=False)
    f4 = (await known_frame(stubs, v.version_id, "f004")).frame
    await stubs.annotation.SaveFrame(save(f4, 0, rect("dog")), metadata=USER_MD)
    rule = f.RoiRule(kind=f.ROI_RULE_KIND_INCLUDE, label_expression="dog")
    sel = f.FrameSelection(mode=f.FILTER_MODE_CUSTOM, filters=[f.FrameFilter(roi_rules=[rule])])
    req = ann.ExportFramesRequest(version_id=v.version_id, selection=sel)

    async def dogs() -> list[str]:
        return _ids(await _pages(stubs.annotation.ExportFrames(req, metadata=USER_MD)))

    assert await eventually(dogs, "the iterator to index the ROI") == ["f004"]
    empty = ann.ExportFramesRequest(version_id=v.version_id, selection=f.FrameSelection(mode=f.FILTER_MODE_EMPTY))
    assert _ids(await _pages(stubs.annotation.ExportFrames(empty, metadata=USER_MD))) == [
        "f000",
        "f001",
        "f002",
        "f003",
        "f005",
    ]
    bad = f.FrameSelection(mode=f.FILTER_MODE_CUSTOM, filters=[f.FrameFilter(frame_query="meta.x:[1 TO")])
    err = await _error(
        stubs.annotation.ExportFrames(ann.ExportFramesRequest(version_id=v.version_id, selection=bad), metadata=USER_MD)
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "selection.filters[0].frame_query" in err.details()
    user_select = stubs.iterator.SelectFrames(
        it.SelectFramesRequest(version_id=v.version_id, selection=sel), metadata=USER_MD
    )
    assert_status(await _error(user_select), grpc.StatusCode.PERMISSION_DENIED, "method")


async def test_plan_frames_are_listed_for_the_task_team_only(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 4, publish=True)
    sel = f.FrameSelection(
        mode=f.FILTER_MODE_CUSTOM, filters=[f.FrameFilter(source_query="source.uri:*2.jpg OR source.uri:*3.jpg")]
    )
    task = (
        await stubs.tasks.CreateTask(
            tk.CreateTaskRequest(name=f"t-{unique}", dataset_version_id=v.version_id, selection=sel), metadata=USER_MD
        )
    ).task

    async def planned() -> list[str]:
        req = ann.ExportFramesRequest(version_id=task.annotated_version_id, task_id=task.task_id)
        return _ids(await _pages(stubs.annotation.ExportFrames(req, metadata=USER_MD)))

    assert await eventually(planned, "the task's plan") == ["f002", "f003"]
    other = stubs.iterator.ListPlanFrames(
        it.ListPlanFramesRequest(task_id=task.task_id), metadata=as_user("eve", "elsewhere")
    )
    assert_status(await _error(other), grpc.StatusCode.NOT_FOUND, "task_id")
    wrong = ann.ExportFramesRequest(version_id=v.version_id, task_id=task.task_id)
    assert_status(
        await _error(stubs.annotation.ExportFrames(wrong, metadata=USER_MD)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "task_id",
    )
