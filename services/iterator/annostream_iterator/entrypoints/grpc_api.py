"""Thin gRPC servicer of the iterator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
from google.protobuf import timestamp_pb2

from annostream_protos.iterator.v1 import iterator_service_pb2 as api
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as api_grpc
from annostream_protos.types.v1 import frames_pb2

from ..domain.model import NextFrame
from ..service_layer import handlers


class IteratorServicer(api_grpc.IteratorServiceServicer):
    """annostream.iterator.v1.IteratorService."""

    def __init__(self, pool: asyncpg.Pool, lease_ttl: timedelta) -> None:
        self._pool, self._ttl = pool, lease_ttl

    async def NextFrame(self, request: api.NextFrameRequest, context: Any) -> api.NextFrameResponse:
        lease = await handlers.next_frame(self._pool, NextFrame(request.task_id, request.annotator), self._ttl)
        if lease is None:
            return api.NextFrameResponse()
        expires = timestamp_pb2.Timestamp()
        expires.FromDatetime(lease.expires_at)
        return api.NextFrameResponse(
            frame=frames_pb2.FrameRef(version_id=lease.version_id, frame_id=lease.frame_id),
            lease_id=lease.lease_id,
            lease_expires_at=expires,
            position=lease.position,
            total=lease.total,
        )
