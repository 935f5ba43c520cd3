"""ROI invariants of the annotation domain."""

import math

import pytest

from annostream_annotation.domain.commands import CreateRoi
from annostream_annotation.domain.model import FrameAggregate
from annostream_annotation.domain.roi import RoiSpec, RoiType
from annostream_kernel.errors import FailedPrecondition, InvalidArgument
from annostream_kernel.limits import MAX_LABELS_PER_ROI

SOURCES = {"front": (640, 480)}
TOO_MANY_LABELS = tuple(f"l{i}" for i in range(MAX_LABELS_PER_ROI + 1))


def roi(type_: RoiType, points, **kw) -> RoiSpec:  # type: ignore[no-untyped-def]
    return RoiSpec(roi_id=kw.pop("roi_id", "r1"), type=type_, points=tuple(points), **kw)


def test_a_valid_rectangle_becomes_one_event_and_one_roi_in_the_state() -> None:
    agg = FrameAggregate(None, 0, SOURCES)
    events = agg.decide(CreateRoi(roi(RoiType.RECTANGLE, [(1, 1), (10, 10)], labels=("car",))))
    assert len(events) == 1
    assert agg.version == 1
    assert agg.doc["rois"][0]["labels"] == ["car"]


@pytest.mark.parametrize(
    ("spec", "field_suffix"),
    [
        (roi(RoiType.RECTANGLE, [(1, 1), (1, 10)]), "points"),
        (roi(RoiType.ELLIPSE, [(1, 1)]), "points"),
        (roi(RoiType.POLYGON, [(1, 1), (2, 2)]), "points"),
        (roi(RoiType.KEYPOINTS, []), "points"),
        (roi(RoiType.RECTANGLE, [(1, 1), (math.nan, 10)]), "points[1]"),
        (roi(RoiType.RECTANGLE, [(1, 1), (700, 10)]), "points[1]"),
        (roi(RoiType.RECTANGLE, [(1, 1), (5, 5)], labels=("",)), "labels[0]"),
        (
            roi(RoiType.RECTANGLE, [(1, 1), (5, 5)], labels=tuple(f"l{i}" for i in range(MAX_LABELS_PER_ROI + 1))),
            "labels",
        ),
        (roi(RoiType.RECTANGLE, [(1, 1), (5, 5)], confidence=1.5), "confidence"),
        (roi(RoiType.RECTANGLE, [(1, 1), (5, 5)], source_id="rear"), "source_id"),
    ],
)
def test_invalid_rois_are_refused_naming_the_field(spec: RoiSpec, field_suffix: str) -> None:
    agg = FrameAggregate(None, 0, SOURCES)
    with pytest.raises(InvalidArgument) as err:
        agg.decide(CreateRoi(spec))
    assert err.value.field == f"commands[0].create_roi.roi.{field_suffix}"
    assert agg.version == 0 and agg.doc["rois"] == []


def test_points_on_the_border_are_accepted_within_tolerance() -> None:
    agg = FrameAggregate(None, 0, SOURCES)
    agg.decide(CreateRoi(roi(RoiType.POLYGON, [(0, 0), (640.5, 0), (640, 480.9)])))
    assert agg.version == 1


def test_creating_a_roi_id_twice_is_a_failed_precondition() -> None:
    agg = FrameAggregate(None, 0, SOURCES)
    agg.decide(CreateRoi(roi(RoiType.KEYPOINTS, [(3, 3)])))
    with pytest.raises(FailedPrecondition):
        agg.decide(CreateRoi(roi(RoiType.KEYPOINTS, [(4, 4)])))
