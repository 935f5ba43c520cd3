"""History and time travel over real gRPC: who/what/when, state at a version or time, revert, undo/redo."""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import timestamp_pb2

from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import current, known_frame, labels_of, move, rect, save
from .conftest import Stubs, make_version
from .grpc_helpers import assert_status, rpc_error

ALICE = (("x-annostream-user", "alice"),)
BOB = (("x-annostream-user", "bob"),)


async def test_history_lists_who_did_what_and_time_travel_replays_it(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    s1 = await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car", roi_id="a")), metadata=ALICE)
    s2 = await stubs.annotation.SaveFrame(
        save(frame.frame, 1, move("a", 7), rect("bus", 200, roi_id="b")), metadata=BOB
    )
    hist = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=frame.frame))
    assert [(e.version, e.type, e.actor, e.roi_id) for e in hist.events] == [
        (1, "RoiCreated", "alice", "a"),
        (2, "RoiMoved", "bob", "a"),
        (3, "RoiCreated", "bob", "b"),
    ]
    assert hist.current_version == 3 and json.loads(hist.events[1].data_json)["dx"] == 7
    assert [e.event_id for e in hist.events] == [*s1.event_ids, *s2.event_ids]

    at1 = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, version=1))
    assert at1.frame.version == 1 and labels_of(at1.frame) == [["car"]] and at1.frame.rois[0].points[0].x == 10
    at0 = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, version=0))
    assert not at0.frame.rois
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    by_time = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, time=now))
    assert by_time.frame.version == 3
    err = await rpc_error(stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, version=9)))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "version")


async def test_revert_appends_compensating_events_and_keeps_history(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car", roi_id="a")))
    await stubs.annotation.SaveFrame(
        save(
            frame.frame,
            1,
            move("a", 5),
            rect("bus", 200, roi_id="b"),
            ann.Command(add_frame_label=ann.AddFrameLabel(label="night")),
        )
    )
    err = await rpc_error(
        stubs.annotation.RevertFrame(ann.RevertFrameRequest(frame=frame.frame, to_version=1, expected_version=1))
    )
    assert_status(err, grpc.StatusCode.ABORTED, "expected_version")
    resp = await stubs.annotation.RevertFrame(
        ann.RevertFrameRequest(frame=frame.frame, to_version=1, expected_version=4)
    )
    at1 = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, version=1))
    assert list(resp.frame.rois) == list(at1.frame.rois) and not resp.frame.frame_labels
    assert resp.frame.version > 4  # appended, never rewritten
    hist = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=frame.frame))
    assert sorted(e.type for e in hist.events[-3:]) == ["FrameLabelRemoved", "RoiDeleted", "RoiRestored"]


async def test_undo_and_redo_reverse_only_the_callers_own_last_save(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("a", roi_id="a")), metadata=ALICE)
    await stubs.annotation.SaveFrame(save(frame.frame, 1, move("a", 5)), metadata=ALICE)
    await stubs.annotation.SaveFrame(save(frame.frame, 2, rect("b", 200, roi_id="b")), metadata=BOB)

    undone = await stubs.annotation.UndoSave(ann.UndoSaveRequest(frame=frame.frame), metadata=ALICE)
    xs = {r.roi_id: r.points[0].x for r in undone.frame.rois}
    assert xs == {"a": 10, "b": 200}  # alice's move is undone, bob's ROI stays
    redone = await stubs.annotation.RedoSave(ann.RedoSaveRequest(frame=frame.frame), metadata=ALICE)
    assert {r.roi_id: r.points[0].x for r in redone.frame.rois} == {"a": 15, "b": 200}
    err = await rpc_error(stubs.annotation.RedoSave(ann.RedoSaveRequest(frame=frame.frame), metadata=ALICE))
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "frame")

    # Undo twice walks back alice's saves; it is refused when someone else changed the same ROI since.
    await stubs.annotation.UndoSave(ann.UndoSaveRequest(frame=frame.frame), metadata=ALICE)  # the redo
    state = await current(stubs, frame.frame)
    await stubs.annotation.SaveFrame(save(frame.frame, state.version, move("a", 1)), metadata=BOB)
    err = await rpc_error(stubs.annotation.UndoSave(ann.UndoSaveRequest(frame=frame.frame), metadata=ALICE))
    assert_status(err, grpc.StatusCode.ABORTED, "frame")
    err = await rpc_error(
        stubs.annotation.UndoSave(ann.UndoSaveRequest(frame=frame.frame), metadata=(("x-annostream-user", "nobody"),))
    )
    assert_status(err, grpc.StatusCode.FAILED_PRECONDITION, "frame")


