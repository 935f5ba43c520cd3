"""The save route's body path (routes/save_body.py, json_body.py): what it builds and refuses equals the model
path and the edge's exact JSON walk it replaces."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annostream_gateway.edge import MAX_BODY_DEPTH, check_body, check_json, parse
from annostream_gateway.routes.frames import command_msg
from annostream_gateway.routes.save_body import commands
from annostream_gateway.schemas import SaveFrameBody
from annostream_kernel.errors import InvalidArgument
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann

ROI = {"roi_id": "r1", "type": "polygon", "points": [[1, 2.5], [3, 4], [5, 6]], "labels": ["car"]}
EVERY_ACTION = [
    {"create_roi": {"roi": ROI}},
    {"create_roi": {"roi": {**ROI, "roi_id": "r2", "confidence": 0.5, "metadata": {"k": [1, {"x": None}]}}}},
    {"create_roi": {"roi": {**ROI, "roi_id": "r3", "confidence": None, "source_id": "cam", "metadata": {}}}},
    {"move_roi": {"roi_id": "r1", "dx": 1, "dy": -2.5}},
    {"reshape_roi": {"roi_id": "r1", "points": [[0, 0], [1, 1]]}},
    {"add_roi_label": {"roi_id": "r1", "label": "x"}, "move_roi": None},
    {"remove_roi_label": {"roi_id": "r1", "label": "x"}},
    {"set_roi_metadata": {"roi_id": "r1", "metadata": {"a": 1}}},
    {"lock_roi": {"roi_id": "r1"}},
    {"unlock_roi": {"roi_id": "r1"}},
    {"delete_roi": {"roi_id": "r2"}},
    {"add_frame_label": {"label": "night"}},
    {"remove_frame_label": {"label": "night"}},
    {"set_frame_metadata": {"metadata": {"weather": "rain"}}},
    {"lock_all_rois": {}},
    {"unlock_all_rois": {}},
    {"paste_rois": {"rois": [ROI], "origins": [{"version_id": "v", "frame_id": "f", "roi_id": "r1"}]}},
]


def _both(cmds: list[dict[str, Any]]) -> tuple[ann.SaveFrameRequest, ann.SaveFrameRequest, set[str] | None]:
    body = SaveFrameBody.model_validate({"expected_version": 3, "commands": cmds})
    fields, touched = commands(cmds)
    from_models = ann.SaveFrameRequest(commands=[command_msg(c, i) for i, c in enumerate(body.commands)])
    return ann.SaveFrameRequest(commands=fields), from_models, touched


def test_commands_from_json_equal_the_commands_from_the_models_for_every_action() -> None:
    from_json, from_models, touched = _both(EVERY_ACTION)
    assert from_json == from_models and len(from_json.commands) == len(EVERY_ACTION)
    assert touched is None  # a paste and lock / unlock all name ROIs the client does not know


def test_touched_rois_are_the_ids_the_commands_name() -> None:
    assert _both(EVERY_ACTION[:14])[2] == {"r1", "r2", "r3"}
    assert _both([{"create_roi": {"roi": {**ROI, "roi_id": ""}}}])[2] is None


def test_a_command_without_exactly_one_action_names_it() -> None:
    for bad in ({"move_roi": None}, {"lock_roi": {"roi_id": "a"}, "unlock_roi": {"roi_id": "a"}}):
        with pytest.raises(InvalidArgument) as err:
            commands([{"add_frame_label": {"label": "x"}}, bad])
        assert err.value.field == "commands[1]"


def test_bad_metadata_in_json_commands_names_the_field() -> None:
    with pytest.raises(InvalidArgument) as err:
        commands([{"create_roi": {"roi": {**ROI, "metadata": {"k": math.nan}}}}])
    assert err.value.field is not None and err.value.field.startswith("commands[0].create_roi.roi.metadata")


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.sampled_from(["a", "é", "\x00", "\ud800", "\udc00", "\\", '"', "😀", "1"]), max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "\x00", "\ud83d"]), inner),
    max_leaves=12,
)


def _exact(raw: bytes) -> Any:
    doc = parse(raw)
    check_json(doc)
    return doc


def _outcome(f: Any, raw: bytes) -> Any:
    try:
        return ("ok", json.dumps(f(raw), sort_keys=True))
    except InvalidArgument as err:
        return ("refused", err.field, err.message)


@settings(max_examples=400, deadline=None)
@given(doc=JSON, ascii_only=st.booleans(), deep=st.integers(min_value=0, max_value=3))
def test_the_fast_json_read_agrees_with_the_exact_walk(doc: Any, ascii_only: bool, deep: int) -> None:
    for _ in range(deep * (MAX_BODY_DEPTH // 2)):
        doc = [doc]
    try:
        raw = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    except ValueError:
        return
    assert _outcome(lambda r: check_body(r, "application/json"), raw) == _outcome(_exact, raw)
