"""One validator for every incoming gRPC request: storable text, finite numbers, ids PostgreSQL can hold.

`check_request` walks any protobuf message by its descriptor (never per field by hand): no string (map keys
and google.protobuf.Struct keys and values included) may contain NUL, no double or float (Struct numbers
included) may be NaN or Infinity, and no uint64 may exceed PostgreSQL's bigint. The first offence raises
InvalidArgument naming the field path, e.g. `commands[2].create_roi.roi.labels[0]`. (Invalid UTF-8 never
reaches it: protobuf refuses to parse such a request, see `undecodable_field`; lengths are product rules the
owning service checks with annostream_kernel.limits.)

Speed: every request is checked, an import holds 10,000 frames and a polygon 10,000 points, so
1. the serialized request is searched first (memchr speed) for what each kind of offence needs: a NUL in a
   string is a 0x00 byte; a NaN or Infinity double has its exponent bits set (a byte >= 0xF0 followed by 0x7F
   or 0xFF, eight bytes after the tag of a double field). Only the kinds whose sign occurs are walked for, so
   a typical import (no 0x00 byte, no doubles) only has its few uint64 fields read;
2. the walk of a message type, per kind set, is compiled once from its descriptor into a small function:
   fields that need no check are never read, a repeated message of scalars (Point) is checked inline in its
   parent's loop, and a field path is only built for an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from .errors import InvalidArgument
from .limits import INT64_MAX

F = FieldDescriptor
Descriptor = Any  # google.protobuf.descriptor.Descriptor (its stubs type child descriptors as optional)
TEXT, NUMBER, UINT64 = "text", "number", "uint64"
SIGN_HITS_PER_BYTE = 1 / 32  # past this many candidate bytes (and 1,000), walk rather than look further
_STRUCT_TYPES = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
_DESCRIPTORS: dict[str, Descriptor] = {}
Checker = Callable[[Any, Any], None]


def kinds_in(raw: bytes, double_tags: frozenset[int] | None = None) -> frozenset[str]:
    """The kinds of offence a serialized message may hold (a superset: the walk decides). uint64 fields are
    always looked at: they are few and never in large repeated parts of a request. `double_tags`: the one-byte
    tags the message type's doubles are written after (None: it may hold floats or packed doubles)."""
    kinds = {UINT64}
    if b"\x00" in raw:
        kinds.add(TEXT)
    if _maybe_nonfinite(raw, double_tags):
        kinds.add(NUMBER)
    return frozenset(kinds)


def _maybe_nonfinite(raw: bytes, double_tags: frozenset[int] | None) -> bool:
    """Whether the bytes may hold a NaN or an Infinity: their top two bytes are 0x7F or 0xFF after a byte of
    0xF0 and up (a double's exponent bits all set; for a float, 0x80 and up), and with `double_tags` the byte
    8 before the top one is one of those tags."""
    hits, below = 0, 0xF0 if double_tags is not None else 0x80
    most = max(1_000, int(len(raw) * SIGN_HITS_PER_BYTE))
    for top in (0x7F, 0xFF):
        pos = raw.find(top, 1)
        while pos != -1:
            hits += 1
            if hits > most:
                return True
            if raw[pos - 1] >= below and (double_tags is None or (pos >= 8 and raw[pos - 8] in double_tags)):
                return True
            pos = raw.find(top, pos + 1)
    return False


_TAGS: dict[str, frozenset[int] | None] = {}


def _double_tags(desc: Descriptor) -> frozenset[int] | None:
    """The one-byte tags the doubles of a message of this type (and of its sub-messages) are written after;
    None when it may hold a float, a packed repeated double or a double field numbered 16 or more."""
    name = desc.full_name
    if name not in _TAGS:
        _TAGS[name] = frozenset()  # a recursive type: decided by its other fields
        tags: set[int] | None = set()
        for f in desc.fields:
            if tags is None:
                break
            if f.type == F.TYPE_FLOAT or (f.type == F.TYPE_DOUBLE and (f.number >= 16 or _packed(f))):
                tags = None
            elif f.type == F.TYPE_DOUBLE:
                tags.add(f.number << 3 | 1)
            elif f.type == F.TYPE_MESSAGE:
                child = _double_tags(f.message_type)
                tags = None if child is None else tags | child
        _TAGS[name] = None if tags is None else frozenset(tags)
    return _TAGS[name]


