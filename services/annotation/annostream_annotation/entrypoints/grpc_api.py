"""Thin gRPC servicer of the annotation service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from annostream_kernel.catch_up import CatchUp
from annostream_kernel.errors import Conflict, DomainError, InvalidArgument, NotFound
from annostream_kernel.grpc_errors import Refused
from annostream_kernel.limits import MAX_ID_LENGTH, MAX_SAVE_REQUEST_BYTES, check_text
from annostream_kernel.metrics import SAVE_CONFLICTS, SAVE_REBASES
from annostream_kernel.miss_retry import retried_after_catch_up
from annostream_kernel.policy import Permission
from annostream_kernel.positions import OwnStream
from annostream_kernel.protobuf import struct
from annostream_kernel.streams import ANNOTATION
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as api_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from .. import wire
from ..service_layer import history, sizes, versions
from ..service_layer.access import DeletedVersion, VersionAccess
from ..service_layer.export import ExportScope, export_pages, page_size
from ..service_layer.handlers import FrameSaver, SaveFrame, request_hash
from ..service_layer.ports import FrameLister
from ..service_layer.session import FrameSession
from . import api_messages

SAVE_FRAMES = "/annostream.annotation.v1.AnnotationService/SaveFrames"
MIN_TIMESTAMP_SECONDS, MAX_TIMESTAMP_SECONDS = -62_135_596_800, 253_402_300_799  # years 1 to 9999


def _ref(frame: t.FrameRef) -> tuple[str, str]:
    if not frame.version_id:
        raise InvalidArgument("is required", field="frame.version_id")
    if not frame.frame_id:
        raise InvalidArgument("is required", field="frame.frame_id")
    check_text(frame.version_id, "frame.version_id", max_length=MAX_ID_LENGTH)
    check_text(frame.frame_id, "frame.frame_id", max_length=MAX_ID_LENGTH)
    return frame.version_id, frame.frame_id


def _task(task_id: str) -> str:
    check_text(task_id, "task_id", max_length=MAX_ID_LENGTH)
    return task_id


CATCH_UP_FIELDS = frozenset({"frame.version_id", "frame.frame_id"})


def _datasets(servicer: AnnotationServicer) -> CatchUp:
    return servicer._catch_up


# A NotFound for the version or frame is the answer only once this service has applied every datasets change
# acknowledged before it: the request runs once more after that (nothing was stored by the first run). A deleted
# version is answered at once: no later event brings it back.
caught_up = retried_after_catch_up(
    lambda err: err.field in CATCH_UP_FIELDS and not isinstance(err, DeletedVersion), _datasets
)


class AnnotationServicer(api_grpc.AnnotationServiceServicer):
    """annostream.annotation.v1.AnnotationService."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        notify_channel: str,
        js: JetStreamContext,
        producer: str,
        access: VersionAccess,
        catch_up: CatchUp,
        saver: FrameSaver,
        lister: FrameLister | None = None,
    ) -> None:
        self._pool, self._channel = pool, notify_channel
        self._edits = OwnStream(pool, js, ANNOTATION.name, producer)  # what GetPublishedPosition answers
        self._saver = saver
        self._access, self._catch_up, self._lister = access, catch_up, lister

    @caught_up
    async def SaveFrame(self, request: api.SaveFrameRequest, context: Any) -> api.SaveFrameResponse:
        await self._access.check(Permission.ANNOTATE, request.frame.version_id)
        if (size := request.ByteSize()) > MAX_SAVE_REQUEST_BYTES:
            raise InvalidArgument(
                f"the save is {size} bytes, over the limit of {MAX_SAVE_REQUEST_BYTES}: split it", field="commands"
            )
        cmd = SaveFrame(
            version_id=request.frame.version_id,
            frame_id=request.frame.frame_id,
            expected_version=request.expected_version,
            idempotency_key=request.idempotency_key,
            commands=tuple(api_messages.command(c, i) for i, c in enumerate(request.commands)),
            task_id=request.task_id,
            request_hash=request_hash(request) if request.idempotency_key else b"",
        )
        try:
            saved = await self._saver.save(cmd)
        except Conflict:
            SAVE_CONFLICTS.inc()
            raise
        if saved.rebased:
            SAVE_REBASES.inc()
        return saved

    async def SaveFrames(
        self, requests: AsyncIterator[api.SaveFramesRequest], context: Any
    ) -> AsyncIterator[api.SaveFramesResponse]:
        async for request in requests:
            try:
                if isinstance(request, Refused):  # failed the kernel's request validation: answered in order
                    raise request.error
                saved = await self.SaveFrame(request.save, context)
            except DomainError as err:
                details = struct(err.details) if err.details else None
                error = api.SaveError(code=err.code_name, message=err.message, field=err.field or "", details=details)
                yield api.SaveFramesResponse(error=error)
                continue
            yield api.SaveFramesResponse(saved=saved)

    @caught_up
    async def GetFrame(self, request: api.GetFrameRequest, context: Any) -> api.GetFrameResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.READ, version_id)
        async with self._pool.acquire() as conn:
            s = await FrameSession.open(conn, version_id, frame_id, write=False)
        return api.GetFrameResponse(frame=sizes.readable(wire.frame_state(s.ref, s.version, s.base, s.agg.doc)))

    @caught_up
    async def ListFrameEvents(self, request: api.ListFrameEventsRequest, context: Any) -> api.ListFrameEventsResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.READ, version_id)
        return await history.list_events(self._pool, version_id, frame_id, request.after_version, request.page_size)

    @caught_up
    async def GetFrameAt(self, request: api.GetFrameAtRequest, context: Any) -> api.GetFrameAtResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.READ, version_id)
        which = request.WhichOneof("at")
        if which is None:
            raise InvalidArgument("give a version or a time", field="at")
        if which == "version":
            state = await history.frame_at(self._pool, version_id, frame_id, version=request.version)
        else:
            time = request.time
            if not MIN_TIMESTAMP_SECONDS <= time.seconds <= MAX_TIMESTAMP_SECONDS or not 0 <= time.nanos < 10**9:
                raise InvalidArgument("must be a time between the years 1 and 9999", field="time")
            state = await history.frame_at(self._pool, version_id, frame_id, at=time.ToDatetime(tzinfo=UTC))
        return api.GetFrameAtResponse(frame=state)

    @caught_up
    async def RevertFrame(self, request: api.RevertFrameRequest, context: Any) -> api.RevertFrameResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.ANNOTATE, version_id)
        _task(request.task_id)
        done = await history.revert(
            self._pool,
            version_id,
            frame_id,
            request.to_version,
            request.expected_version,
            request.task_id,
            self._channel,
        )
        return api.RevertFrameResponse(
            frame=done.frame, event_ids=done.event_ids, version=done.version, frame_omitted=done.frame_omitted
        )

    @caught_up
    async def UndoSave(self, request: api.UndoSaveRequest, context: Any) -> api.UndoSaveResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.ANNOTATE, version_id)
        done = await history.undo(self._pool, version_id, frame_id, _task(request.task_id), self._channel)
        return api.UndoSaveResponse(
            frame=done.frame, event_ids=done.event_ids, version=done.version, frame_omitted=done.frame_omitted
        )

    async def GetVersionStatus(
        self, request: api.GetVersionStatusRequest, context: Any
    ) -> api.GetVersionStatusResponse:
        if not request.version_id:
            raise InvalidArgument("is required", field="version_id")
        status = await self._pool.fetchval("SELECT status FROM versions WHERE version_id = $1", request.version_id)
        known = status is not None and status != "deleted"
        return api.GetVersionStatusResponse(known=known, read_only=status in ("published", "deleted"))

    async def SealVersion(self, request: api.SealVersionRequest, context: Any) -> api.SealVersionResponse:
        await versions.seal_version(
            self._pool, request.version_id, request.dataset_id, request.parent_version_id, request.team
        )
        return api.SealVersionResponse()

    async def SealDeletedVersions(
        self, request: api.SealDeletedVersionsRequest, context: Any
    ) -> api.SealDeletedVersionsResponse:
        await versions.seal_deleted(self._pool, request.dataset_id, list(request.version_ids))
        return api.SealDeletedVersionsResponse()

    async def GetPublishedPosition(
        self, request: api.GetPublishedPositionRequest, context: Any
    ) -> api.GetPublishedPositionResponse:
        remaining = context.time_remaining() if context is not None else None
        return api.GetPublishedPositionResponse(stream_seq=await self._edits.published(remaining))

    @caught_up
    async def RedoSave(self, request: api.RedoSaveRequest, context: Any) -> api.RedoSaveResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.ANNOTATE, version_id)
        done = await history.redo(self._pool, version_id, frame_id, _task(request.task_id), self._channel)
        return api.RedoSaveResponse(
            frame=done.frame, event_ids=done.event_ids, version=done.version, frame_omitted=done.frame_omitted
        )

    async def _readable(self, version_id: str, context: Any) -> None:
        """Checks read access to a version, once more after catching up when it is not known yet."""
        try:
            await self._access.check(Permission.READ, version_id, field="version_id")
        except NotFound:
            remaining = context.time_remaining() if context is not None else None
            await self._catch_up.caught_up(remaining)
            await self._access.check(Permission.READ, version_id, field="version_id")

    async def ExportFrames(
        self, request: api.ExportFramesRequest, context: Any
    ) -> AsyncIterator[api.ExportFramesResponse]:
        if not request.version_id:
            raise InvalidArgument("is required", field="version_id")
        check_text(request.version_id, "version_id", max_length=MAX_ID_LENGTH)
        await self._readable(request.version_id, context)
        remaining = context.time_remaining() if context is not None else None
        scope = ExportScope(
            request.version_id,
            page_size(request.page_size),
            _task(request.task_id),
            request.selection if request.HasField("selection") else None,
            timeout=remaining,
        )
        # An export holds every frame the datasets service acknowledged before it (a known version can still miss
        # its latest import) and, filtered, every edit acknowledged before it: both waits run at once.
        if scope.by_selection:
            _, edits_seq = await asyncio.gather(self._catch_up.caught_up(remaining), self._edits.published(remaining))
            scope = replace(scope, edits_seq=edits_seq)
        else:
            await self._catch_up.caught_up(remaining)
        version = await self._pool.fetchrow(
            "SELECT dataset_id, status FROM versions WHERE version_id = $1", scope.version_id
        )
        if version is not None and version["status"] == "deleted":
            raise DeletedVersion(scope.version_id, "version_id")
        dataset_id = version["dataset_id"] if version is not None else ""
        async for frames in export_pages(self._pool, scope, self._lister):
            yield api.ExportFramesResponse(frames=frames, dataset_id=dataset_id)
