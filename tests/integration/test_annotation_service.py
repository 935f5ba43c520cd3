"""Annotation service over real gRPC: every editor command, invariants, optimistic concurrency with rebase,
idempotent retries, copy-on-write frames of child versions, read-only Published versions."""

from __future__ import annotations

import asyncio
import json

import grpc

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import current, known_frame, labels_of, move, rect, save, struct
from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, details, rpc_error

ALICE = (("x-annostream-user", "alice"),)
BOB = (("x-annostream-user", "bob"),)


async def test_a_save_appends_events_and_the_projection_shows_them(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    assert frame.version == 0 and frame.base.sources[0].width == 640
    resp = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car"), rect("bus", 200)), metadata=USER_MD)
    assert resp.frame.version == 2 and len(resp.event_ids) == 2 and not resp.rebased
    got = await current(stubs, frame.frame)
    assert labels_of(got) == [["car"], ["bus"]]
    assert got.version == 2


async def test_every_editor_command_changes_the_frame(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    frame = await known_frame(stubs, v.version_id)
    poly = t.Roi(
        roi_id="p",
        type=t.ROI_TYPE_POLYGON,
        labels=["road"],
        points=[t.Point(x=1, y=1), t.Point(x=100, y=1), t.Point(x=50, y=80)],
    )
    kp = t.Roi(roi_id="k", type=t.ROI_TYPE_KEYPOINTS, points=[t.Point(x=5, y=5)], confidence=0.5)
    ell = t.Roi(
        roi_id="e", type=t.ROI_TYPE_ELLIPSE, points=[t.Point(x=300, y=300), t.Point(x=320, y=340)], source_id="cam"
    )
    cmds = [
        rect("car", roi_id="r"),
        ann.Command(create_roi=ann.CreateRoi(roi=poly)),
        ann.Command(create_roi=ann.CreateRoi(roi=kp)),
        ann.Command(create_roi=ann.CreateRoi(roi=ell)),
        move("r", 5, 5),
        ann.Command(
            reshape_roi=ann.ReshapeRoi(
                roi_id="p", points=[t.Point(x=2, y=2), t.Point(x=9, y=2), t.Point(x=5, y=9), t.Point(x=1, y=8)]
            )
        ),
        ann.Command(add_roi_label=ann.AddRoiLabel(roi_id="r", label="red car")),
        ann.Command(remove_roi_label=ann.RemoveRoiLabel(roi_id="p", label="road")),
        ann.Command(set_roi_metadata=ann.SetRoiMetadata(roi_id="k", metadata=struct({"occluded": True}))),
        ann.Command(lock_roi=ann.LockRoi(roi_id="e")),
        ann.Command(delete_roi=ann.DeleteRoi(roi_id="k")),
        ann.Command(add_frame_label=ann.AddFrameLabel(label="night")),
        ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata=struct({"weather": "rain"}))),
    ]
    resp = await stubs.annotation.SaveFrame(save(frame.frame, 0, *cmds))
    state = resp.frame
    rois = {r.roi_id: r for r in state.rois}
    assert set(rois) == {"r", "p", "e"}
    assert [(p.x, p.y) for p in rois["r"].points] == [(15, 15), (65, 65)]
    assert len(rois["p"].points) == 4 and list(rois["p"].labels) == []
    assert list(rois["r"].labels) == ["car", "red car"] and rois["e"].locked
    assert list(state.frame_labels) == ["night"] and json.loads(state.metadata_json) == {"weather": "rain"}

    # A locked ROI refuses every change but unlock; lock-all / unlock-all; frame label removal.
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, state.version, move("e", 1, 1))))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "commands[0].move_roi.roi_id")
    err = await rpc_error(
        stubs.annotation.SaveFrame(save(frame.frame, state.version, ann.Command(delete_roi=ann.DeleteRoi(roi_id="e"))))
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    resp = await stubs.annotation.SaveFrame(
        save(frame.frame, state.version, ann.Command(lock_all_rois=ann.LockAllRois()))
    )
    assert all(r.locked for r in resp.frame.rois)
    resp = await stubs.annotation.SaveFrame(
        save(
            frame.frame,
            resp.frame.version,
            ann.Command(unlock_all_rois=ann.UnlockAllRois()),
            ann.Command(remove_frame_label=ann.RemoveFrameLabel(label="night")),
        )
    )
    assert not any(r.locked for r in resp.frame.rois) and list(resp.frame.frame_labels) == []


async def test_paste_copies_rois_onto_another_frame_with_new_ids_each_time(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    f0 = await known_frame(stubs, v.version_id, "f000")
    f1 = await known_frame(stubs, v.version_id, "f001")
    saved = await stubs.annotation.SaveFrame(save(f0.frame, 0, rect("car", roi_id="orig")))
    copied = saved.frame.rois[0]
    paste = ann.Command(
        paste_rois=ann.PasteRois(
            rois=[copied], origins=[ann.RoiOrigin(version_id=v.version_id, frame_id="f000", roi_id="orig")]
        )
    )
    first = await stubs.annotation.SaveFrame(save(f1.frame, 0, paste))
    second = await stubs.annotation.SaveFrame(save(f1.frame, first.frame.version, paste))
    rois = second.frame.rois
    assert len(rois) == 2 and len({r.roi_id for r in rois} | {"orig"}) == 3
    assert [(p.x, p.y) for p in rois[1].points] == [(p.x, p.y) for p in copied.points]


async def test_invalid_edits_name_the_field_and_the_batch_is_all_or_nothing(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0, rect("ok"), rect("far", x=10_000))))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands[1].create_roi.roi.points[0]")
    got = await current(stubs, frame.frame)
    assert got.version == 0 and not got.rois
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0)))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands")
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 0, move("ghost", 1))))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "commands[0].move_roi.roi_id")
    big = struct({"blob": "x" * 70_000})
    err = await rpc_error(
        stubs.annotation.SaveFrame(
            save(frame.frame, 0, ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata=big)))
        )
    )
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands[0].set_frame_metadata.metadata")
    err = await rpc_error(
        stubs.annotation.SaveFrame(save(frame.frame, 0, *[rect(f"l{i}", roi_id=f"r{i}") for i in range(1001)]))
    )
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "commands")
    missing = t.FrameRef(version_id=v.version_id, frame_id="nope")
    err = await rpc_error(stubs.annotation.SaveFrame(save(missing, 0, rect("x"))))
    assert_status(err, grpc.StatusCode.NOT_FOUND, "frame.frame_id")


