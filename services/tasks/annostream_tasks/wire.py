"""Protobuf ↔ domain mapping of the value types the tasks API and the tasks events both carry (iteration,
frame selection, review settings): pure functions, used by entrypoints/api_messages.py and adapters/messages.py."""

from __future__ import annotations

from google.protobuf import json_format

from annostream_protos.events.v1 import tasks_pb2 as ev
from annostream_protos.types.v1 import filters_pb2

from .domain.model import FilterMode, Iteration, Order, ReviewSpec, Selection

ORDER = {Order.SEQUENTIAL: ev.ITERATION_ORDER_SEQUENTIAL, Order.RANDOM: ev.ITERATION_ORDER_RANDOM}
MODE = {
    FilterMode.ALL: filters_pb2.FILTER_MODE_ALL,
    FilterMode.EMPTY: filters_pb2.FILTER_MODE_EMPTY,
    FilterMode.CUSTOM: filters_pb2.FILTER_MODE_CUSTOM,
}
MODE_OF = {v: k for k, v in MODE.items()} | {filters_pb2.FILTER_MODE_UNSPECIFIED: FilterMode.ALL}


def iteration_msg(it: Iteration) -> ev.IterationSpec:
    """Iteration → IterationSpec."""
    return ev.IterationSpec(
        order=ORDER[it.order], random_seed=it.random_seed, limit=it.limit, clip_length=it.clip_length
    )


def selection_of(msg: filters_pb2.FrameSelection) -> Selection:
    """FrameSelection → Selection (filters kept in their JSON form)."""
    filters = [json_format.MessageToDict(f, preserving_proto_field_name=True) for f in msg.filters]
    return Selection(MODE_OF.get(msg.mode, FilterMode.ALL), filters)


def selection_msg(s: Selection) -> filters_pb2.FrameSelection:
    """Selection → FrameSelection."""
    return filters_pb2.FrameSelection(
        mode=MODE[s.mode], filters=[json_format.ParseDict(f, filters_pb2.FrameFilter()) for f in s.filters]
    )


def review_of(msg: ev.TaskReview) -> ReviewSpec:
    """TaskReview → ReviewSpec (validated; empty strings are the defaults: off, annotator)."""
    return ReviewSpec(msg.mode or "off", msg.sample_percent, msg.reviewer_may_review_own, msg.rework_by or "annotator")


def review_msg(r: ReviewSpec) -> ev.TaskReview:
    """ReviewSpec → TaskReview."""
    return ev.TaskReview(
        mode=r.mode,
        sample_percent=r.sample_percent,
        reviewer_may_review_own=r.reviewer_may_review_own,
        rework_by=r.rework_by,
    )
