"""Frames: read, save batches of editor commands, history, time travel, revert, undo/redo."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast, get_args

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from google.protobuf.message_factory import GetMessageClass

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.grpc_client import call
from annostream_kernel.limits import INT64_MAX
from annostream_kernel.protobuf import timestamp
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t

from .. import builders, serializers
from ..clients import Clients
from ..contract import COMMON, errors
from ..responses import EditResult, FrameHistory, FrameState, SaveResult
from ..schemas import CommandBody, RevertBody, UndoRedoBody
from . import save_body
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["frames"], dependencies=[Depends(identity)], responses=errors(*COMMON, 404))
C = Annotated[Clients, Depends(clients)]
FRAME = "/versions/{version_id}/frames/{frame_id}"
EDIT = errors(409, 413)
StreamVersion = Annotated[int, Query(ge=0, le=INT64_MAX)]
ACTIONS = {
    f.name: builders.Builder(
        next(a for a in get_args(CommandBody.model_fields[f.name].annotation) if a is not type(None)),
        GetMessageClass(cast(Any, f.message_type)),
    )
    for f in ann.Command.DESCRIPTOR.oneofs_by_name["command"].fields
}
"""Editor action (the `Command` oneof field) → the builder of its protobuf message from its `CommandBody` field."""


def command_msg(cmd: CommandBody, index: int) -> ann.Command:
    """One JSON command → ann.Command; exactly one action per command, converted by the field names it shares
    with its protobuf message (builders.Builder: nothing here per command)."""
    given = [name for name in cmd.__pydantic_fields_set__ if getattr(cmd, name) is not None]  # not all ~15 fields
    if len(given) != 1:
        raise InvalidArgument("each command needs exactly one action", field=f"commands[{index}]")
    name = given[0]
    return ann.Command(**{name: ACTIONS[name](getattr(cmd, name), f"commands[{index}].{name}")})


def answer(body: dict[str, Any]) -> Response:
    """The body as JSON, rendered without re-validating it against the route's documented model: a frame can hold
    10,000 ROIs, and validating what serializers.py built would double the cost of the answer (the schemathesis
    run in the suite checks these bodies against the schema); orjson, as pydantic would write it (NaN and
    Infinity as null)."""
    return Response(orjson.dumps(body), media_type="application/json")


def _ref(version_id: str, frame_id: str) -> t.FrameRef:
    return t.FrameRef(version_id=version_id, frame_id=frame_id)


@router.get(FRAME, response_model=FrameState)
async def get_frame(version_id: str, frame_id: str, c: C) -> Response:
    req = ann.GetFrameRequest(frame=_ref(version_id, frame_id))
    return answer(serializers.frame_state((await call(c.annotation.GetFrame, req, timeout=c.timeout)).frame))


ANSWER = (
    "`compact`: answer the new version, event ids and only what the save changed instead of the whole frame"
    " (granted unless the save was rebased or names ROIs the client cannot know: a paste, a create without"
    " `roi_id`, lock/unlock all; then the answer is full, `compact` false)"
)


@router.post(FRAME + "/save", response_model=SaveResult, responses=EDIT, openapi_extra=save_body.OPENAPI)
async def save_frame(
    version_id: str,
    frame_id: str,
    request: Request,
    c: C,
    answer_: Annotated[Literal["full", "compact"], Query(alias="answer", description=ANSWER)] = "full",
) -> Response:
    """Apply an ordered batch of commands atomically; newer non-conflicting edits of others are merged,
    a same-ROI conflict is 409 with the ROI, actor and event in `details`."""
    return await save(request, version_id, frame_id, c, answer_ == "compact")


async def save(request: Request, version_id: str, frame_id: str, c: Clients, compact: bool) -> Response:
    """`save_frame` once its parameters are read: by FastAPI, or by the lean route that serves it (save_route.py)."""
    body, given = await save_body.read(request)  # the body documented as SaveFrameBody (save_body.OPENAPI)
    commands, touched = save_body.commands(given)
    fields: dict[str, Any] = {
        "frame": _ref(version_id, frame_id),
        "expected_version": body.expected_version,
        "idempotency_key": body.idempotency_key,
        "task_id": body.task_id,
    }
    try:
        req = ann.SaveFrameRequest(**fields, commands=commands)
    except (TypeError, ValueError):  # not expected once the model accepted the body: convert from the models
        models = save_body.command_models(given)
        req = ann.SaveFrameRequest(**fields, commands=[command_msg(cmd, i) for i, cmd in enumerate(models)])
    resp = await call(c.annotation.SaveFrame, req, timeout=c.timeout)
    if compact and not (resp.rebased or resp.frame_omitted) and touched is not None:
        return answer(serializers.compact_saved(resp, touched))
    return answer(serializers.saved(resp))


@router.get(FRAME + "/events", response_model=FrameHistory)
async def frame_events(
    version_id: str,
    frame_id: str,
    c: C,
    after_version: StreamVersion = 0,
    page_size: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> Response:
    """The frame's history: who changed what, when."""
    req = ann.ListFrameEventsRequest(frame=_ref(version_id, frame_id), after_version=after_version, page_size=page_size)
    resp = await call(c.annotation.ListFrameEvents, req, timeout=c.timeout)
    events = [serializers.frame_event(e) for e in resp.events]
    return answer({"events": events, "current_version": resp.current_version, "more": resp.more})


