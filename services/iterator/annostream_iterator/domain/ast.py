"""AST of the filter language (label expressions, frame and source queries); see docs/filters.md."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class And:
    """All items hold."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one item holds."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The item does not hold."""

    item: Node


@dataclass(frozen=True)
class Label:
    """A ROI carries a label equal to `text` (or, with `glob`, matching it with `*` as any run of characters)."""

    text: str
    glob: bool = False


class Op(StrEnum):
    """Comparison of a field with a value."""

    EQ = "eq"
    GLOB = "glob"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    EXISTS = "exists"
    RANGE = "range"


@dataclass(frozen=True)
class Compare:
    """`field op value`; `path` is ("meta", key, ...) or ("source", attribute)."""

    path: tuple[str, ...]
    op: Op
    value: Scalar = None
    lo: Scalar = None
    hi: Scalar = None
    lo_inclusive: bool = True
    hi_inclusive: bool = True


Node = And | Or | Not | Label | Compare


@dataclass(frozen=True)
class RoiRuleSpec:
    """A parsed ROI rule."""

    include: bool
    labels: Node
    min_count: int | None = None
    max_count: int | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None


@dataclass(frozen=True)
class FilterSpec:
    """A parsed frame filter: its rules are ANDed."""

    roi_rules: tuple[RoiRuleSpec, ...]
    frame_query: Node | None
    source_query: Node | None


class Mode(StrEnum):
    """All frames, frames without ROIs, or custom filters."""

    ALL = "all"
    EMPTY = "empty"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Selection:
    """A task's parsed frame selection; custom filters are ORed."""

    mode: Mode
    filters: tuple[FilterSpec, ...] = ()
