"""The import path's hand-written encodings equal the generic ones: FramesImported events assembled from
serialized frames, the annotation service's base-frame JSON and the iterator's index-row JSON."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from annostream_annotation.adapters.base_frames import base_doc
from annostream_datasets.adapters import messages
from annostream_iterator.adapters.index import frame_row
from annostream_iterator.adapters.messages import indexed_frame
from annostream_protos.events.v1 import datasets_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t

texts = st.text(max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**50), 2**50) | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
masks = st.builds(t.Mask, id=texts, uri=texts)
sources = st.builds(
    t.Source,
    id=texts,
    uri=texts,
    width=st.integers(0, 2**32 - 1),
    height=st.integers(0, 2**32 - 1),
    timestamp=st.integers(-(2**63), 2**63 - 1),
    preview_uri=texts,
    masks=st.lists(masks, max_size=2),
)


@st.composite
def frames(draw: st.DrawFn) -> t.Frame:
    f = t.Frame(
        frame_id=draw(texts),
        context_id=draw(texts),
        timestamp=draw(st.integers(-(2**63), 2**63 - 1)),
        sources=draw(st.lists(sources, max_size=3)),
        frame_labels=draw(st.lists(texts, max_size=2)),
        rois=[t.Roi(roi_id=r, labels=["x"]) for r in draw(st.lists(texts, max_size=2))],
    )
    meta: dict[str, Any] | None = draw(st.none() | st.dictionaries(texts, json_values, max_size=4))
    if meta is not None:
        f.metadata.update(meta)
    return f


@settings(max_examples=300, deadline=None)
@given(frames())
def test_base_documents_equal_the_generic_json_printer(f: t.Frame) -> None:
    base = t.Frame()
    base.CopyFrom(f)
    base.ClearField("rois")
    base.ClearField("frame_labels")
    assert json.loads(base_doc(f)) == json_format.MessageToDict(base, preserving_proto_field_name=True)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_index_rows_hold_what_the_indexed_frame_holds(f: t.Frame) -> None:
    row, indexed = frame_row("v", f), indexed_frame(f)
    assert row[:4] == ("v", f.frame_id, f.context_id, f.timestamp)
    assert (json.loads(row[4]), json.loads(row[5])) == (indexed.metadata, indexed.sources)


@settings(max_examples=100, deadline=None)
@given(st.lists(frames(), max_size=30), st.integers(40, 400))
def test_frames_imported_events_carry_every_frame_in_order_within_the_size(fs: list[t.Frame], limit: int) -> None:
    rows, whole = messages.frame_rows("v", fs)
    events = messages.frames_imported("d", "v", whole, limit)
    assert [f for e in events for f in e.frames] == fs
    assert all((e.dataset_id, e.version_id) == ("d", "v") for e in events)
    assert all(e.ByteSize() <= limit or len(e.frames) == 1 for e in events)  # an oversized frame goes alone
    for f, (version, fid, ctx, ts, stored) in zip(fs, rows, strict=True):
        kept = t.Frame.FromString(stored)
        assert (version, fid, ctx, ts) == ("v", f.frame_id, f.context_id, f.timestamp)
        assert not kept.rois and not kept.frame_labels
        kept.rois.extend(f.rois)
        kept.frame_labels.extend(f.frame_labels)
        assert kept == f


def test_a_large_batch_is_split_into_events_below_the_limit() -> None:
    fs = [
        t.Frame(frame_id=f"f{i:05d}", sources=[t.Source(id="s", uri="u" * 100, width=1, height=1)]) for i in range(5000)
    ]
    events = messages.frames_imported("d", "v", messages.frame_rows("v", fs)[1], 256 * 1024)
    assert len(events) > 1 and all(e.ByteSize() <= 256 * 1024 for e in events)
    assert ev.FramesImported(frames=[f for e in events for f in e.frames]).frames[4999].frame_id == "f04999"
