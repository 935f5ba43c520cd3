"""Mapping between protobuf messages (API, events) and the iterator domain."""

from __future__ import annotations

from typing import Any, NoReturn

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.events import NewEvent, subject
from annostream_kernel.protobuf import metadata_of
from annostream_kernel.streams import ITERATOR
from annostream_protos.events.v1 import iterator_pb2
from annostream_protos.types.v1 import filters_pb2, frames_pb2

from ..domain.ast import Mode, Selection
from ..domain.selection import RawFilter, RawRule, validate_selection
from .index import IndexedFrame, IndexedRoi

MODES = {
    filters_pb2.FILTER_MODE_UNSPECIFIED: Mode.ALL,
    filters_pb2.FILTER_MODE_ALL: Mode.ALL,
    filters_pb2.FILTER_MODE_EMPTY: Mode.EMPTY,
    filters_pb2.FILTER_MODE_CUSTOM: Mode.CUSTOM,
}
KINDS = {filters_pb2.ROI_RULE_KIND_INCLUDE: True, filters_pb2.ROI_RULE_KIND_EXCLUDE: False}


def _opt(msg: Any, name: str) -> Any:
    return getattr(msg, name) if msg.HasField(name) else None


def selection(m: filters_pb2.FrameSelection, field: str = "selection") -> Selection:
    """FrameSelection → validated Selection (InvalidArgument names e.g. selection.filters[0].frame_query)."""
    if m.mode not in MODES:
        raise_mode(field)
    filters = [
        RawFilter(
            tuple(
                RawRule(
                    KINDS.get(r.kind),
                    r.label_expression,
                    _opt(r, "min_count"),
                    _opt(r, "max_count"),
                    _opt(r, "min_confidence"),
                    _opt(r, "max_confidence"),
                )
                for r in f.roi_rules
            ),
            f.frame_query,
            f.source_query,
        )
        for f in m.filters
    ]
    return validate_selection(MODES[m.mode], filters, field)


def raise_mode(field: str) -> NoReturn:
    """Unknown mode."""
    raise InvalidArgument("must be all, empty or custom", field=f"{field}.mode")


def indexed_frame(f: frames_pb2.Frame) -> IndexedFrame:
    """Frame message → what the index keeps."""
    return IndexedFrame(
        f.frame_id,
        f.context_id,
        f.timestamp,
        metadata_of(f),
        [
            {
                "id": s.id,
                "uri": s.uri,
                "width": s.width,
                "height": s.height,
                "timestamp": s.timestamp,
                "preview_uri": s.preview_uri,
            }
            for s in f.sources
        ],
    )


def indexed_roi(r: frames_pb2.Roi) -> IndexedRoi:
    """Roi message → what the filters see."""
    return IndexedRoi(r.roi_id, list(r.labels), r.confidence if r.HasField("confidence") else None)


def progressed(task_id: str, done: int, total: int, annotators: dict[str, int] | None = None) -> NewEvent:
    """TaskProgressed for the outbox. With `annotators` (whose done counts moved) it goes to the task's
    team-progress stream, versioned by the emitter; without, to the task's plan-progress stream."""
    changed = annotators or {}
    only = next(iter(changed.items())) if len(changed) == 1 else ("", 0)
    return NewEvent(
        payload=iterator_pb2.TaskProgressed(
            task_id=task_id,
            done=done,
            total=total,
            annotator=only[0],
            annotator_done=only[1],
            annotators=[iterator_pb2.AnnotatorProgress(annotator=a, done=n) for a, n in changed.items()],
        ),
        stream_id=f"team-progress:{task_id}" if annotators else f"progress:{task_id}:",
        subject=subject(ITERATOR.prefix, task_id, "TaskProgressed"),
        task_id=task_id,
    )
