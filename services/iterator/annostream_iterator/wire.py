"""Protobuf ↔ domain mapping of the value type the iterator API, the tasks events it consumes and its plans all
carry (the frame selection): pure functions, used by entrypoints, consumers and adapters."""

from __future__ import annotations

from typing import Any, NoReturn

from annostream_kernel.errors import InvalidArgument
from annostream_protos.types.v1 import filters_pb2

from .domain.ast import Mode, Selection
from .domain.selection import RawFilter, RawRule, validate_selection

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
