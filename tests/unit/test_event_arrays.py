"""event_arrays: the ten parallel columns of an events insert, as the row-by-row build gave them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from annostream_kernel.context import actor_var, correlation_id_var
from annostream_kernel.errors import InvalidArgument
from annostream_kernel.events import INSERT_ARRAY_TYPES, NewEvent, event_arrays
from annostream_kernel.limits import MAX_EVENT_BYTES
from annostream_protos.events.v1 import annotation_pb2 as ev
from annostream_protos.types.v1 import frames_pb2 as t


def by_rows(events: Sequence[NewEvent], actor: str, cid: str, first: int, versions: Sequence[int] | None) -> Any:
    """The columns built a row at a time (the previous code)."""
    cols: list[list[Any]] = [[] for _ in INSERT_ARRAY_TYPES]
    for i, e in enumerate(events):
        row = (
            e.event_id,
            e.stream_id,
            versions[i] if versions is not None else first + i,
            e.type_name,
            e.schema_version,
            e.payload.SerializeToString(),
            e.subject,
            actor,
            e.task_id,
            cid,
        )
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return cols


def events(n: int) -> list[NewEvent]:
    ref = t.FrameRef(version_id="v", frame_id="f")
    out = [
        NewEvent(ev.RoiMoved(frame=ref, roi_id=f"r{i}", dx=i, dy=1), "frame:v:f", f"s.{i}", 1 + i % 2, f"task{i % 3}")
        for i in range(n)
    ]
    return [*out, NewEvent(ev.FrameSaved(frame=ref, save_id="save_1"), "saves:frame:v:f", "s.saved")]


@pytest.mark.parametrize("n", [0, 1, 50])
def test_columns_are_the_rows_of_the_events(n: int) -> None:
    token, cid = actor_var.set("alice"), correlation_id_var.set("c-1")
    try:
        batch = events(n)
        versions = [*range(7, 7 + n), 6 + n, 99]  # a longer list: the extra entries are not used
        assert event_arrays(batch, versions=versions) == by_rows(batch, "alice", "c-1", 1, versions)
        assert event_arrays(batch, 5) == by_rows(batch, "alice", "c-1", 5, None)
        with pytest.raises(IndexError):  # fewer versions than events is a bug, not NULL versions
            event_arrays(batch, versions=versions[: len(batch) - 1])
    finally:
        actor_var.reset(token)
        correlation_id_var.reset(cid)


def test_an_event_over_the_size_limit_is_refused() -> None:
    big = NewEvent(ev.RoiLabelAdded(roi_id="r", label="x" * MAX_EVENT_BYTES), "frame:v:f", "s")
    with pytest.raises(InvalidArgument, match="RoiLabelAdded event of"):
        event_arrays([*events(2), big])
