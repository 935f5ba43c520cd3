"""gRPC adapter to the datasets service (the versions a task annotates)."""

from __future__ import annotations

from annostream_kernel.grpc_client import call, channel
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as api_grpc
from annostream_protos.events.v1 import datasets_pb2 as ev

from ..service_layer.ports import VersionInfo


def _info(v: api.Version) -> VersionInfo:
    published = v.status == ev.VERSION_STATUS_PUBLISHED
    return VersionInfo(v.version_id, v.dataset_id, v.name, published, v.frame_count, v.parent_version_id, v.team)


class GrpcVersionCatalog:
    """VersionCatalog over the datasets service's gRPC API."""

    def __init__(self, target: str, timeout: float = 10.0) -> None:
        self._channel = channel(target)
        self._stub = api_grpc.DatasetsServiceStub(self._channel)
        self._timeout = timeout

    async def get_version(self, version_id: str) -> VersionInfo:
        """The version, or NotFound (named field dataset_version_id by the caller)."""
        resp = await call(self._stub.GetVersion, api.GetVersionRequest(version_id=version_id), timeout=self._timeout)
        return _info(resp.version)

    async def create_child(self, dataset_id: str, parent_version_id: str, name: str) -> VersionInfo:
        """Ask the datasets service for a Draft child version."""
        req = api.CreateVersionRequest(dataset_id=dataset_id, name=name, parent_version_id=parent_version_id)
        resp = await call(self._stub.CreateVersion, req, timeout=self._timeout)
        return _info(resp.version)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
