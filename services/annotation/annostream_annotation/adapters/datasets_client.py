"""Port and gRPC adapter: how far the datasets service has published its changes (GetPublishedPosition)."""

from __future__ import annotations

from typing import Protocol

from grpc import aio

from annostream_kernel.errors import Unavailable
from annostream_kernel.grpc_client import channel, service_metadata
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as api_grpc


class DatasetsPositions(Protocol):
    """The datasets stream sequence that covers every change the datasets service acknowledged so far."""

    async def published_position(self, timeout: float) -> int:
        """The sequence; Unavailable when the datasets service cannot tell within `timeout` seconds."""
        ...


class GrpcDatasetsPositions:
    """DatasetsPositions over the datasets service's GetPublishedPosition, called as the annotation service."""

    def __init__(self, target: str, timeout: float = 10.0) -> None:
        self._channel = channel(target)
        self._stub = api_grpc.DatasetsServiceStub(self._channel)
        self._timeout = timeout

    async def published_position(self, timeout: float) -> int:
        """One GetPublishedPosition call; any failure is Unavailable."""
        try:
            resp = await self._stub.GetPublishedPosition(
                api.GetPublishedPositionRequest(),
                metadata=service_metadata("annotation"),
                timeout=max(0.05, min(self._timeout, timeout)),
            )
        except aio.AioRpcError as err:
            raise Unavailable(f"the datasets service did not answer ({err.code().name}); retry") from err
        return int(resp.stream_seq)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