async def test_edits_of_different_rois_merge_and_same_roi_edits_conflict_naming_who(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    base = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("a", roi_id="a"), rect("b", 200, roi_id="b")))
    seen = base.frame.version
    alice = await stubs.annotation.SaveFrame(save(frame.frame, seen, move("a", 3)), metadata=ALICE)
    bob = await stubs.annotation.SaveFrame(save(frame.frame, seen, move("b", 4)), metadata=BOB)  # stale, other ROI
    assert bob.rebased and bob.frame.version == seen + 2
    xs = {r.roi_id: r.points[0].x for r in bob.frame.rois}
    assert xs == {"a": 13, "b": 204}

    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, seen, move("a", 9)), metadata=BOB))
    assert_status(err, grpc.StatusCode.ABORTED, "expected_version")
    d = details(err)
    assert (d["roi_id"], d["actor"], d["event_type"]) == ("a", "alice", "RoiMoved")
    assert d["event_id"] == alice.event_ids[0] and d["current_version"] == seen + 2
    assert "alice" in (err.details() or "")
    assert (await current(stubs, frame.frame)).version == seen + 2  # the refused save wrote nothing


async def test_concurrent_saves_of_one_roi_let_exactly_one_win(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    base = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("a", roi_id="a")))
    results = await asyncio.gather(
        *(stubs.annotation.SaveFrame(save(frame.frame, base.frame.version, move("a", 1))) for _ in range(8)),
        return_exceptions=True,
    )
    wins = [r for r in results if isinstance(r, ann.SaveFrameResponse)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 7
    assert all(e.code() == grpc.StatusCode.ABORTED for e in losses)
    creates = await asyncio.gather(
        *(
            stubs.annotation.SaveFrame(save(frame.frame, base.frame.version, rect(f"n{i}", roi_id=f"n{i}")))
            for i in range(8)
        )
    )
    assert len(creates) == 8  # creating different ROIs from the same version all merge
    assert len((await current(stubs, frame.frame)).rois) == 9


async def test_a_retried_idempotency_key_returns_the_first_result_and_appends_nothing(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    first = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car"), key=f"k-{unique}"))
    retry = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car"), key=f"k-{unique}"))
    assert retry == first
    got = await current(stubs, frame.frame)
    assert got.version == 1 and len(got.rois) == 1


async def test_an_idempotency_key_is_scoped_to_its_frame(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 2, publish=False)
    one, two = await known_frame(stubs, v.version_id, "f000"), await known_frame(stubs, v.version_id, "f001")
    first = await stubs.annotation.SaveFrame(save(one.frame, 0, rect("car"), key=f"same-{unique}"))
    other = await stubs.annotation.SaveFrame(save(two.frame, 0, rect("bus"), key=f"same-{unique}"))
    assert other.frame.frame.frame_id == "f001" and other.event_ids != first.event_ids
    assert labels_of(await current(stubs, two.frame)) == [["bus"]]


async def test_published_versions_are_read_only_and_children_inherit_annotations(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car", roi_id="c")))
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))

    # PublishVersion answers only once the annotation service refuses edits: the very next save fails.
    err = await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 1, rect("late"))))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "frame.version_id" in (err.details() or "")

    child = (
        await stubs.datasets.CreateVersion(
            ds.CreateVersionRequest(dataset_id=v.dataset_id, name="child", parent_version_id=v.version_id)
        )
    ).version
    inherited = await known_frame(stubs, child.version_id)
    assert inherited.version == 0 and labels_of(inherited) == [["car"]]
    resp = await stubs.annotation.SaveFrame(save(inherited.frame, 0, rect("bus", 300), move("c", 1)))
    assert labels_of(resp.frame) == [["car"], ["bus"]]
    assert resp.frame.version == 3  # FrameInherited + two edits
    parent_now = await current(stubs, frame.frame)
    assert labels_of(parent_now) == [["car"]] and parent_now.rois[0].points[0].x == 10  # the parent is untouched