@router.get(FRAME + "/at", response_model=FrameState)
async def frame_at(
    version_id: str,
    frame_id: str,
    c: C,
    version: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    time: datetime | None = None,
) -> Response:
    """The frame as it was at a stream version (`?version=`) or a time (`?time=` ISO 8601)."""
    req = ann.GetFrameAtRequest(frame=_ref(version_id, frame_id))
    if version is not None:
        req.version = version
    elif time is not None:
        try:  # a protobuf Timestamp holds years 1..9999 in UTC (a naive time is UTC already)
            time = time.astimezone(UTC) if time.tzinfo is not None else time
        except OverflowError as exc:
            raise InvalidArgument("must lie within the years 1 to 9999 in UTC", field="time") from exc
        req.time.CopyFrom(timestamp(time))
    else:
        raise InvalidArgument("give ?version= or ?time=", field="version")
    return answer(serializers.frame_state((await call(c.annotation.GetFrameAt, req, timeout=c.timeout)).frame))


@router.post(FRAME + "/revert", response_model=EditResult, responses=EDIT)
async def revert(version_id: str, frame_id: str, body: RevertBody, c: C) -> Response:
    """Make the frame equal to an earlier version (appends compensating events)."""
    req = ann.RevertFrameRequest(
        frame=_ref(version_id, frame_id),
        to_version=body.to_version,
        expected_version=body.expected_version,
        task_id=body.task_id,
    )
    return answer(serializers.changed(await call(c.annotation.RevertFrame, req, timeout=c.timeout)))


@router.post(FRAME + "/undo", response_model=EditResult, responses=EDIT)
async def undo(version_id: str, frame_id: str, c: C, body: Annotated[UndoRedoBody | None, Body()] = None) -> Response:
    """Undo your last save on this frame."""
    req = ann.UndoSaveRequest(frame=_ref(version_id, frame_id), task_id=body.task_id if body else "")
    return answer(serializers.changed(await call(c.annotation.UndoSave, req, timeout=c.timeout)))


@router.post(FRAME + "/redo", response_model=EditResult, responses=EDIT)
async def redo(version_id: str, frame_id: str, c: C, body: Annotated[UndoRedoBody | None, Body()] = None) -> Response:
    """Redo your last undone save on this frame."""
    req = ann.RedoSaveRequest(frame=_ref(version_id, frame_id), task_id=body.task_id if body else "")
    return answer(serializers.changed(await call(c.annotation.RedoSave, req, timeout=c.timeout)))
