"""Request bodies → protobuf messages shared by several routes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from pydantic import BaseModel

from annostream_kernel.limits import check_metadata, dump_json
from annostream_protos.types.v1 import frames_pb2 as t

from . import serializers
from .schemas import ImportRoiBody, RoiBody

M = TypeVar("M", bound=Message)
ROI_TYPE = {v: k for k, v in serializers.ROI_TYPE.items()}


def points(pts: list[tuple[float, float]]) -> list[t.Point]:
    """[[x, y], ...] → Point messages."""
    return [t.Point(x=x, y=y) for x, y in pts]


def metadata_json(value: dict[str, Any], field: str = "metadata") -> str:
    """A metadata object → the JSON text the services take (integers stay integers); InvalidArgument naming
    `field` for what cannot be stored (NaN, NUL, too deep or too large)."""
    return dump_json(check_metadata(value, field)) if value else ""


def roi(r: RoiBody, field: str = "roi") -> t.Roi:
    """A ROI as the API takes it (type name, [[x, y]] points) → Roi message."""
    msg = t.Roi(
        roi_id=r.roi_id,
        type=ROI_TYPE[r.type],
        points=points(r.points),
        labels=r.labels,
        source_id=r.source_id,
        metadata_json=metadata_json(r.metadata, f"{field}.metadata"),
    )
    if r.confidence is not None:
        msg.confidence = r.confidence
    if isinstance(r, ImportRoiBody):
        msg.locked = r.locked
    return msg


Converter = Callable[[Any, str], Any]


def _converter(desc: Any) -> Converter:
    """How one body field becomes the protobuf field of the same name (`where` is the field's path)."""
    sub = desc.message_type
    repeated = desc.is_repeated
    if sub is t.Roi.DESCRIPTOR:
        if repeated:
            return lambda v, where: [roi(r, f"{where}[{i}]") for i, r in enumerate(v)]
        return roi
    if sub is t.Point.DESCRIPTOR:
        return lambda v, where: points(v)
    if sub is not None:
        cls = GetMessageClass(sub)
        if repeated:
            return lambda v, where: [message(b, cls, f"{where}[{i}]") for i, b in enumerate(v)]
        return lambda v, where: message(v, cls, where)
    return lambda v, where: v


@functools.cache
def _plan(body: type[BaseModel], cls: type[Message]) -> tuple[tuple[str, str, Converter], ...]:
    """Body field → (protobuf field, converter); a body's `metadata` object goes to the message's
    `metadata_json` text. A body field the message lacks is a programming error (KeyError at the first use)."""
    fields = cls.DESCRIPTOR.fields_by_name
    plan: list[tuple[str, str, Converter]] = []
    for name in body.model_fields:
        if name == "metadata" and "metadata_json" in fields:
            plan.append((name, "metadata_json", metadata_json))
        else:
            plan.append((name, name, _converter(fields[name])))
    return tuple(plan)


def message(body: BaseModel, cls: type[M], where: str) -> M:
    """A request body → the protobuf message whose fields it names (generic: a new editor command needs only its
    body model in schemas.py); InvalidArgument names `where`.<field> for what cannot be stored."""
    plan = _plan(type(body), cast(Any, cls))
    return cls(**{to: convert(getattr(body, name), f"{where}.{name}") for name, to, convert in plan})
