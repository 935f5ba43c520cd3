"""A save's answer reuses the Roi messages of the ROIs it created and of the ROIs of the frame's previous answer no
change touched, and deciding never changes an event after the fact: the answer and the outbox payloads are what
building each from its document gives (pure, no servers)."""

from __future__ import annotations

from annostream_annotation import wire
from annostream_annotation.domain import commands as c
from annostream_annotation.domain import events as ev
from annostream_annotation.domain.model import FrameAggregate
from annostream_annotation.domain.roi import RoiSpec, RoiType
from annostream_annotation.service_layer.frame_cache import CachedFrame, FrameCache, untouched
from annostream_annotation.service_layer.session import FrameSession
from annostream_protos.types.v1 import frames_pb2 as t

SOURCES = {"cam": (640, 480)}
BASE = {"frame_id": "f", "sources": [{"id": "cam", "width": 640, "height": 480}]}
REF = t.FrameRef(dataset_id="d", version_id="v", frame_id="f")


def rect(roi_id: str, x: float = 10, labels: tuple[str, ...] = ("car",)) -> c.CreateRoi:
    return c.CreateRoi(RoiSpec(roi_id, RoiType.RECTANGLE, ((x, 10), (x + 50, 60)), labels))


def decided(*cmds: c.Command) -> tuple[FrameSession, list[ev.Event]]:
    agg = FrameAggregate(None, 0, SOURCES)
    events = [e for i, cmd in enumerate(cmds) for e in agg.decide(cmd, i)]
    return FrameSession(None, REF, BASE, agg, 0), events  # type: ignore[arg-type]


def test_the_answer_of_a_save_that_creates_then_edits_rois_equals_the_frame_built_from_its_documents() -> None:
    session, events = decided(
        rect("a"),
        rect("b", 100),
        rect("c", 200),
        c.AddRoiLabel("b", "red"),
        c.MoveRoi("c", 5, 5),
        c.RemoveRoiLabel("a", "car"),
        c.DeleteRoi("a"),
        rect("a", 300, ("bus",)),
    )
    prepared = session.prepare(events, task_id="", kind="save")
    assert prepared is not None
    assert set(prepared.rois) == {"a"}  # b and c were changed after they were created, a re-created last
    doc = session.agg.doc
    assert wire.frame_state(REF, 8, BASE, doc, known=prepared.rois) == wire.frame_state(REF, 8, BASE, doc)
    rois = {r.roi_id: r for r in wire.frame_state(REF, 8, BASE, doc, known=prepared.rois).rois}
    assert list(rois["b"].labels) == ["car", "red"]
    assert [(p.x, p.y) for p in rois["c"].points] == [(205, 15), (255, 65)]
    assert list(rois["a"].labels) == ["bus"]


def test_edits_later_in_a_save_leave_the_created_event_and_its_outbox_payload_as_decided() -> None:
    session, events = decided(rect("r"), c.AddRoiLabel("r", "red"), c.RemoveRoiLabel("r", "car"), c.LockRoi("r"))
    created = events[0]
    assert isinstance(created, ev.RoiCreated)
    assert created.roi["labels"] == ["car"] and created.roi["locked"] is False
    prepared = session.prepare(events, task_id="", kind="save")
    assert prepared is not None
    payload = prepared.outbox[0].payload
    assert list(payload.roi.labels) == ["car"] and not payload.roi.locked  # type: ignore[attr-defined]
    assert session.agg.rois["r"]["labels"] == ["red"] and session.agg.rois["r"]["locked"] is True


def test_the_answer_after_a_save_reuses_the_untouched_rois_of_the_previous_answer_and_equals_a_fresh_build() -> None:
    session, events = decided(rect("a"), rect("b", 100), rect("c", 200))
    prepared = session.prepare(events, task_id="", kind="save")
    assert prepared is not None
    first = wire.frame_state(REF, 3, BASE, session.agg.doc, known=prepared.rois)
    more = [
        e
        for i, cmd in enumerate([c.MoveRoi("b", 1, 2), c.AddFrameLabel("day"), c.LockRoi("c")])
        for e in session.agg.decide(cmd, i)
    ]
    known = untouched(first.rois, more)
    assert set(known) == {"a"}  # the frame label touched no ROI
    second = wire.frame_state(REF, 6, BASE, session.agg.doc, known=known)
    fresh = wire.frame_state(REF, 6, BASE, session.agg.doc)
    assert second == fresh and second.SerializeToString() == fresh.SerializeToString()
    assert [(p.x, p.y) for p in first.rois[1].points] == [(100, 10), (150, 60)] and not first.rois[2].locked


def test_an_inherited_state_leaves_no_roi_to_reuse() -> None:
    session, _ = decided(rect("a"))
    state = wire.frame_state(REF, 1, BASE, session.agg.doc)
    inherited = ev.FrameInherited("parent", {"rois": [], "frame_labels": [], "metadata": {}})
    assert set(untouched(state.rois, [ev.FrameLabelAdded("l")])) == {"a"}
    assert untouched(state.rois, [ev.FrameLabelAdded("l"), inherited]) == {}


def test_the_frame_cache_keeps_the_answer_rois_of_its_most_recent_entries_within_its_budget() -> None:
    states = {n: wire.frame_state(REF, 1, BASE, decided(rect(n))[0].agg.doc) for n in "1234567"}
    cache = FrameCache(size=3, answers_bytes=20)

    def put(n: str, size: int = 10) -> None:
        cache.put(n, CachedFrame(REF, BASE, 1, "{}", states[n].rois if size else (), size))

    def rois_of(n: str) -> object:
        f = cache.take(n)
        return "missing" if f is None else f.rois

    for n in "123":
        put(n)
    assert rois_of("1") == ()  # kept, without its ROIs: 30 bytes held, over the budget of 20
    assert rois_of("3") is states["3"].rois
    put("3")
    put("4")
    put("5", size=0)
    put("6")
    assert [rois_of(n) for n in "23456"] == ["missing", "missing", states["4"].rois, (), states["6"].rois]
    put("7", size=21)  # larger than the whole budget: kept without its ROIs
    assert rois_of("7") == ()
