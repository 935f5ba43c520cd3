"""Frame import validation (datasets domain) names the offending field and normalises defaults."""

from __future__ import annotations

import pytest

from annostream_datasets.domain.frame_rules import validate_frame
from annostream_kernel.errors import InvalidArgument
from annostream_protos.types.v1 import frames_pb2 as t


def frame(**kw: object) -> t.Frame:
    base: dict[str, object] = {"frame_id": "f1", "sources": [t.Source(uri="s3://b/1.jpg", width=640, height=480)]}
    return t.Frame(**{**base, **kw})


def test_context_id_defaults_to_first_source_uri_and_single_source_gets_an_id() -> None:
    f = frame()
    validate_frame(f, "frame")
    assert f.context_id == "s3://b/1.jpg"
    assert f.sources[0].id
    assert f.timestamp == 0


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"frame_id": ""}, "frame.id"),
        ({"sources": []}, "frame.sources"),
        ({"sources": [t.Source(uri="x", width=0, height=1)]}, "frame.sources[0].width"),
        ({"sources": [t.Source(width=1, height=1)]}, "frame.sources[0].uri"),
        (
            {"sources": [t.Source(id="a", uri="x", width=1, height=1), t.Source(id="a", uri="y", width=1, height=1)]},
            "frame.sources[1].id",
        ),
        (
            {"rois": [t.Roi(type=t.ROI_TYPE_POLYGON, points=[t.Point(x=1, y=1), t.Point(x=2, y=2)])]},
            "frame.rois[0].points",
        ),
        (
            {"rois": [t.Roi(type=t.ROI_TYPE_RECTANGLE, points=[t.Point(x=1, y=1), t.Point(x=900, y=2)])]},
            "frame.rois[0].points[1]",
        ),
        ({"frame_labels": [""]}, "frame.frame_labels[0]"),
    ],
)
def test_bad_frames_are_rejected_with_the_field_named(kw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        validate_frame(frame(**kw), "frame")
    assert err.value.field is not None and err.value.field.startswith(field), err.value.field
