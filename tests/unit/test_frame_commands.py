"""Frame aggregate: editor commands, locks, rebase rule, compensation (revert/undo) — pure domain."""

from __future__ import annotations

import pytest

from annostream_annotation.domain import commands as c
from annostream_annotation.domain import events as ev
from annostream_annotation.domain.conflicts import NewerEvent, check_rebase
from annostream_annotation.domain.history import compensate, items_of, replay, restore
from annostream_annotation.domain.model import FrameAggregate
from annostream_annotation.domain.roi import RoiSpec, RoiType
from annostream_kernel.errors import Conflict, FailedPrecondition, InvalidArgument

SOURCES = {"cam": (640, 480)}


def rect(roi_id: str, x: float = 10, labels: tuple[str, ...] = ("car",)) -> c.CreateRoi:
    return c.CreateRoi(RoiSpec(roi_id, RoiType.RECTANGLE, ((x, 10), (x + 50, 60)), labels))


def frame(*cmds: c.Command) -> FrameAggregate:
    agg = FrameAggregate(None, 0, SOURCES)
    for i, cmd in enumerate(cmds):
        agg.decide(cmd, i)
    return agg


def test_move_then_reshape_then_labels_change_one_roi() -> None:
    agg = frame(rect("r"), c.MoveRoi("r", 5, -5), c.AddRoiLabel("r", "red"), c.RemoveRoiLabel("r", "car"))
    roi = agg.rois["r"]
    assert roi["points"] == [[15, 5], [65, 55]]
    assert roi["labels"] == ["red"]
    assert agg.version == 4


def test_noop_commands_produce_no_events() -> None:
    agg = frame(rect("r"))
    assert agg.decide(c.AddRoiLabel("r", "car")) == []
    assert agg.decide(c.UnlockRoi("r")) == []
    assert agg.decide(c.RemoveFrameLabel("absent")) == []
    assert agg.decide(c.MoveRoi("r", 0, 0)) == []


def test_a_locked_roi_rejects_everything_but_unlock() -> None:
    agg = frame(rect("r"), c.LockRoi("r"))
    for cmd in (c.MoveRoi("r", 1, 1), c.DeleteRoi("r"), c.AddRoiLabel("r", "x"), c.SetRoiMetadata("r", {})):
        with pytest.raises(FailedPrecondition):
            agg.decide(cmd)
    assert [e.kind for e in agg.decide(c.UnlockRoi("r"))] == ["RoiUnlocked"]


def test_moving_out_of_the_image_is_refused() -> None:
    agg = frame(rect("r"))
    with pytest.raises(InvalidArgument) as err:
        agg.decide(c.MoveRoi("r", 1000, 0), 3)
    assert err.value.field == "commands[3].move_roi.dx"
    assert "outside" in err.value.message


def test_lock_all_locks_only_unlocked_rois() -> None:
    agg = frame(rect("a"), rect("b", 100), c.LockRoi("a"))
    assert [e.roi_id for e in agg.decide(c.LockAllRois())] == ["b"]


def test_rebase_allows_other_rois_and_refuses_the_same_roi() -> None:
    newer = [NewerEvent(ev.RoiMoved("a", 1, 0), 5, "ev-1", "alice")]
    check_rebase((c.MoveRoi("b", 1, 1),), newer, 4, 5)
    check_rebase((c.AddFrameLabel("night"),), newer, 4, 5)
    with pytest.raises(Conflict) as err:
        check_rebase((c.DeleteRoi("a"),), newer, 4, 5)
    assert err.value.details["actor"] == "alice" and err.value.details["roi_id"] == "a"
    with pytest.raises(Conflict):
        check_rebase((c.LockAllRois(),), newer, 4, 5)


def test_rebase_on_frame_fields_conflicts_per_label_and_on_metadata() -> None:
    newer = [
        NewerEvent(ev.FrameLabelAdded("night"), 2, "e", "bob"),
        NewerEvent(ev.FrameMetadataSet({}), 3, "f", "bob"),
    ]
    check_rebase((c.AddFrameLabel("day"),), newer, 1, 3)
    with pytest.raises(Conflict):
        check_rebase((c.RemoveFrameLabel("night"),), newer, 1, 3)
    with pytest.raises(Conflict):
        check_rebase((c.SetFrameMetadata({"a": 1}),), newer, 1, 3)


def test_inherited_state_never_conflicts() -> None:
    newer = [NewerEvent(ev.FrameInherited("p", {}), 1, "", "")]
    check_rebase((c.DeleteRoi("a"), c.SetFrameMetadata({})), newer, 0, 1)


def test_compensation_turns_the_current_state_into_an_earlier_one() -> None:
    agg = frame(
        rect("a"),
        c.AddFrameLabel("day"),
        c.MoveRoi("a", 3, 3),
        rect("b", 200),
        c.RemoveFrameLabel("day"),
        c.SetFrameMetadata({"k": 1}),
    )
    target = frame(rect("a"), c.AddFrameLabel("day"))
    for e in compensate(agg, target):
        agg.apply(e)
    assert agg.doc == target.doc


def test_replaying_the_events_of_a_frame_gives_its_state() -> None:
    agg = FrameAggregate(None, 0, SOURCES)
    events = [
        e
        for i, cmd in enumerate([rect("a"), c.MoveRoi("a", 1, 2), c.LockRoi("a"), c.AddFrameLabel("x")])
        for e in agg.decide(cmd, i)
    ]
    assert replay(events, SOURCES).doc == agg.doc


def test_restore_refuses_when_someone_changed_the_item_since() -> None:
    before = frame(rect("a"))
    after = frame(rect("a"), c.MoveRoi("a", 5, 0))
    now = frame(rect("a"), c.MoveRoi("a", 5, 0), c.MoveRoi("a", 1, 0))
    with pytest.raises(Conflict):
        restore(now, {("roi", "a")}, expected=after, target=before, action="undo")
    undo = restore(after, items_of([ev.RoiMoved("a", 5, 0)]), expected=after, target=before, action="undo")
    assert [e.kind for e in undo] == ["RoiRestored"]
