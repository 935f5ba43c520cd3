"""Compile a parsed selection to parameterised SQL over the frame index (never text interpolation).

Every user value travels as a bind parameter; the SQL text only contains fixed fragments, parameter
numbers, and jsonpath texts that are themselves passed as parameters (built from escaped keys).
"""

from __future__ import annotations

import json
from typing import Any

from ..domain.ast import And, Compare, Label, Mode, Node, Not, Op, Or, RoiRuleSpec, Scalar, Selection
from ..domain.parser import SOURCE_NUMBERS


class Params:
    """Collects bind parameters; `add` returns the `$n::type` placeholder."""

    def __init__(self, values: list[Any] | None = None) -> None:
        self.values: list[Any] = list(values or [])
        self._named: dict[str, str] = {}

    def add(self, value: Any, cast: str) -> str:
        """Append a parameter and return its placeholder."""
        self.values.append(value)
        return f"${len(self.values)}::{cast}"

    def once(self, name: str, value: Any, cast: str) -> str:
        """Like `add`, but one parameter per name (added on first use only)."""
        if name not in self._named:
            self._named[name] = self.add(value, cast)
        return self._named[name]


def like_pattern(glob: str) -> str:
    """`*` → `%`; LIKE metacharacters escaped (PostgreSQL's default escape is backslash)."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _jsonpath_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _regex(glob: str) -> str:
    body = "".join(".*" if c == "*" else (c if c.isalnum() else "\\" + c) for c in glob)
    return f"^{body}$"


def labels_sql(node: Node, p: Params) -> str:
    """A label expression as a predicate on one ROI `r` (r.labels text[])."""
    match node:
        case And(items):
            return "(" + " AND ".join(labels_sql(i, p) for i in items) + ")"
        case Or(items):
            return "(" + " OR ".join(labels_sql(i, p) for i in items) + ")"
        case Not(item):
            return f"(NOT {labels_sql(item, p)})"
        case Label(text, glob) if glob and set(text) == {"*"}:
            return "(cardinality(r.labels) > 0)"
        case Label(text, glob) if glob:
            return f"EXISTS (SELECT 1 FROM unnest(r.labels) l WHERE l LIKE {p.add(like_pattern(text), 'text')})"
        case Label(text, _):
            return f"({p.add(text, 'text')} = ANY(r.labels))"
    raise TypeError(f"not a label expression node: {node!r}")


def _meta_leaf(c: Compare, p: Params) -> str:
    path = "$" + "".join("." + _jsonpath_string(k) for k in c.path[1:])
    variables: dict[str, Scalar] = {}
    if c.op is Op.EXISTS:
        jp = path
    elif c.op is Op.GLOB:
        jp = f"{path} ? (@ like_regex {_jsonpath_string(_regex(str(c.value)))})"
    elif c.op is Op.RANGE:
        conds = []
        if c.lo is not None:
            variables["lo"] = c.lo
            conds.append("@ >= $lo" if c.lo_inclusive else "@ > $lo")
        if c.hi is not None:
            variables["hi"] = c.hi
            conds.append("@ <= $hi" if c.hi_inclusive else "@ < $hi")
        jp = f"{path} ? ({' && '.join(conds)})" if conds else path
    else:
        symbol = {Op.EQ: "==", Op.GT: ">", Op.GE: ">=", Op.LT: "<", Op.LE: "<="}[c.op]
        variables["v"] = c.value
        jp = f"{path} ? (@ {symbol} $v)"
    return f"jsonb_path_exists(f.metadata, {p.add(jp, 'jsonpath')}, {p.add(json.dumps(variables), 'jsonb')}, true)"


def _source_leaf(c: Compare, p: Params) -> str:
    attr = c.path[1]
    if attr in SOURCE_NUMBERS:
        col, cast = f"(s.value->>'{attr}')::float8", "float8"
    else:
        col, cast = f"(s.value->>'{attr}')", "text"
    if c.op is Op.EXISTS:
        return f"(coalesce({col}::text, '') NOT IN ('', '0'))"
    if c.op is Op.GLOB:
        return f"({col} LIKE {p.add(like_pattern(str(c.value)), 'text')})"
    if c.op is Op.RANGE:
        conds = []
        if c.lo is not None:
            conds.append(f"{col} {'>=' if c.lo_inclusive else '>'} {p.add(_typed(c.lo, cast), cast)}")
        if c.hi is not None:
            conds.append(f"{col} {'<=' if c.hi_inclusive else '<'} {p.add(_typed(c.hi, cast), cast)}")
        return "(" + (" AND ".join(conds) or "true") + ")"
    symbol = {Op.EQ: "=", Op.GT: ">", Op.GE: ">=", Op.LT: "<", Op.LE: "<="}[c.op]
    return f"({col} {symbol} {p.add(_typed(c.value, cast), cast)})"


def _typed(v: Scalar, cast: str) -> Any:
    return float(v) if cast == "float8" and isinstance(v, int | float) else str(v)


def query_sql(node: Node, p: Params, leaf: Any) -> str:
    """A frame or source query as SQL; `leaf` compiles one comparison."""
    match node:
        case And(items):
            return "(" + " AND ".join(query_sql(i, p, leaf) for i in items) + ")"
        case Or(items):
            return "(" + " OR ".join(query_sql(i, p, leaf) for i in items) + ")"
        case Not(item):
            return f"(NOT {query_sql(item, p, leaf)})"
        case Compare():
            return str(leaf(node, p))
    raise TypeError(f"not a query node: {node!r}")


def _roi_join(rule: RoiRuleSpec, alias: str, lineage: list[str], p: Params) -> tuple[str, str]:
    conds = [f"r.version_id = ANY({p.once('lineage', lineage, 'text[]')})", labels_sql(rule.labels, p)]
    if rule.min_confidence is not None:
        conds.append(f"r.confidence >= {p.add(rule.min_confidence, 'float8')}")
    if rule.max_confidence is not None:
        conds.append(f"r.confidence <= {p.add(rule.max_confidence, 'float8')}")
    join = (
        f" LEFT JOIN (SELECT r.version_id, r.frame_id, count(*) AS n FROM rois r WHERE {' AND '.join(conds)}"
        f" GROUP BY 1, 2) {alias} ON {alias}.version_id = f.sv AND {alias}.frame_id = f.frame_id"
    )
    if not rule.include:
        return join, f"({alias}.n IS NULL)"
    lo = 1 if rule.min_count is None else rule.min_count
    pred = f"coalesce({alias}.n, 0) >= {p.add(lo, 'int8')}"
    if rule.max_count is not None:
        pred += f" AND coalesce({alias}.n, 0) <= {p.add(rule.max_count, 'int8')}"
    return join, f"({pred})"


def selection_sql(sel: Selection, lineage: list[str], p: Params) -> tuple[str, str]:
    """(LEFT JOINs, WHERE predicate) selecting frames of the CTE `f` (frame_id, sv, metadata, sources)."""
    if sel.mode is Mode.ALL:
        return "", "true"
    if sel.mode is Mode.EMPTY:
        join = (
            " LEFT JOIN (SELECT DISTINCT r.version_id, r.frame_id FROM rois r"
            f" WHERE r.version_id = ANY({p.once('lineage', lineage, 'text[]')}))"
            " r_any ON r_any.version_id = f.sv AND r_any.frame_id = f.frame_id"
        )
        return join, "(r_any.frame_id IS NULL)"
    joins, ors = [], []
    for i, flt in enumerate(sel.filters):
        ands = []
        for j, rule in enumerate(flt.roi_rules):
            join, pred = _roi_join(rule, f"r_{i}_{j}", lineage, p)
            joins.append(join)
            ands.append(pred)
        if flt.frame_query is not None:
            ands.append(query_sql(flt.frame_query, p, _meta_leaf))
        if flt.source_query is not None:
            src = query_sql(flt.source_query, p, _source_leaf)
            ands.append(f"EXISTS (SELECT 1 FROM jsonb_array_elements(f.sources) s WHERE {src})")
        ors.append("(" + " AND ".join(ands) + ")")
    return "".join(joins), "(" + " OR ".join(ors) + ")"
