"""The edge's fast reading of a JSON body: orjson, with the edge's checks done on the bytes where they can be.

orjson already refuses what the edge would (NaN/Infinity, lone surrogates, numbers that overflow a double), so a
body orjson reads needs only what it accepts checked: an escaped NUL (`\\u0000`), integers past 64 bits (orjson
reads those beyond uint64 as floats: any run of 19 digits sends the body to the exact path) and the nesting depth
(counted on the brackets outside strings). Every other body goes the exact way (stdlib json, then the full walk
of edge.check_json), which also names the field at fault.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

DIGITS = bytes.maketrans(b"0123456789", b"0000000000")
LONG_NUMBER = b"0" * 19  # after DIGITS: INT64_MAX has 19 digits, shorter integers always fit
STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
BRACKETS = bytes.maketrans(b"[{]}", b"(())")  # both kinds alike: nesting is what counts
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
SLOW = object()
"""`read`'s answer when the body needs the exact path."""


def depth_at_most(raw: bytes, limit: int) -> bool:
    """Whether well-formed JSON `raw` nests at most `limit` containers deep: the brackets outside strings, each
    pass removing exactly the innermost pairs (every `()` of a pass's input is one)."""
    outside = b"".join(raw.split(b'"')[::2]) if b"\\" not in raw else STRINGS.sub(b"", raw)
    brackets = outside.translate(BRACKETS, NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return True
        brackets = brackets.replace(b"()", b"")
    return not brackets


def read(raw: bytes, max_depth: int) -> Any:
    """The JSON document in `raw` when orjson reads it and it passes the edge's checks, else SLOW (not JSON, a
    NUL, a long integer, too deep, or anything orjson refuses: the exact path reports or accepts it)."""
    if b"\\u0000" in raw or LONG_NUMBER in raw.translate(DIGITS):  # a run of 19 digits
        return SLOW
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return SLOW
    if (type(doc) is dict or type(doc) is list) and not depth_at_most(raw, max_depth):
        return SLOW
    return doc
