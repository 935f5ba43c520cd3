"""The kernel's one request validator, the metadata limits, and JSON metadata read back from older schemas."""

from __future__ import annotations

import json

import pytest
from google.protobuf import struct_pb2

from annostream_annotation.adapters.messages import decode
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.grpc_errors import Refused, validating
from annostream_kernel.limits import MAX_METADATA_BYTES, MAX_METADATA_DEPTH, parse_metadata
from annostream_kernel.protobuf import json_value, request_metadata
from annostream_kernel.validation import check_request
from annostream_kernel.wire import undecodable_field
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t

BIG = 2**53 + 1
REF = t.FrameRef(version_id="v", frame_id="f")


def polygon(*labels: str, points: list[t.Point] | None = None) -> ann.Command:
    roi = t.Roi(type=t.ROI_TYPE_POLYGON, points=points or [t.Point(x=1, y=1)] * 3, labels=labels)
    return ann.Command(create_roi=ann.CreateRoi(roi=roi))


def refused_field(msg: object) -> str | None:
    try:
        check_request(msg)  # type: ignore[arg-type]
    except InvalidArgument as err:
        return err.field
    return None


def test_a_nul_in_any_string_is_refused_naming_its_path() -> None:
    req = ann.SaveFrameRequest(frame=REF, commands=[polygon("ok"), polygon("car", "b\x00d")])
    assert refused_field(req) == "commands[1].create_roi.roi.labels[1]"
    assert refused_field(ann.SaveFrameRequest(frame=REF, idempotency_key="k\x00")) == "idempotency_key"
    assert refused_field(tk.CreateTaskRequest(name="t", default_labels=["a", "\x00"])) == "default_labels[1]"
    frame = t.Frame(frame_id="f", sources=[t.Source(uri="file:///a\x00.jpg", width=1, height=1)])
    assert (
        refused_field(ds.ImportFramesRequest(version_id="v", frames=[t.Frame(), frame])) == "frames[1].sources[0].uri"
    )


def test_nan_and_infinity_are_refused_in_doubles_and_struct_numbers() -> None:
    pts = [t.Point(x=1, y=1), t.Point(x=2, y=float("nan")), t.Point(x=3, y=3)]
    assert refused_field(ann.SaveFrameRequest(frame=REF, commands=[polygon(points=pts)])) == (
        "commands[0].create_roi.roi.points[1].y"
    )
    move = ann.Command(move_roi=ann.MoveRoi(roi_id="a", dx=float("-inf")))
    assert refused_field(ann.SaveFrameRequest(frame=REF, commands=[move])) == "commands[0].move_roi.dx"
    meta = struct_pb2.Struct()
    meta.update({"a": {"b": [1, float("inf")]}})
    cmd = ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata=meta))
    assert refused_field(ann.SaveFrameRequest(frame=REF, commands=[cmd])) == (
        "commands[0].set_frame_metadata.metadata.a.b[1]"
    )


def test_uint64_values_beyond_int64_are_refused_and_int64_max_passes() -> None:
    assert refused_field(ann.SaveFrameRequest(frame=REF, expected_version=2**63)) == "expected_version"
    assert refused_field(ann.RevertFrameRequest(frame=REF, to_version=2**64 - 1)) == "to_version"
    assert refused_field(ann.SaveFrameRequest(frame=REF, expected_version=2**63 - 1)) is None


def test_clean_requests_pass_whatever_bytes_their_numbers_hold() -> None:
    pts = [t.Point(x=x * 0.37, y=-x * 1e300) for x in range(1000)]  # doubles full of 0x00/0x7f/0xff bytes
    req = ann.SaveFrameRequest(frame=REF, expected_version=2**62, commands=[polygon("é", "🚗", points=pts)])
    assert refused_field(req) is None


def test_a_string_that_is_not_utf8_on_the_wire_is_named_and_refused_as_invalid_argument() -> None:
    raw = ann.SaveFrameRequest(frame=REF, commands=[polygon("ok"), polygon("QQ")]).SerializeToString()
    bad = raw.replace(b"QQ", b"\xed\xa0")  # a lone surrogate encoded as UTF-8 bytes
    assert undecodable_field(ann.SaveFrameRequest.DESCRIPTOR, bad) == "commands[1].create_roi.roi.labels[0]"
    parsed = validating(ann.SaveFrameRequest.FromString)(bad)
    assert isinstance(parsed, Refused)
    assert parsed.error.field == "commands[1].create_roi.roi.labels[0]"
    assert isinstance(validating(ann.SaveFrameRequest.FromString)(b"\xff\xff\xff"), Refused)
    assert validating(ann.SaveFrameRequest.FromString)(raw).commands[1].create_roi.roi.labels == ["QQ"]


def test_metadata_json_keeps_integers_and_refuses_what_cannot_be_stored() -> None:
    assert parse_metadata(json.dumps({"n": BIG, "f": 1.5}), "m") == {"n": BIG, "f": 1.5}
    bad = {
        '{"a": NaN}': "m",
        '{"a": 1e400}': "m.a",
        '{"a": "\\u0000"}': "m.a",
        '{"a": "\\ud800"}': "m.a",
        '{"a": 99999999999999999999}': "m.a",
        "[1]": "m",
        "{": "m",
    }
    for text, field in bad.items():
        with pytest.raises(InvalidArgument) as err:
            parse_metadata(text, "m")
        assert err.value.field == field, text
    deep = '{"a":' * 500 + "1" + "}" * 500
    with pytest.raises(InvalidArgument, match=f"deeper than {MAX_METADATA_DEPTH}"):
        parse_metadata(deep, "m")
    with pytest.raises(InvalidArgument, match=str(MAX_METADATA_BYTES)):
        parse_metadata(json.dumps({"blob": "x" * MAX_METADATA_BYTES}), "m")


def test_request_metadata_takes_json_or_the_older_struct_but_not_both() -> None:
    roi = t.Roi(metadata_json=json.dumps({"n": BIG}))
    assert request_metadata(roi, "roi.metadata") == {"n": BIG}
    roi = t.Roi()
    roi.metadata.update({"n": 12, "x": 2.5})
    assert request_metadata(roi, "roi.metadata") == {"n": 12, "x": 2.5}  # whole numbers are integers again
    roi.metadata_json = "{}"
    with pytest.raises(InvalidArgument) as err:
        request_metadata(roi, "roi.metadata")
    assert err.value.field == "roi.metadata_json"


def test_events_of_the_struct_schema_are_upcast_to_json_metadata_with_integers() -> None:
    meta = struct_pb2.Struct()
    meta.update({"n": 12, "nested": {"k": [1, 2.5]}})
    roi = t.Roi(roi_id="a", type=t.ROI_TYPE_POLYGON, points=[t.Point(x=1, y=1)] * 3, metadata=meta)
    created = decode("annostream.events.v1.RoiCreated", 1, ev.RoiCreated(frame=REF, roi=roi).SerializeToString())
    assert created.data["roi"]["metadata"] == {"n": 12, "nested": {"k": [1, 2.5]}}
    frame_meta = ev.FrameMetadataSet(frame=REF, metadata=meta).SerializeToString()
    assert decode("annostream.events.v1.FrameMetadataSet", 1, frame_meta).data["metadata"] == json_value(meta)
    current = ev.RoiMetadataSet(frame=REF, roi_id="a", metadata_json=json.dumps({"n": BIG})).SerializeToString()
    assert decode("annostream.events.v1.RoiMetadataSet", 3, current).data["metadata"] == {"n": BIG}