def _packed(field: Any) -> bool:
    return _repeated(field) and bool(getattr(field, "is_packed", True))


def check_request(msg: Message, raw: bytes | None = None, prefix: str = "") -> None:
    """InvalidArgument naming the first field of `msg` (serialized: `raw`) holding a NUL, NaN/Infinity or a
    uint64 beyond int64; field paths start with `prefix`."""
    desc = msg.DESCRIPTOR
    kinds = kinds_in(msg.SerializeToString() if raw is None else raw, _double_tags(desc))
    if _needs(desc, kinds):
        _DESCRIPTORS[desc.full_name] = desc
        _CHECKERS[(desc.full_name, kinds)](msg, prefix)


# -- errors: a path is a chain of (parent, name[, index]) tuples, flattened only for an error ---------------
def path_of(at: Any) -> str:
    """A field path from its chain."""
    if isinstance(at, str):
        return at
    parent, name, *index = at
    head = path_of(parent)
    out = head if name is None else f"{head}.{name}" if head else str(name)
    return out + (f"[{index[0]}]" if index else "")


def _text_error(at: Any) -> None:
    raise InvalidArgument("must not contain NUL (\\u0000)", field=path_of(at))


def _number_error(at: Any) -> None:
    raise InvalidArgument("must be a finite number (no NaN or Infinity)", field=path_of(at))


def _uint64_error(at: Any) -> None:
    raise InvalidArgument(f"must be at most {INT64_MAX}", field=path_of(at))


def _struct(value: Any, at: Any, kinds: frozenset[str]) -> None:
    """google.protobuf.Struct / Value / ListValue, walked as the JSON they stand for."""
    name = value.DESCRIPTOR.full_name
    if name == "google.protobuf.Struct":
        for k, v in value.fields.items():
            if TEXT in kinds and "\x00" in k:
                _text_error(at)
            _struct(v, (at, k), kinds)
    elif name == "google.protobuf.ListValue":
        for i, v in enumerate(value.values):
            _struct(v, (at, None, i), kinds)
    else:
        kind = value.WhichOneof("kind")
        if kind == "number_value":
            if NUMBER in kinds and not math.isfinite(value.number_value):
                _number_error(at)
        elif kind == "string_value":
            if TEXT in kinds and "\x00" in value.string_value:
                _text_error(at)
        elif kind in ("struct_value", "list_value"):
            _struct(getattr(value, kind), at, kinds)


# -- compiling a checker per (message type, kinds) ---------------------------------------------------------
def _repeated(field: Any) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf >= 5.28; `label` is deprecated
    return bool(repeated) if repeated is not None else getattr(field, "label", 0) == F.LABEL_REPEATED


def _kind(field: Any) -> str | None:
    if field.type == F.TYPE_STRING:
        return TEXT
    if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return NUMBER
    if field.type in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return UINT64
    return None


_NEEDS: dict[tuple[str, frozenset[str]], bool] = {}
_BUILDING: set[tuple[str, frozenset[str]]] = set()


def _needs(desc: Descriptor, kinds: frozenset[str]) -> bool:
    """Whether a message of this type can hold an offence of these kinds."""
    key = (desc.full_name, kinds)
    if desc.full_name in _STRUCT_TYPES:
        return bool(kinds & {TEXT, NUMBER})
    if key in _NEEDS:
        return _NEEDS[key]
    if key in _BUILDING:  # a recursive type: assume so
        return True
    _BUILDING.add(key)
    try:
        result = any(
            _kind(f) in kinds or (f.type == F.TYPE_MESSAGE and _needs(f.message_type, kinds)) for f in desc.fields
        )
    finally:
        _BUILDING.discard(key)
    _NEEDS[key] = result
    return result


