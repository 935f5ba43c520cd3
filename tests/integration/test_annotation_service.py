"""Annotation service over real gRPC: events + projection in one transaction, optimistic concurrency,
idempotent retries, copy-on-write frames of child versions, read-only Published versions."""

from __future__ import annotations

import asyncio

import grpc

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, details, eventually, rpc_error


def rect(label: str, x: float = 10) -> ann.Command:
    roi = t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=x, y=10), t.Point(x=x + 50, y=60)], labels=[label])
    return ann.Command(create_roi=ann.CreateRoi(roi=roi))


def save(ref: t.FrameRef, expected: int, *commands: ann.Command, key: str = "") -> ann.SaveFrameRequest:
    return ann.SaveFrameRequest(frame=ref, expected_version=expected, idempotency_key=key, commands=commands)


async def _known_frame(stubs: Stubs, version_id: str, frame_id: str = "f000") -> ann.FrameState:
    ref = t.FrameRef(version_id=version_id, frame_id=frame_id)
    resp = await eventually(
        lambda: stubs.annotation.GetFrame(ann.GetFrameRequest(frame=ref)),
        "the annotation service to consume the frames",
    )
    return resp.frame


async def test_a_save_appends_events_and_the_projection_shows_them(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await _known_frame(stubs, v.version_id)
    assert frame.version == 0 and frame.base.sources[0].width == 640
    resp = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car"), rect("bus", 200)), metadata=USER_MD)
    assert resp.frame.version == 2 and len(resp.event_ids) == 2
    got = (await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=frame.frame))).frame
    assert [list(r.labels) for r in got.rois] == [["car"], ["bus"]]
    assert got.version == 2


async def test_a_stale_version_is_aborted_and_writes_nothing(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await _known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car")))
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0, rect("bus"))))
    assert_status(err, grpc.StatusCode.ABORTED, "expected_version")
    assert details(err)["current_version"] == 1
    got = (await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=frame.frame))).frame
    assert [list(r.labels) for r in got.rois] == [["car"]]


async def test_concurrent_saves_on_one_version_let_exactly_one_win(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await _known_frame(stubs, v.version_id)
    results = await asyncio.gather(
        *(stubs.annotation.SaveFrame(save(frame.frame, 0, rect(f"l{i}"))) for i in range(8)), return_exceptions=True
    )
    wins = [r for r in results if isinstance(r, ann.SaveFrameResponse)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 7
    assert all(e.code() == grpc.StatusCode.ABORTED for e in losses)


async def test_a_retried_idempotency_key_returns_the_first_result_and_appends_nothing(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await _known_frame(stubs, v.version_id)
    first = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car"), key=f"k-{unique}"))
    retry = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car"), key=f"k-{unique}"))
    assert retry == first
    got = (await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=frame.frame))).frame
    assert got.version == 1 and len(got.rois) == 1


async def test_invalid_edits_name_the_field_and_the_batch_is_all_or_nothing(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await _known_frame(stubs, v.version_id)
    outside = rect("far", x=10_000)
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0, rect("ok"), outside)))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands[1].create_roi.roi.points[0]")
    got = (await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=frame.frame))).frame
    assert got.version == 0 and not got.rois
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0)))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands")
    missing = t.FrameRef(version_id=v.version_id, frame_id="nope")
    err = await rpc_error(stubs.annotation.SaveFrame(save(missing, 0, rect("x"))))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "frame.frame_id")


async def test_published_versions_are_read_only_and_children_inherit_annotations(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await _known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car")))
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))

    async def refused() -> grpc.aio.AioRpcError | None:
        # A stale expected_version makes the probe write nothing while the event is still in flight
        # (ABORTED); the Published check comes first, so once the event is applied it answers that.
        err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 999, rect("late"))))
        return err if err.code() == grpc.StatusCode.FAILED_PRECONDITION else None

    err = await eventually(refused, "the annotation service to see the version Published")
    assert "frame.version_id" in (err.details() or "")

    child = (
        await stubs.datasets.CreateVersion(
            ds.CreateVersionRequest(dataset_id=v.dataset_id, name="child", parent_version_id=v.version_id)
        )
    ).version
    inherited = await _known_frame(stubs, child.version_id)
    assert inherited.version == 0 and [list(r.labels) for r in inherited.rois] == [["car"]]
    resp = await stubs.annotation.SaveFrame(save(inherited.frame, 0, rect("bus", 300)))
    assert [list(r.labels) for r in resp.frame.rois] == [["car"], ["bus"]]
    parent_now = (await stubs.annotation.GetFrame(ann.GetFrameRequest(frame=frame.frame))).frame
    assert [list(r.labels) for r in parent_now.rois] == [["car"]]  # the parent is untouched
