"""gRPC adapter to the annotation service: the stream position a new task's plan must include."""

from __future__ import annotations

from grpc import aio

from annostream_kernel.errors import Unavailable
from annostream_kernel.grpc_client import channel, service_metadata
from annostream_protos.annotation.v1 import annotation_service_pb2 as api
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as api_grpc


class GrpcEditPositions:
    """EditPositions over the annotation service's GetPublishedPosition."""

    def __init__(self, target: str, timeout: float = 10.0) -> None:
        self._channel = channel(target)
        self._stub = api_grpc.AnnotationServiceStub(self._channel)
        self._timeout = timeout

    async def published_position(self) -> int:
        """GetPublishedPosition; any failure is Unavailable (the task is then not created: retry)."""
        try:
            resp = await self._stub.GetPublishedPosition(
                api.GetPublishedPositionRequest(), metadata=service_metadata("tasks"), timeout=self._timeout
            )
        except aio.AioRpcError as err:
            raise Unavailable(
                f"the annotation service could not tell which edits the task's plan must include"
                f" ({err.code().name}); nothing was created: retry",
                field="dataset_version_id",
            ) from err
        return int(resp.stream_seq)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
