"""Recursive-descent parsers of label expressions and frame/source queries (grammar: docs/filters.md).

Errors are InvalidArgument naming the field, with details {"position": 0-based offset, "expected", "found"}.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import NoReturn

from annostream_kernel.errors import InvalidArgument

from .ast import And, Compare, Label, Node, Not, Op, Or, Scalar

MAX_QUERY_LENGTH = 4000
MAX_DEPTH = 32
KEYWORDS = ("AND", "OR", "NOT", "TO")
SOURCE_STRINGS = ("id", "uri", "preview_uri")
SOURCE_NUMBERS = ("width", "height", "timestamp")
SOURCE_FIELDS = ", ".join(f"source.{f}" for f in (*SOURCE_STRINGS, *SOURCE_NUMBERS))
LABEL_STOP = set(' \t\r\n()"')
VALUE_STOP = set(' \t\r\n()[]{}":<>=')
KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class _Scanner:
    def __init__(self, text: str, field: str) -> None:
        self.text, self.field, self.pos, self.depth = text, field, 0, 0
        if len(text) > MAX_QUERY_LENGTH:
            self.fail(f"at most {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH)
        if (nul := text.find("\x00")) >= 0:
            self.fail("no NUL character", nul)

    def fail(self, expected: str, pos: int | None = None) -> NoReturn:
        at = self.pos if pos is None else pos
        found = repr(self.text[at : at + 12]) if at < len(self.text) else "end of query"
        raise InvalidArgument(
            f"expected {expected} at position {at}, found {found}",
            field=self.field,
            details={"position": at, "expected": expected, "found": found},
        )

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def at_end(self) -> bool:
        self.ws()
        return self.pos >= len(self.text)

    def keyword(self, kw: str) -> bool:
        self.ws()
        end = self.pos + len(kw)
        if self.text[self.pos : end].upper() == kw and (end >= len(self.text) or self.text[end] in LABEL_STOP):
            self.pos = end
            return True
        return False

    def quoted(self) -> str:
        start, out = self.pos, []
        self.pos += 1
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
            elif c == '"':
                self.pos += 1
                return "".join(out)
            else:
                out.append(c)
                self.pos += 1
        self.fail(f'a closing " for the string opened at position {start}', len(self.text))

    def word(self, stop: set[str]) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stop:
            self.pos += 1
        return self.text[start : self.pos]


def _boolean(s: _Scanner, primary: Callable[[_Scanner], Node]) -> Node:
    """or := and (OR and)*; and := not (AND not)*; not := NOT not | '(' or ')' | primary."""

    def or_() -> Node:
        items = [and_()]
        while s.keyword("OR"):
            items.append(and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_() -> Node:
        items = [not_()]
        while s.keyword("AND"):
            items.append(not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_() -> Node:
        s.ws()
        s.depth += 1
        if s.depth > MAX_DEPTH:
            s.fail(f"at most {MAX_DEPTH} nested NOTs or parentheses")
        try:
            if s.keyword("NOT"):
                return Not(not_())
            if s.peek() == "(":
                s.pos += 1
                inner = or_()
                s.ws()
                if s.peek() != ")":
                    s.fail("AND, OR or ')'")
                s.pos += 1
                return inner
            return primary(s)
        finally:
            s.depth -= 1

    node = or_()
    if not s.at_end():
        s.fail("AND, OR or end of query")
    return node


def _label(s: _Scanner) -> Node:
    s.ws()
    start = s.pos
    if s.peek() == '"':
        text = s.quoted()
    else:
        text = s.word(LABEL_STOP)
        if not text or text.upper() in KEYWORDS:
            s.fail("a label, a quoted label or '('", start)
    if not text:
        s.fail("a non-empty label", start)
    return Label(text, glob="*" in text)


def parse_labels(text: str, field: str) -> Node:
    """Parse a label expression such as `car AND NOT "parked car"` or `vehicle.*`."""
    s = _Scanner(text, field)
    if s.at_end():
        s.fail("a label expression")
    return _boolean(s, _label)


SOURCE_ALL = (*SOURCE_STRINGS, *SOURCE_NUMBERS)


def _path(s: _Scanner, root: str) -> tuple[str, ...]:
    """field := segment ('.' segment)*; segment := [A-Za-z0-9_-]+ | quoted string."""
    start = s.pos
    parts: list[str] = []
    while True:
        seg_start = s.pos
        if s.peek() == '"':
            seg = s.quoted()
        else:
            while s.pos < len(s.text) and s.text[s.pos] in KEY_CHARS:
                s.pos += 1
            seg = s.text[seg_start : s.pos]
        if not seg:
            s.fail("a field name", seg_start)
        parts.append(seg)
        if s.peek() != ".":
            break
        s.pos += 1
    if root == "meta" and (parts[0] != "meta" or len(parts) < 2):
        s.fail("a field such as meta.city", start)
    if root == "source" and (parts[0] != "source" or len(parts) != 2 or parts[1] not in SOURCE_ALL):
        s.fail(f"one of {SOURCE_FIELDS}", start)
    return tuple(parts)


# A bare number as JSON writes one (ASCII digits; leading zeros are read as the web UI writes them): Python's
# int()/float() also take '1_0', '+5', '.5', 'inf' and other scripts' digits, which the language reads as words.
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
MAX_NUMBER = sys.float_info.max


def _number(raw: str) -> int | float | None:
    if not NUMBER.fullmatch(raw):
        return None
    return int(raw) if raw.lstrip("-").isdigit() else float(raw)


def _value(s: _Scanner, path: tuple[str, ...], *, ordered: bool) -> tuple[Scalar, bool]:
    """A value for `path`; returns (value, is_glob). `ordered`: the value is compared with < or >."""
    s.ws()
    start = s.pos
    numeric = path[0] == "source" and path[1] in SOURCE_NUMBERS
    if s.peek() == '"':
        raw, quoted = s.quoted(), True
    else:
        raw, quoted = s.word(VALUE_STOP), False
        if not raw or raw.upper() in KEYWORDS:
            s.fail("a value", start)
    value: Scalar = raw
    if not quoted and (path[0] == "meta" or numeric) and (n := _number(raw)) is not None:
        if not -MAX_NUMBER <= n <= MAX_NUMBER:  # 1e400 was infinity; no stored number is beyond (use * to open)
            s.fail("a number between -1.8e308 and 1.8e308 (an open range bound is *)", start)
        value = n
    elif not quoted and path[0] == "meta" and raw in ("true", "false", "null"):
        value = {"true": True, "false": False, "null": None}[raw]
    if numeric and not isinstance(value, int | float):
        s.fail("a number", start)
    if ordered and (value is None or isinstance(value, bool) or (isinstance(value, str) and "*" in value)):
        s.fail("a number or a string without '*'", start)
    return value, isinstance(value, str) and "*" in value


def _range(s: _Scanner, path: tuple[str, ...]) -> Compare:
    lo_inclusive = s.peek() == "["
    s.pos += 1
    bounds: list[Scalar] = []
    for i in range(2):
        s.ws()
        if s.peek() == "*" and (s.pos + 1 >= len(s.text) or s.text[s.pos + 1] in VALUE_STOP):
            s.pos += 1
            bounds.append(None)
        else:
            bounds.append(_value(s, path, ordered=True)[0])
        if i == 0 and not s.keyword("TO"):
            s.fail("TO")
    s.ws()
    if s.peek() not in ("]", "}") or not s.peek():
        s.fail("']' or '}'")
    hi_inclusive = s.peek() == "]"
    s.pos += 1
    return Compare(path, Op.RANGE, lo=bounds[0], hi=bounds[1], lo_inclusive=lo_inclusive, hi_inclusive=hi_inclusive)


CMP = (("<=", Op.LE), (">=", Op.GE), ("<", Op.LT), (">", Op.GT))


def _term(root: str) -> Callable[[_Scanner], Node]:
    def term(s: _Scanner) -> Node:
        s.ws()
        path = _path(s, root)
        s.ws()
        colon = s.peek() == ":"
        if colon:
            s.pos += 1
            s.ws()
            if s.peek() in ("[", "{"):
                return _range(s, path)
            if s.peek() == "*" and (s.pos + 1 >= len(s.text) or s.text[s.pos + 1] in VALUE_STOP):
                s.pos += 1
                return Compare(path, Op.EXISTS)
        for sym, op in CMP:
            if s.peek(len(sym)) == sym:
                s.pos += len(sym)
                return Compare(path, op, _value(s, path, ordered=True)[0])
        if not colon:
            s.fail("':' or a comparison (>, >=, <, <=)")
        value, glob = _value(s, path, ordered=False)
        return Compare(path, Op.GLOB if glob else Op.EQ, value)

    return term


def parse_query(text: str, field: str, root: str) -> Node:
    """Parse a frame (root "meta") or source (root "source") query such as `meta.speed:[10 TO 50]`."""
    s = _Scanner(text, field)
    if s.at_end():
        s.fail("a query")
    return _boolean(s, _term(root))
