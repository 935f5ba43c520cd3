"""Per-version statistics kept current from annotation events (real annotation service, NATS, PostgreSQL),
copy-on-write children inheriting them, and publishing making edits fail."""

from __future__ import annotations

import grpc

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import current, known_frame, rect, save
from .conftest import Stubs
from .grpc_helpers import USER_MD, eventually, rpc_error


def _frame(i: int, rois: list[list[str]] = (), frame_labels: list[str] = ()) -> t.Frame:  # type: ignore[assignment]
    return t.Frame(
        frame_id=f"f{i:03d}",
        sources=[t.Source(id="cam", uri=f"file:///{i}.jpg", width=640, height=480)],
        rois=[
            t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=20, y=20)], labels=labels)
            for labels in rois
        ],
        frame_labels=frame_labels,
    )


def _figures(s: ds.VersionStats) -> tuple[int, int, int, dict[str, int], dict[str, int]]:
    return (
        s.frame_count,
        s.annotated_frame_count,
        s.roi_count,
        {c.label: c.count for c in s.roi_labels},
        {c.label: c.count for c in s.frame_labels},
    )


async def _stats_become(stubs: Stubs, version_id: str, expected: tuple) -> None:  # type: ignore[type-arg]
    async def check() -> bool:
        resp = await stubs.datasets.GetVersionStats(ds.GetVersionStatsRequest(version_id=version_id))
        return _figures(resp.stats) == expected

    await eventually(check, f"statistics of {version_id} to become {expected}", timeout=20)


async def test_statistics_follow_annotation_events_and_children_inherit_them(stubs: Stubs, unique: str) -> None:
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"stats-{unique}"), metadata=USER_MD)).dataset
    v = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1"))).version
    frames = [_frame(0, rois=[["car"], ["car", "bus"]]), _frame(1, frame_labels=["night"]), _frame(2)]
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames))
    parent_figures = (3, 2, 2, {"car": 2, "bus": 1}, {"night": 1})
    await _stats_become(stubs, v.version_id, parent_figures)  # imported annotations count, via their events

    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))
    child_req = ds.CreateVersionRequest(dataset_id=d.dataset_id, name="child", parent_version_id=v.version_id)
    child = (await stubs.datasets.CreateVersion(child_req)).version
    got = await stubs.datasets.GetVersionStats(ds.GetVersionStatsRequest(version_id=child.version_id))
    assert _figures(got.stats) == parent_figures  # inherited without copying anything

    f0 = await known_frame(stubs, child.version_id, "f000")
    both = next(r.roi_id for r in f0.rois if "bus" in r.labels)
    ref0 = t.FrameRef(version_id=child.version_id, frame_id="f000")
    await stubs.annotation.SaveFrame(
        save(ref0, f0.version, ann.Command(delete_roi=ann.DeleteRoi(roi_id=both))), metadata=USER_MD
    )
    ref2 = t.FrameRef(version_id=child.version_id, frame_id="f002")
    f2 = await known_frame(stubs, child.version_id, "f002")
    await stubs.annotation.SaveFrame(
        save(ref2, f2.version, ann.Command(add_frame_label=ann.AddFrameLabel(label="day"))), metadata=USER_MD
    )
    await _stats_become(stubs, child.version_id, (3, 3, 1, {"car": 1}, {"night": 1, "day": 1}))
    after = await stubs.datasets.GetVersionStats(ds.GetVersionStatsRequest(version_id=v.version_id))
    assert _figures(after.stats) == parent_figures  # the parent is untouched


async def test_publishing_makes_imports_and_annotation_edits_fail(stubs: Stubs, unique: str) -> None:
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"pub-{unique}"), metadata=USER_MD)).dataset
    v = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v1"))).version
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[_frame(2)]))
    await known_frame(stubs, v.version_id, "f002")
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))
    ref = t.FrameRef(version_id=v.version_id, frame_id="f002")

    async def edit_refused() -> bool:
        state = await current(stubs, ref)
        try:
            await stubs.annotation.SaveFrame(save(ref, state.version, rect("car")), metadata=USER_MD)
        except grpc.aio.AioRpcError as err:
            return err.code() == grpc.StatusCode.FAILED_PRECONDITION
        return False

    await eventually(edit_refused, "edits of a Published version to be refused")
    err = await rpc_error(
        stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[_frame(9)]))
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
