"""Ids holding '/' in URL paths: a frame imported from `train/0001.jpg` (COCO, YOLO directories) has the id
`train/0001`, and clients send it as one percent-encoded segment (`train%2F0001`).

The server decodes the path before routing, and routing splits on '/', so such a frame answered 404. Here a
request whose raw path holds an encoded '/' or '%' is routed on a path whose segments keep exactly those two
characters encoded (`escape_path`, in the edge middleware), and the path parameters are decoded once routing has
named them (`unescape`, in the edge's app-wide path check). The round trip is unambiguous: only such requests are
escaped, so any other decoded path never holds `%2F` or `%25`, and decoding is then a no-op."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.types import Scope

_ESCAPED = re.compile(r"%(2[fF]|25)")
_TRIGGER = re.compile(rb"%(2[fF]|25)")


def _decoded(m: re.Match[str]) -> str:
    return "%" if m.group(1) == "25" else "/"


def escape_path(scope: Scope) -> None:
    """Route a request whose raw path holds `%2F` or `%25` on its path with those kept encoded in each segment."""
    raw = scope.get("raw_path")
    if raw and _TRIGGER.search(raw):
        segments = raw.decode("latin-1").partition("?")[0].split("/")
        scope["path"] = "/".join(unquote(s).replace("%", "%25").replace("/", "%2F") for s in segments)


def unescape(value: str) -> str:
    """A path parameter's text: an escaped '/' or '%' decoded (see the module docstring)."""
    return _ESCAPED.sub(_decoded, value) if "%" in value else value
