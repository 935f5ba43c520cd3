"""Product limits over real gRPC: nothing is stored that cannot be read back, saves say what was stored, reused
idempotency keys are refused, and metadata keeps its integers everywhere it goes."""

from __future__ import annotations

import json
import math

import grpc

from annostream_kernel.limits import MAX_FRAME_STATE_BYTES, MAX_METADATA_BYTES, MAX_POINTS_PER_SHAPE
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as fl
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import current, known_frame, save
from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, details, eventually, rpc_error

BIG = 2**53 + 1  # the first integer a double cannot hold


def polygon(n: int, *, label: str = "", metadata_json: str = "") -> ann.Command:
    """A closed polygon of n points on a circle inside a 640x480 source."""
    pts = [
        t.Point(x=320 + 200 * math.cos(2 * math.pi * i / n), y=240 + 200 * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]
    roi = t.Roi(type=t.ROI_TYPE_POLYGON, points=pts, labels=[label] if label else [], metadata_json=metadata_json)
    return ann.Command(create_roi=ann.CreateRoi(roi=roi))


async def test_three_saves_of_a_100000_point_polygon_are_refused_and_the_frame_stays_readable(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, polygon(100, label="small")))
    huge = polygon(100_000)
    for _ in range(3):
        err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 1, huge)))
        assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands[0].create_roi.roi.points")
        assert str(MAX_POINTS_PER_SHAPE) in (err.details() or "")
    got = await current(stubs, frame.frame)
    assert got.version == 1 and [list(r.labels) for r in got.rois] == [["small"]]
    events = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=frame.frame))
    assert (events.current_version, len(events.events)) == (1, 1)


async def test_a_save_that_would_take_the_frame_over_its_state_size_is_refused_before_it_is_stored(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    blob = json.dumps({"blob": "x" * (MAX_METADATA_BYTES - 100)})
    per_save = MAX_FRAME_STATE_BYTES // len(blob) * 5 // 12  # two saves fit, the third does not
    batch = [polygon(3, metadata_json=blob) for _ in range(per_save)]
    for version in (0, 1):
        saved = await stubs.annotation.SaveFrame(save(frame.frame, version * per_save, *batch))
        assert saved.version == (version + 1) * per_save and not saved.frame_omitted
        assert len(saved.frame.rois) == (version + 1) * per_save
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 2 * per_save, *batch)))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands")
    assert details(err)["limit"] == "MAX_FRAME_STATE_BYTES" and details(err)["bytes"] > MAX_FRAME_STATE_BYTES
    got = await current(stubs, frame.frame)
    assert (got.version, len(got.rois)) == (2 * per_save, 2 * per_save)


async def test_an_idempotency_key_reused_with_a_different_request_is_refused(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    first = await stubs.annotation.SaveFrame(save(frame.frame, 0, polygon(3, label="car"), key="k1"))
    again = await stubs.annotation.SaveFrame(save(frame.frame, 0, polygon(3, label="car"), key="k1"))
    assert list(again.event_ids) == list(first.event_ids) and again.version == first.version == 1
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0, polygon(3, label="bus"), key="k1")))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "idempotency_key")
    assert "idempotency key reused with a different request" in (err.details() or "")
    assert details(err)["reason"] == "idempotency_key_reused"
    got = await current(stubs, frame.frame)
    assert got.version == 1 and [list(r.labels) for r in got.rois] == [["car"]]


async def test_integer_metadata_keeps_its_exact_value_through_import_save_reads_history_and_filters(
    stubs: Stubs, unique: str
) -> None:
    d = (await stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"ints-{unique}"), metadata=USER_MD)).dataset
    v = (await stubs.datasets.CreateVersion(ds.CreateVersionRequest(dataset_id=d.dataset_id, name="v"))).version
    source = t.Source(id="cam", uri="file:///a.jpg", width=640, height=480)
    roi = t.Roi(roi_id="r", type=t.ROI_TYPE_POLYGON, points=polygon(3).create_roi.roi.points)
    roi.metadata.update({"count": 12})  # the older Struct form: its whole numbers come back as integers
    frames = [
        t.Frame(frame_id="big", sources=[source], metadata_json=json.dumps({"n": BIG}), rois=[roi]),
        t.Frame(frame_id="near", sources=[source], metadata_json=json.dumps({"n": BIG - 1})),
    ]
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=frames))
    listed = (await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=v.version_id))).frames
    assert [json.loads(f.metadata_json) for f in listed] == [{"n": BIG}, {"n": BIG - 1}]
    state = await known_frame(stubs, v.version_id, "big")
    assert json.loads(state.base.metadata_json) == {"n": BIG}
    assert json.loads(state.rois[0].metadata_json) == {"count": 12}

    meta = json.dumps({"n": BIG, "list": [BIG, 1.5]})
    set_meta = ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata_json=meta))
    saved = await stubs.annotation.SaveFrame(save(state.frame, state.version, set_meta))
    assert json.loads(saved.frame.metadata_json) == {"n": BIG, "list": [BIG, 1.5]}
    assert json.loads((await current(stubs, state.frame)).metadata_json)["n"] == BIG
    events = (await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=state.frame))).events
    assert json.loads(events[-1].data_json)["metadata"]["n"] == BIG
    at = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=state.frame, version=saved.version))
    assert json.loads(at.frame.metadata_json)["list"] == [BIG, 1.5]

    selection = fl.FrameSelection(mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(frame_query=f"meta.n:{BIG}")])
    task = (
        await stubs.tasks.CreateTask(
            tk.CreateTaskRequest(name=f"ints {unique}", dataset_version_id=v.version_id, selection=selection),
            metadata=USER_MD,
        )
    ).task

    async def selected() -> int:
        progress = await stubs.iterator.GetProgress(it.GetProgressRequest(task_id=task.task_id))
        return int(progress.total)

    assert await eventually(selected, "the iterator to plan the task") == 1  # "near" differs by one: not selected
    lease = await stubs.iterator.NextFrame(it.NextFrameRequest(task_id=task.task_id, annotator="a"))
    assert lease.frame.frame_id == "big"
