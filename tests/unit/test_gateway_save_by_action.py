"""The save body validated by action (routes/save_body._by_action) accepts exactly what `SaveFrameBody` accepts, with
the same head values, whenever each command is one non-null known action; otherwise it declines and the model decides
(its own 422 entries)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from annostream_gateway.routes.save_body import ACTION_MODELS, Head, _by_action
from annostream_gateway.schemas import SaveFrameBody

ROI = {"roi_id": "r1", "type": "polygon", "points": [[1, 2.5], [3, 4], [5, 6]], "labels": ["car"]}
ACTIONS = [
    {"create_roi": {"roi": ROI}},
    {"create_roi": {"roi": {**ROI, "roi_id": "r2", "confidence": 0.5, "metadata": {"k": [1, {"x": None}]}}}},
    {"create_roi": {"roi": {**ROI, "roi_id": "", "confidence": None, "source_id": "cam", "metadata": {}}}},
    {"move_roi": {"roi_id": "r1", "dx": 1, "dy": -2.5}},
    {"reshape_roi": {"roi_id": "r1", "points": [[0, 0], [1, 1]]}},
    {"add_roi_label": {"roi_id": "r1", "label": "x"}},
    {"remove_roi_label": {"roi_id": "r1", "label": "x"}},
    {"set_roi_metadata": {"roi_id": "r1", "metadata": {"a": 1}}},
    {"lock_roi": {"roi_id": "r1"}},
    {"delete_roi": {"roi_id": "r2"}},
    {"add_frame_label": {"label": "night"}},
    {"set_frame_metadata": {"metadata": {"weather": "rain"}}},
    {"lock_all_rois": {}},
    {"paste_rois": {"rois": [ROI], "origins": [{"version_id": "v", "frame_id": "f", "roi_id": "r1"}]}},
]
ODD = [None, True, False, 0, -1, 1, 2.0, 1.5, -0.0, 2**63, 2**64, "", "x", "1.5", "a" * 600, [], [1], [[1, 2]],
       [[1, 2, 3]], [[True, 1]], [["1", 2]], [[1.5, None]], {}, {"x": 1}, {"roi_id": "r1"}, ["car", 1]]  # fmt: skip


def _full(doc: Any) -> Head | None:
    try:
        body = SaveFrameBody.model_validate(doc, from_attributes=True)
    except ValidationError:
        return None
    return Head(body.expected_version, body.idempotency_key, body.task_id)


def _one_action_each(doc: Any) -> bool:
    cmds = doc.get("commands") if type(doc) is dict else None
    return (
        type(cmds) is list
        and bool(cmds)
        and all(
            type(c) is dict and len(c) == 1 and next(iter(c)) in ACTION_MODELS and None not in c.values() for c in cmds
        )
    )


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if type(value) is dict:
        for k, v in value.items():
            out += _paths(v, (*at, k))
    elif type(value) is list:
        for i, v in enumerate(value):
            out += _paths(v, (*at, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return doc


def test_every_action_is_accepted_with_the_models_head() -> None:
    doc = {"expected_version": 7, "idempotency_key": "k", "task_id": "t", "commands": ACTIONS}
    assert _by_action(doc) == _full(doc) == Head(7, "k", "t")
    assert _by_action({"expected_version": 2.0, "commands": ACTIONS[:1]}) == Head(2, "", "")  # as the model reads it


def test_it_declines_what_is_not_one_known_action_per_command() -> None:
    for cmd in ({"move_roi": None}, {}, {"frob": {}}, {"lock_roi": {"roi_id": "a"}, "move_roi": None}):
        assert _by_action({"expected_version": 0, "commands": [ACTIONS[0], cmd]}) is None
    assert _by_action({"expected_version": 0, "commands": []}) is None
    assert _by_action([]) is None


@settings(max_examples=600, deadline=None)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=len(ACTIONS) - 1), min_size=1, max_size=4),
    mutations=st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(ODD)), max_size=3),
    extra=st.sampled_from([None, ("expected_version", "1"), ("task_id", 5), ("idempotency_key", "b" * 201), ("x", 1)]),
)
def test_it_accepts_exactly_what_the_model_accepts(
    picks: list[int], mutations: list[tuple[int, Any]], extra: tuple[str, Any] | None
) -> None:
    doc: Any = {"expected_version": 3, "commands": [copy.deepcopy(ACTIONS[i]) for i in picks]}
    if extra is not None:
        doc[extra[0]] = extra[1]
    for where, value in mutations:
        paths = _paths(doc)
        doc = _set(doc, paths[where % len(paths)], copy.deepcopy(value))
    lean = _by_action(doc)
    if lean is not None:
        assert lean == _full(doc)
    elif _one_action_each(doc):
        assert _full(doc) is None
