"""Thin gRPC servicer of the annotation service."""

from __future__ import annotations

from typing import Any

import asyncpg

from annostream_kernel.errors import InvalidArgument
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as api_grpc

from ..adapters import messages
from ..service_layer import handlers
from ..service_layer.handlers import SaveFrame


class AnnotationServicer(api_grpc.AnnotationServiceServicer):
    """annostream.annotation.v1.AnnotationService."""

    def __init__(self, pool: asyncpg.Pool, notify_channel: str) -> None:
        self._pool, self._channel = pool, notify_channel

    async def SaveFrame(self, request: api.SaveFrameRequest, context: Any) -> api.SaveFrameResponse:
        cmd = SaveFrame(
            version_id=request.frame.version_id,
            frame_id=request.frame.frame_id,
            expected_version=request.expected_version,
            idempotency_key=request.idempotency_key,
            commands=tuple(messages.command(c, i) for i, c in enumerate(request.commands)),
            task_id=request.task_id,
        )
        return await handlers.save_frame(self._pool, cmd, self._channel)

    async def GetFrame(self, request: api.GetFrameRequest, context: Any) -> api.GetFrameResponse:
        if not request.frame.version_id:
            raise InvalidArgument("is required", field="frame.version_id")
        if not request.frame.frame_id:
            raise InvalidArgument("is required", field="frame.frame_id")
        state = await handlers.get_frame(self._pool, request.frame.version_id, request.frame.frame_id)
        return api.GetFrameResponse(frame=state)