async def test_a_save_against_the_version_this_process_last_wrote_still_merges_an_undo_made_since(
    stubs: Stubs, unique: str
) -> None:
    # The service remembers the frame as its last save wrote it (version 2) and skips the read for a save
    # made against that version; bob's undo (version 3) is not in that memory, so the conditional write must
    # miss, re-read and rebase alice's move over the undo instead of bringing bob's ROI back.
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("a", roi_id="a")), metadata=ALICE)
    await stubs.annotation.SaveFrame(save(frame.frame, 1, rect("b", 200, roi_id="b")), metadata=BOB)
    undone = await stubs.annotation.UndoSave(ann.UndoSaveRequest(frame=frame.frame), metadata=BOB)
    assert undone.frame.version == 3 and [r.roi_id for r in undone.frame.rois] == ["a"]

    moved = await stubs.annotation.SaveFrame(save(frame.frame, 2, move("a", 5)), metadata=ALICE)
    assert moved.rebased and moved.frame.version == 4
    assert {r.roi_id: r.points[0].x for r in moved.frame.rois} == {"a": 15}
    assert {r.roi_id: r.points[0].x for r in (await current(stubs, frame.frame)).rois} == {"a": 15}


async def test_time_travel_to_version_zero_of_a_child_versions_frame_shows_what_it_inherited(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    await stubs.annotation.SaveFrame(save(frame.frame, 0, rect("car", roi_id="a"), rect("bus", 200, roi_id="b")))
    await stubs.datasets.PublishVersion(ds.PublishVersionRequest(version_id=v.version_id))
    child = (
        await stubs.datasets.CreateVersion(
            ds.CreateVersionRequest(dataset_id=v.dataset_id, name="child", parent_version_id=v.version_id)
        )
    ).version
    inherited = await known_frame(stubs, child.version_id)
    before = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=inherited.frame, version=0))
    assert before.frame.version == 0 and labels_of(before.frame) == [["car"], ["bus"]]  # not edited here yet

    edited = await stubs.annotation.SaveFrame(save(inherited.frame, 0, move("a", 5), rect("van", 300, roi_id="c")))
    assert edited.frame.version == 3  # FrameInherited, then the two edits
    at0 = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=inherited.frame, version=0))
    assert at0.frame.version == 0 and labels_of(at0.frame) == [["car"], ["bus"]]
    assert at0.frame.rois[0].points[0].x == 10  # as inherited, before the move
    reverted = await stubs.annotation.RevertFrame(
        ann.RevertFrameRequest(frame=inherited.frame, to_version=0, expected_version=3)
    )
    assert labels_of(reverted.frame) == [["car"], ["bus"]]  # back to what it inherited, not to nothing


def _meta(m: Any) -> Any:
    """A frame's (or base frame's) metadata as JSON travels."""
    return json.loads(m.metadata_json or "{}")


async def test_a_frames_metadata_is_the_imported_one_until_edited_and_then_the_edited_one(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 0, publish=False)
    imported = t.Frame(
        frame_id="m0",
        context_id="ctx",
        sources=[t.Source(id="cam", uri="file:///m0.jpg", width=640, height=480)],
        metadata_json='{"weather": "rain", "lane": 2}',
    )
    await stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[imported]))
    frame = await known_frame(stubs, v.version_id, "m0")
    assert _meta(frame) == {"weather": "rain", "lane": 2} == _meta(frame.base)

    set_meta = ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata_json='{"weather": "snow"}'))
    edited = await stubs.annotation.SaveFrame(save(frame.frame, 0, set_meta))
    assert _meta(edited.frame) == {"weather": "snow"} == _meta(await current(stubs, frame.frame))
    assert _meta(edited.frame.base) == {"weather": "rain", "lane": 2}  # the import itself is kept
    at0 = await stubs.annotation.GetFrameAt(ann.GetFrameAtRequest(frame=frame.frame, version=0))
    assert _meta(at0.frame) == {"weather": "rain", "lane": 2}

    cleared = ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata_json="{}"))
    again = await stubs.annotation.SaveFrame(save(frame.frame, 1, cleared))
    assert _meta(again.frame) == {"weather": "rain", "lane": 2}  # emptied: the imported metadata shows
