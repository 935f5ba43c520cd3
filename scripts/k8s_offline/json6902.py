"""RFC 6902 operations (add, remove, replace, move, copy, test) on RFC 6901 pointers, as kustomize patches use them."""

from __future__ import annotations

import copy
from typing import Any

from .objects import DeployError, Obj


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise DeployError(f"JSON pointer {pointer!r} must start with '/'")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise DeployError(f"list index {token!r} is not a number")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise DeployError(f"list index {index} out of range")
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise DeployError("operations on the whole document are not supported")
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token, pointer)
    return node, tokens[-1]


def _child(node: Any, token: str, pointer: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise DeployError(f"path {pointer!r}: no member {token!r}")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, token, allow_end=False)]
    raise DeployError(f"path {pointer!r}: {token!r} is below a scalar")


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        node = _child(node, token, pointer)
    return node


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, allow_end=True), value)
    else:
        raise DeployError(f"path {pointer!r}: parent is a scalar")


def _remove(doc: Any, pointer: str) -> Any:
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        if token not in parent:
            raise DeployError(f"path {pointer!r}: nothing to remove")
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(parent, token, allow_end=False))
    raise DeployError(f"path {pointer!r}: parent is a scalar")


def apply_json6902(doc: Obj, operations: list[Any]) -> None:
    """Apply RFC 6902 operations to `doc` in place."""
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise DeployError(f"not a JSON 6902 operation: {operation!r}")
        op, path = operation["op"], str(operation["path"])
        if op == "add":
            _add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "remove":
            _remove(doc, path)
        elif op == "replace":
            _remove(doc, path)
            _add(doc, path, copy.deepcopy(operation["value"]))
        elif op == "move":
            _add(doc, path, _remove(doc, str(operation["from"])))
        elif op == "copy":
            _add(doc, path, copy.deepcopy(_get(doc, str(operation["from"]))))
        elif op == "test":
            if _get(doc, path) != operation["value"]:
                raise DeployError(f"test failed at {path!r}")
        else:
            raise DeployError(f"unknown JSON 6902 operation {op!r}")
