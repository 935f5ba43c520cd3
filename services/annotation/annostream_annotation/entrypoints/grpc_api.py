"""Thin gRPC servicer of the annotation service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import asyncpg

from annostream_kernel.errors import DomainError, InvalidArgument
from annostream_kernel.policy import Permission
from annostream_kernel.protobuf import struct
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as api_grpc
from annostream_protos.types.v1 import frames_pb2 as t

from ..adapters import messages
from ..adapters.iterator_client import FrameLister
from ..service_layer import history
from ..service_layer.access import VersionAccess
from ..service_layer.export import ExportScope, export_pages, page_size
from ..service_layer.save import SaveFrame, save_frame
from ..service_layer.session import FrameSession


def _ref(frame: t.FrameRef) -> tuple[str, str]:
    if not frame.version_id:
        raise InvalidArgument("is required", field="frame.version_id")
    if not frame.frame_id:
        raise InvalidArgument("is required", field="frame.frame_id")
    return frame.version_id, frame.frame_id


class AnnotationServicer(api_grpc.AnnotationServiceServicer):
    """annostream.annotation.v1.AnnotationService."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        notify_channel: str,
        access: VersionAccess | None = None,
        lister: FrameLister | None = None,
    ) -> None:
        self._pool, self._channel = pool, notify_channel
        self._access = access or VersionAccess(pool)
        self._lister = lister

    async def SaveFrame(self, request: api.SaveFrameRequest, context: Any) -> api.SaveFrameResponse:
        await self._access.check(Permission.ANNOTATE, request.frame.version_id)
        cmd = SaveFrame(
            version_id=request.frame.version_id,
            frame_id=request.frame.frame_id,
            expected_version=request.expected_version,
            idempotency_key=request.idempotency_key,
            commands=tuple(messages.command(c, i) for i, c in enumerate(request.commands)),
            task_id=request.task_id,
        )
        return await save_frame(self._pool, cmd, self._channel)

    async def SaveFrames(
        self, requests: AsyncIterator[api.SaveFramesRequest], context: Any
    ) -> AsyncIterator[api.SaveFramesResponse]:
        async for request in requests:
            try:
                saved = await self.SaveFrame(request.save, context)
            except DomainError as err:
                details = struct(err.details) if err.details else None
                error = api.SaveError(code=err.code_name, message=err.message, field=err.field or "", details=details)
                yield api.SaveFramesResponse(error=error)
                continue
            yield api.SaveFramesResponse(saved=saved)

    async def GetFrame(self, request: api.GetFrameRequest, context: Any) -> api.GetFrameResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.READ, version_id)
        async with self._pool.acquire() as conn:
            s = await FrameSession.open(conn, version_id, frame_id, write=False)
        return api.GetFrameResponse(frame=messages.frame_state(s.ref, s.version, s.base, s.agg.doc))

    async def ListFrameEvents(self, request: api.ListFrameEventsRequest, context: Any) -> api.ListFrameEventsResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.READ, version_id)
        return await history.list_events(self._pool, version_id, frame_id, request.after_version, request.page_size)

    async def GetFrameAt(self, request: api.GetFrameAtRequest, context: Any) -> api.GetFrameAtResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.READ, version_id)
        which = request.WhichOneof("at")
        if which is None:
            raise InvalidArgument("give a version or a time", field="at")
        if which == "version":
            state = await history.frame_at(self._pool, version_id, frame_id, version=request.version)
        else:
            state = await history.frame_at(self._pool, version_id, frame_id, at=request.time.ToDatetime(tzinfo=UTC))
        return api.GetFrameAtResponse(frame=state)

    async def RevertFrame(self, request: api.RevertFrameRequest, context: Any) -> api.RevertFrameResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.ANNOTATE, version_id)
        state, ids = await history.revert(
            self._pool,
            version_id,
            frame_id,
            request.to_version,
            request.expected_version,
            request.task_id,
            self._channel,
        )
        return api.RevertFrameResponse(frame=state, event_ids=ids)

    async def UndoSave(self, request: api.UndoSaveRequest, context: Any) -> api.UndoSaveResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.ANNOTATE, version_id)
        state, ids = await history.undo(self._pool, version_id, frame_id, request.task_id, self._channel)
        return api.UndoSaveResponse(frame=state, event_ids=ids)

    async def GetVersionStatus(
        self, request: api.GetVersionStatusRequest, context: Any
    ) -> api.GetVersionStatusResponse:
        if not request.version_id:
            raise InvalidArgument("is required", field="version_id")
        status = await self._pool.fetchval("SELECT status FROM versions WHERE version_id = $1", request.version_id)
        return api.GetVersionStatusResponse(known=status is not None, read_only=status == "published")

    async def RedoSave(self, request: api.RedoSaveRequest, context: Any) -> api.RedoSaveResponse:
        version_id, frame_id = _ref(request.frame)
        await self._access.check(Permission.ANNOTATE, version_id)
        state, ids = await history.redo(self._pool, version_id, frame_id, request.task_id, self._channel)
        return api.RedoSaveResponse(frame=state, event_ids=ids)

    async def ExportFrames(
        self, request: api.ExportFramesRequest, context: Any
    ) -> AsyncIterator[api.ExportFramesResponse]:
        if not request.version_id:
            raise InvalidArgument("is required", field="version_id")
        await self._access.check(Permission.READ, request.version_id, field="version_id")
        scope = ExportScope(
            request.version_id,
            page_size(request.page_size),
            request.task_id,
            request.selection if request.HasField("selection") else None,
        )
        dataset_id = await self._pool.fetchval(
            "SELECT dataset_id FROM versions WHERE version_id = $1", scope.version_id
        )
        async for frames in export_pages(self._pool, scope, self._lister):
            yield api.ExportFramesResponse(frames=frames, dataset_id=dataset_id or "")
