"""The save route's body, read without FastAPI's body parameter: the JSON the edge already parsed and checked is
validated against `SaveFrameBody` (same errors, same 422 as a declared body), and the commands go to protobuf
from that JSON rather than from the models (one constructor call for the whole request). /openapi.json documents
the body as before (`OPENAPI`; contract.py adds the models to its components)."""

from __future__ import annotations

import email.message
import functools
import json
import types
import typing
from typing import Any, NamedTuple, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from google.protobuf.message_factory import GetMessageClass
from pydantic import BaseModel, TypeAdapter, ValidationError

from annostream_kernel.errors import InvalidArgument
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann

from .. import builders
from ..edge import PARSED, headers_of
from ..schemas import CommandBody, SaveFrameBody

OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SaveFrameBody"}}},
    }
}
ACTIONS = {
    f.name: builders.json_builder(cast(Any, GetMessageClass(cast(Any, f.message_type))))
    for f in ann.Command.DESCRIPTOR.oneofs_by_name["command"].fields
}
"""Editor action (the `Command` oneof field) → the builder of its message's fields from its validated JSON."""
NO_ROI = frozenset({"add_frame_label", "remove_frame_label", "set_frame_metadata"})
UNKNOWN_IDS = frozenset({"paste_rois", "lock_all_rois", "unlock_all_rois"})  # the ROIs they touch: the service's
PROTO_DEFAULTS = (None, "", 0, 0.0, False)


def _models(annotation: Any) -> list[type[BaseModel]]:
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    out = []
    for a in (annotation, *args, *(x for arg in args for x in typing.get_args(arg))):
        if isinstance(a, type) and issubclass(a, BaseModel):
            out.append(a)
        out += [x for x in typing.get_args(a) if isinstance(x, type) and issubclass(x, BaseModel)]
    return out


def _same_defaults(model: type[BaseModel]) -> None:
    """Leaving a key out of the JSON must mean what the model's default means: the message's default."""
    for name, f in model.model_fields.items():
        default = f.default_factory() if f.default_factory is not None else f.default  # type: ignore[call-arg]
        if not f.is_required() and default not in PROTO_DEFAULTS and default not in ([], {}):
            raise TypeError(f"{model.__name__}.{name} defaults to {default!r}, not its protobuf default")
        for sub in _models(f.annotation):
            _same_defaults(sub)


_same_defaults(CommandBody)


class Head(NamedTuple):
    """What a save takes from its body besides the commands."""

    expected_version: int
    idempotency_key: str
    task_id: str


ACTION_MODELS = {
    name: TypeAdapter(cast(Any, list)[next(a for a in typing.get_args(f.annotation) if a is not type(None))])
    for name, f in CommandBody.model_fields.items()
}
"""Editor action → the validator of a list of its values (the action's model, as `CommandBody` declares it)."""
COMMAND_LIST = TypeAdapter(list[CommandBody])


async def read(request: Request) -> tuple[Head, list[Any]]:
    """The validated body's head and its JSON commands; RequestValidationError (422) as for a declared body."""
    raw = await request.body()  # the edge's replay: no copy
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    doc: Any = raw  # a body that does not say it is JSON is validated as bytes (FastAPI's strict content type)
    if _says_json(headers_of(request.scope).get("content-type")):
        doc = request.scope.get(PARSED)
        if doc is None:
            try:
                doc = json.loads(raw)
            except json.JSONDecodeError as err:
                error = {"type": "json_invalid", "loc": ("body", err.pos), "msg": "JSON decode error", "input": {}}
                raise RequestValidationError([{**error, "ctx": {"error": err.msg}}], body=err.doc) from err
            except UnicodeDecodeError as err:  # e.g. a gzip or Latin-1 body: json.loads decodes bytes as UTF-8
                raise InvalidArgument(f"is not UTF-8 JSON (byte {err.start}: {err.reason})", field="body") from err
    if (head := _by_action(doc)) is not None:
        return head, doc["commands"]
    try:
        body = SaveFrameBody.model_validate(doc, from_attributes=True)
    except ValidationError as err:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in err.errors(include_url=False)]
        raise RequestValidationError(errors, body=doc) from err
    return Head(body.expected_version, body.idempotency_key, body.task_id), doc["commands"]


def _by_action(doc: Any) -> Head | None:
    """The body's head when `SaveFrameBody` accepts `doc`, validated without the 15-field `CommandBody` layer when
    each command is one action: the head fields by the model itself (its commands replaced by one empty command,
    which the model accepts), each action's values by the action's own model as `CommandBody` declares it, one call
    per action. None when a command is not one non-null known action or anything is refused: the caller validates
    the whole body then, for the model's own errors (a test holds both ways equal)."""
    cmds = doc.get("commands") if type(doc) is dict else None
    if type(cmds) is not list or not cmds:
        return None
    by_action: dict[str, list[Any]] = {}
    for cmd in cmds:
        if type(cmd) is not dict or len(cmd) != 1:
            return None
        ((name, value),) = cmd.items()
        if value is None or name not in ACTION_MODELS:
            return None
        by_action.setdefault(name, []).append(value)
    try:
        head = SaveFrameBody.model_validate({**doc, "commands": [{}]}, from_attributes=True)
        for name, values in by_action.items():
            ACTION_MODELS[name].validate_python(values, from_attributes=True)
    except ValidationError:
        return None
    return Head(head.expected_version, head.idempotency_key, head.task_id)


def command_models(given: list[Any]) -> list[CommandBody]:
    """The commands as their models (validated JSON)."""
    return COMMAND_LIST.validate_python(given, from_attributes=True)


@functools.lru_cache(maxsize=64)
def _says_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def commands(given: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[str] | None]:
    """The `Command` messages' fields of validated JSON commands, and the ids of the ROIs they name (None when one
    names ROIs the client does not know: a paste, a create without id, lock / unlock all)."""
    out: list[dict[str, Any]] = []
    touched: set[str] | None = set()
    for i, cmd in enumerate(given):
        actions = [(name, value) for name, value in cmd.items() if value is not None]
        if len(actions) != 1:
            raise InvalidArgument("each command needs exactly one action", field=f"commands[{i}]")
        name, value = actions[0]
        out.append({name: ACTIONS[name](value, f"commands[{i}].{name}")})
        if touched is None or name in NO_ROI:
            continue
        roi_id = value["roi"].get("roi_id") if name == "create_roi" else value.get("roi_id")
        if name in UNKNOWN_IDS or not roi_id:
            touched = None
        else:
            touched.add(roi_id)
    return out, touched
