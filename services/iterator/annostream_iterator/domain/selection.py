"""Validation of a frame selection: every query parsed, every range checked, errors naming the field."""

from __future__ import annotations

from dataclasses import dataclass

from annostream_kernel.errors import InvalidArgument

from .ast import FilterSpec, Mode, RoiRuleSpec, Selection
from .parser import parse_labels, parse_query

MAX_FILTERS = 20
MAX_RULES = 20


@dataclass(frozen=True)
class RawRule:
    """A ROI rule as received (before parsing)."""

    include: bool | None
    label_expression: str
    min_count: int | None = None
    max_count: int | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None


@dataclass(frozen=True)
class RawFilter:
    """A frame filter as received."""

    roi_rules: tuple[RawRule, ...] = ()
    frame_query: str = ""
    source_query: str = ""


def _rule(r: RawRule, field: str) -> RoiRuleSpec:
    if r.include is None:
        raise InvalidArgument("must be include or exclude", field=f"{field}.kind")
    labels = parse_labels(r.label_expression, f"{field}.label_expression")
    if not r.include and (r.min_count is not None or r.max_count is not None):
        raise InvalidArgument("a count range applies to include rules only", field=f"{field}.min_count")
    if r.min_count is not None and r.max_count is not None and r.min_count > r.max_count:
        raise InvalidArgument("must be <= max_count", field=f"{field}.min_count")
    for name in ("min_confidence", "max_confidence"):
        v = getattr(r, name)
        if v is not None and not (0.0 <= v <= 1.0):
            raise InvalidArgument("must be between 0 and 1", field=f"{field}.{name}")
    if r.min_confidence is not None and r.max_confidence is not None and r.min_confidence > r.max_confidence:
        raise InvalidArgument("must be <= max_confidence", field=f"{field}.min_confidence")
    return RoiRuleSpec(r.include, labels, r.min_count, r.max_count, r.min_confidence, r.max_confidence)


def validate_selection(mode: Mode, filters: list[RawFilter], field: str = "selection") -> Selection:
    """Parse and check a selection; raises InvalidArgument naming e.g. `selection.filters[0].frame_query`."""
    if mode is not Mode.CUSTOM:
        if filters:
            raise InvalidArgument(f"filters are only used in custom mode, not {mode.value}", field=f"{field}.filters")
        return Selection(mode)
    if not filters:
        raise InvalidArgument("custom mode needs at least one filter", field=f"{field}.filters")
    if len(filters) > MAX_FILTERS:
        raise InvalidArgument(f"at most {MAX_FILTERS} filters", field=f"{field}.filters")
    out = []
    for i, f in enumerate(filters):
        ff = f"{field}.filters[{i}]"
        if not (f.roi_rules or f.frame_query.strip() or f.source_query.strip()):
            raise InvalidArgument("a filter needs a ROI rule, a frame query or a source query", field=ff)
        if len(f.roi_rules) > MAX_RULES:
            raise InvalidArgument(f"at most {MAX_RULES} rules", field=f"{ff}.roi_rules")
        rules = tuple(_rule(r, f"{ff}.roi_rules[{j}]") for j, r in enumerate(f.roi_rules))
        fq = parse_query(f.frame_query, f"{ff}.frame_query", "meta") if f.frame_query.strip() else None
        sq = parse_query(f.source_query, f"{ff}.source_query", "source") if f.source_query.strip() else None
        out.append(FilterSpec(rules, fq, sq))
    return Selection(Mode.CUSTOM, tuple(out))