async def test_a_save_stream_answers_every_save_in_order_and_a_refused_one_does_not_end_it(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = (await known_frame(stubs, v.version_id)).frame
    first = save(frame, 0, rect("car", roi_id="c"), key=f"s1-{unique}")
    requests = [
        first,
        save(frame, 1, rect("")),  # an empty label: INVALID_ARGUMENT naming the field
        save(frame, 1, move("c", 5)),
        save(frame, 1, move("c", 7)),  # made against version 1 too: the same ROI moved since, ABORTED
        first,  # a retried key: the first answer again, nothing appended
        save(frame, 2, rect("bus", 300, roi_id="b")),
    ]
    call = stubs.annotation.SaveFrames((ann.SaveFramesRequest(save=r) for r in requests), metadata=USER_MD)
    answers = [a async for a in call]
    assert [a.WhichOneof("result") for a in answers] == ["saved", "error", "saved", "error", "saved", "saved"]
    assert [a.saved.frame.version for a in answers if a.HasField("saved")] == [1, 2, 1, 3]
    assert (answers[1].error.code, answers[3].error.code) == ("INVALID_ARGUMENT", "ABORTED")
    assert answers[1].error.field.startswith("commands[0]") and "label" in answers[1].error.message
    assert answers[3].error.details["roi_id"] == "c"
    assert answers[4].saved == answers[0].saved
    state = await current(stubs, frame)
    assert state.version == 3 and {r.roi_id: r.points[0].x for r in state.rois} == {"c": 15, "b": 300}


async def test_each_answer_of_saves_one_after_another_equals_the_frame_read_back(stubs: Stubs, unique: str) -> None:
    """Saves of a frame this process just saved reuse the ROIs of the previous answer that no change touched: every
    answer still holds exactly the stored state (GetFrame builds it from the projection)."""
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    steps = [
        [rect("car", roi_id="a"), rect("bus", 100, roi_id="b"), rect("van", 200, roi_id="c")],
        [move("b", 3, 4)],
        [ann.Command(add_roi_label=ann.AddRoiLabel(roi_id="a", label="red"))],
        [ann.Command(add_frame_label=ann.AddFrameLabel(label="night"))],
        [ann.Command(lock_all_rois=ann.LockAllRois())],
        [ann.Command(unlock_roi=ann.UnlockRoi(roi_id="c")), move("c", -1, 0)],
        [ann.Command(set_roi_metadata=ann.SetRoiMetadata(roi_id="c", metadata=struct({"occluded": True})))],
        [ann.Command(delete_roi=ann.DeleteRoi(roi_id="c")), rect("truck", 300, roi_id="c")],
        [ann.Command(unlock_all_rois=ann.UnlockAllRois()), move("a", 1, 1), move("a", 1, 1)],
    ]
    version = 0
    for commands in steps:
        resp = await stubs.annotation.SaveFrame(save(frame.frame, version, *commands))
        version = resp.version
        assert resp.frame == await current(stubs, frame.frame)
    assert [list(r.labels) for r in resp.frame.rois] == [["car", "red"], ["bus"], ["truck"]]
