"""Frame import validation names the offending field."""

import pytest

from annostream_datasets.domain.frames import parse_frame
from annostream_kernel.errors import InvalidArgument

GOOD = {"id": "f1", "sources": [{"uri": "s3://b/1.jpg", "width": 640, "height": 480}]}


def test_context_id_defaults_to_first_source_uri_and_single_source_gets_an_id() -> None:
    frame = parse_frame(GOOD)
    assert frame.context_id == "s3://b/1.jpg"
    assert frame.sources[0].id == "default"
    assert frame.timestamp == 0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"id": ""}, "frame.id"),
        ({"sources": []}, "frame.sources"),
        ({"sources": [{"uri": "x", "width": 0, "height": 1}]}, "frame.sources[0].width"),
        ({"sources": [{"uri": "x", "width": "wide", "height": 1}]}, "frame.sources[0].width"),
        ({"sources": [{"width": 1, "height": 1}]}, "frame.sources[0].uri"),
        ({"metadata": [1, 2]}, "frame.metadata"),
        ({"timestamp": -5}, "frame.timestamp"),
        (
            {
                "sources": [
                    {"id": "a", "uri": "x", "width": 1, "height": 1},
                    {"id": "a", "uri": "y", "width": 1, "height": 1},
                ]
            },
            "frame.sources[1].id",
        ),
    ],
)
def test_bad_frames_are_rejected_with_the_field_named(patch: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_frame({**GOOD, **patch})
    assert err.value.field == field
    assert field in err.value.message