def _flat(desc: Descriptor) -> bool:
    """Only singular scalar fields (a Point): checked inline in the parent's loop."""
    return desc.full_name not in _STRUCT_TYPES and all(
        not _repeated(f) and f.type != F.TYPE_MESSAGE for f in desc.fields
    )


def _scalar_lines(field: Any, value: str, at: str, indent: str, kinds: frozenset[str]) -> list[str]:
    """Lines checking one scalar expression `value`; `at` is the expression of its path chain."""
    kind = _kind(field)
    if kind not in kinds:
        return []
    test = {TEXT: f"'\\x00' in {value}", NUMBER: f"{value} - {value}", UINT64: f"{value} > {INT64_MAX}"}[kind]
    return [f"{indent}if {test}:", f"{indent}    _{kind}_error({at})"]


def _call(desc: Descriptor, kinds: frozenset[str], value: str, at: str) -> str:
    if desc.full_name in _STRUCT_TYPES:
        return f"_struct({value}, {at}, kinds)"
    _DESCRIPTORS[desc.full_name] = desc
    return f"_CHECKERS[({desc.full_name!r}, kinds)]({value}, {at})"


def _field_lines(field: Any, kinds: frozenset[str]) -> list[str]:
    name = field.name
    if field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        key, val = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
        body = _scalar_lines(key, "k", f"(at, {name!r}, k)", "        ", kinds)
        if val.type != F.TYPE_MESSAGE:
            body += _scalar_lines(val, "v", f"(at, {name!r}, k)", "        ", kinds)
        elif _needs(val.message_type, kinds):
            body.append("        " + _call(val.message_type, kinds, "v", f"(at, {name!r}, k)"))
        return [f"    for k, v in m.{name}.items():", *body] if body else []
    if field.type == F.TYPE_MESSAGE:
        child = field.message_type
        if not _needs(child, kinds):
            return []
        if not _repeated(field):
            return [f"    if m.HasField({name!r}):", "        " + _call(child, kinds, f"m.{name}", f"(at, {name!r})")]
        if _flat(child):
            body = []
            for f in child.fields:
                if lines := _scalar_lines(f, "v", f"((at, {name!r}, i), {f.name!r})", "        ", kinds):
                    body += [f"        v = x.{f.name}", *lines]
            return [f"    for i, x in enumerate(m.{name}):", *body]
        return [f"    for i, x in enumerate(m.{name}):", "        " + _call(child, kinds, "x", f"(at, {name!r}, i)")]
    if _repeated(field):
        lines = _scalar_lines(field, "v", f"(at, {name!r}, i)", "        ", kinds)
        return [f"    for i, v in enumerate(m.{name}):", *lines] if lines else []
    lines = _scalar_lines(field, "v", f"(at, {name!r})", "    ", kinds)
    return [f"    v = m.{name}", *lines] if lines else []


def _compile(desc: Descriptor, kinds: frozenset[str]) -> Checker:
    lines = [line for f in desc.fields for line in _field_lines(f, kinds)]
    source = "def check(m, at):\n" + ("\n".join(lines) if lines else "    pass") + "\n"
    namespace = {**_NAMESPACE, "kinds": kinds}
    exec(compile(source, f"<check {desc.full_name}>", "exec"), namespace)  # generated from the descriptor only
    return namespace["check"]  # type: ignore[no-any-return]


class _Checkers(dict[tuple[str, frozenset[str]], Checker]):
    """Checkers by (message type name, kinds), compiled on first use (types may refer to each other)."""

    def __missing__(self, key: tuple[str, frozenset[str]]) -> Checker:
        checker = _compile(_DESCRIPTORS[key[0]], key[1])
        self[key] = checker
        return checker


_CHECKERS = _Checkers()
_NAMESPACE: dict[str, Any] = {
    "_text_error": _text_error,
    "_number_error": _number_error,
    "_uint64_error": _uint64_error,
    "_struct": _struct,
    "_CHECKERS": _CHECKERS,
}
