"""The one-pass point check and the prebuilt points and ROI encodings give exactly what the plain versions gave."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from annostream_annotation.adapters.messages import to_payload
from annostream_annotation.domain import events as de
from annostream_annotation.domain.roi import BOUNDS_TOLERANCE, RoiType, Sources, validate_points
from annostream_annotation.wire import _ROI_TYPE_BY_NAME, points_wire, roi_msg
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import dump_json
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t


def reference_validate_points(kind: RoiType, points: Any, sources: Sources, source_id: str, field_name: str) -> None:
    """validate_points as it was before the one-pass loop (finite check, shape checks, bounds check)."""
    for i, (x, y) in enumerate(points):
        if not (isinstance(x, int | float) and isinstance(y, int | float) and math.isfinite(x) and math.isfinite(y)):
            raise InvalidArgument("coordinates must be finite numbers", field=f"{field_name}[{i}]")
    if kind in (RoiType.RECTANGLE, RoiType.ELLIPSE):
        if len(points) != 2:
            raise InvalidArgument(f"a {kind} needs exactly 2 corner points", field=field_name)
        (x1, y1), (x2, y2) = points
        if x1 == x2 or y1 == y2:
            raise InvalidArgument(f"a {kind} needs a positive width and height", field=field_name)
    elif kind is RoiType.POLYGON and len(points) < 3:
        raise InvalidArgument("a polygon needs at least 3 points", field=field_name)
    elif kind is RoiType.KEYPOINTS and len(points) < 1:
        raise InvalidArgument("keypoints need at least 1 point", field=field_name)
    source = sources.get(source_id) if source_id else next(iter(sources.values()), None)
    if source is None:
        return
    w, h = source
    tol = BOUNDS_TOLERANCE
    for i, (x, y) in enumerate(points):
        if not (-tol <= x <= w + tol and -tol <= y <= h + tol):
            raise InvalidArgument(f"point ({x:g}, {y:g}) is outside the {w}x{h} source", field=f"{field_name}[{i}]")


def outcome(check: Any, *args: Any) -> tuple[str, str] | None:
    try:
        check(*args)
    except InvalidArgument as err:
        return err.field or "", err.message
    return None


coordinate = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-3, max_value=110),
    st.integers(min_value=-5, max_value=120),
    st.sampled_from([-1.0, -1.0000001, 101.0, 101.0000001, 0.0, -0.0, True]),
)
points = st.lists(st.tuples(coordinate, coordinate), max_size=6)
sources = st.sampled_from([{}, {"cam": (100, 50)}, {"cam": (100, 50), "side": (20, 200)}])


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(list(RoiType)), points, sources, st.sampled_from(["", "cam", "side"]))
def test_one_pass_point_check_refuses_what_the_plain_one_refused(
    kind: RoiType, pts: list[tuple[Any, Any]], srcs: Sources, source_id: str
) -> None:
    args = (kind, pts, srcs, source_id, "commands[0].create_roi.roi.points")
    assert outcome(validate_points, *args) == outcome(reference_validate_points, *args)


finite = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**40), 2**40))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(finite, finite), max_size=9), st.one_of(st.none(), st.floats(0, 1)))
def test_roi_message_points_encoding_matches_point_messages(pts: list[tuple[float, float]], confidence: Any) -> None:
    doc = {
        "roi_id": "r1",
        "type": "polygon",
        "points": [list(p) for p in pts],
        "labels": ["car"],
        "confidence": confidence,
        "source_id": "",
        "metadata": {},
        "locked": False,
    }
    built = roi_msg(doc)
    plain = t.Roi(roi_id="r1", type=t.ROI_TYPE_POLYGON, points=[t.Point(x=x, y=y) for x, y in pts], labels=["car"])
    if confidence is not None:
        plain.confidence = confidence
    assert built == plain
    assert built.SerializeToString() == plain.SerializeToString()


def reference_roi_msg(doc: dict[str, Any]) -> t.Roi:
    """roi_msg as it was before it parsed `roi_wire`: the message built field by field."""
    meta = doc.get("metadata")
    roi = t.Roi(
        roi_id=doc["roi_id"],
        type=_ROI_TYPE_BY_NAME[doc["type"]],
        labels=doc["labels"],
        source_id=doc.get("source_id", ""),
        metadata_json=dump_json(meta) if meta else "",
        locked=doc.get("locked", False),
    )
    roi.MergeFromString(points_wire(doc["points"]))
    if doc.get("confidence") is not None:
        roi.confidence = doc["confidence"]
    return roi


text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
roi_docs = st.fixed_dictionaries(
    {
        "roi_id": st.one_of(st.just(""), text, st.text(min_size=130, max_size=200)),
        "type": st.sampled_from(["rectangle", "ellipse", "polygon", "keypoints"]),
        "points": st.lists(st.lists(finite, min_size=2, max_size=2), max_size=20),
        "labels": st.lists(st.one_of(text, st.text(min_size=128, max_size=140)), max_size=4),
        "confidence": st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0, 1, 0.0, -0.0])),
        "source_id": st.one_of(st.just(""), text),
        "metadata": st.one_of(st.just({}), st.dictionaries(text, json_value, max_size=3)),
        "locked": st.booleans(),
    }
)


@settings(max_examples=500, deadline=None)
@given(roi_docs, st.booleans())
def test_a_roi_parsed_from_its_encoding_equals_the_roi_built_field_by_field(doc: dict[str, Any], created: bool) -> None:
    built, plain = roi_msg(doc), reference_roi_msg(doc)
    assert built == plain
    assert built.SerializeToString() == plain.SerializeToString()
    ref = t.FrameRef(dataset_id="d", version_id="v", frame_id="f" if created else "")
    payload = to_payload(de.RoiCreated(doc["roi_id"], doc), ref)
    assert payload == ev.RoiCreated(frame=ref, roi=plain)
    assert payload.SerializeToString() == ev.RoiCreated(frame=ref, roi=plain).SerializeToString()
