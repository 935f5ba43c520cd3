"""Property: random interleavings of batches from several annotators with stale views, checked against a
simple independent model — the final projection equals the model, no event is lost or duplicated, and
every refusal is a real conflict on the same ROI or frame label."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annostream_annotation.domain import commands as c
from annostream_annotation.domain.conflicts import NewerEvent, rebase_and_decide
from annostream_annotation.domain.events import Event
from annostream_annotation.domain.history import replay
from annostream_annotation.domain.roi import RoiSpec, RoiType
from annostream_kernel.errors import Conflict

SOURCES = {"cam": (100_000, 100_000)}


@dataclass
class Store:
    """The system under test: an event list and the domain's save rule."""

    events: list[tuple[Event, str]] = field(default_factory=list)

    def save(self, actor: str, expected: int, cmds: tuple[c.Command, ...]) -> Conflict | None:
        state = replay((e for e, _ in self.events), SOURCES)
        newer = [NewerEvent(e, v + 1, f"ev{v + 1}", a) for v, (e, a) in enumerate(self.events) if v >= expected]
        try:
            new = rebase_and_decide(state, cmds, newer, expected, len(self.events))
        except Conflict as err:
            return err
        self.events.extend((e, actor) for e in new)
        return None


@dataclass
class Model:
    """Independent oracle: ROI id → (x, labels), frame labels, and when each item was last touched."""

    rois: dict[str, tuple[float, list[str]]] = field(default_factory=dict)
    frame_labels: list[str] = field(default_factory=list)
    touched: list[tuple[int, tuple[str, str]]] = field(default_factory=list)
    version: int = 0

    def conflicts(self, expected: int, items: set[tuple[str, str]]) -> bool:
        return any(v > expected and item in items for v, item in self.touched)

    def apply(self, cmd: c.Command) -> None:
        self.version += 1
        match cmd:
            case c.CreateRoi(roi=spec):
                self.rois[spec.roi_id] = (spec.points[0][0], list(spec.labels))
                item = ("roi", spec.roi_id)
            case c.MoveRoi(roi_id=rid, dx=dx):
                x, labels = self.rois[rid]
                self.rois[rid] = (x + dx, labels)
                item = ("roi", rid)
            case c.AddRoiLabel(roi_id=rid, label=label):
                self.rois[rid][1].append(label)
                item = ("roi", rid)
            case c.DeleteRoi(roi_id=rid):
                del self.rois[rid]
                item = ("roi", rid)
            case c.AddFrameLabel(label=label):
                self.frame_labels.append(label)
                item = ("frame_label", label)
        self.touched.append((self.version, item))


def items(cmds: tuple[c.Command, ...]) -> set[tuple[str, str]]:
    return {
        ("frame_label", x.label)
        if isinstance(x, c.AddFrameLabel)
        else ("roi", x.roi.roi_id)
        if isinstance(x, c.CreateRoi)
        else ("roi", x.roi_id)
        for x in cmds
    }  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_interleaved_annotators_match_the_model(data: st.DataObject) -> None:
    store, model = Store(), Model()
    ids = itertools.count()
    views: dict[str, tuple[int, dict[str, tuple[float, list[str]]]]] = {a: (0, {}) for a in ("ann", "bob", "cyd")}
    expected_events = 0
    for _ in range(data.draw(st.integers(5, 25), label="steps")):
        actor = data.draw(st.sampled_from(sorted(views)), label="actor")
        if data.draw(st.booleans(), label="refresh"):
            views[actor] = (model.version, {k: (v[0], list(v[1])) for k, v in model.rois.items()})
            continue
        seen, view = views[actor]
        cmds: list[c.Command] = []
        used: set[str] = set()
        for _ in range(data.draw(st.integers(1, 3), label="batch")):
            choices = [r for r in view if r not in used]
            kind = data.draw(st.sampled_from(["create", "frame_label", *(["move", "label", "delete"] * bool(choices))]))
            n = next(ids)
            if kind == "create":
                cmds.append(c.CreateRoi(RoiSpec(f"r{n}", RoiType.RECTANGLE, ((n, 1), (n + 5, 6)), (f"l{n}",))))
                continue
            if kind == "frame_label":
                cmds.append(c.AddFrameLabel(data.draw(st.sampled_from(["day", "night", f"x{n}"]))))
                continue
            rid = data.draw(st.sampled_from(sorted(choices)))
            used.add(rid)
            cmds.append(
                {"move": c.MoveRoi(rid, 1.0, 0.0), "label": c.AddRoiLabel(rid, f"m{n}"), "delete": c.DeleteRoi(rid)}[
                    kind
                ]
            )
        batch = tuple(cmds)
        labels_now = set(model.frame_labels)
        must_conflict = model.conflicts(seen, items(batch))
        result = store.save(actor, seen, batch)
        assert (result is not None) == must_conflict, (batch, result)
        if result is None:
            for cmd in batch:
                if isinstance(cmd, c.AddFrameLabel) and cmd.label in labels_now | set(model.frame_labels):
                    continue  # adding a label the frame already has is a no-op: no event, no change
                model.apply(cmd)
                expected_events += 1
            views[actor] = (model.version, {k: (v[0], list(v[1])) for k, v in model.rois.items()})
        else:
            assert result.details["item"] in ("roi", "frame_label")  # a real same-item conflict
    state = replay((e for e, _ in store.events), SOURCES)
    assert len(store.events) == expected_events == model.version
    assert {k: (r["points"][0][0], r["labels"]) for k, r in state.rois.items()} == model.rois
    assert sorted(state.frame_labels) == sorted(set(model.frame_labels))
