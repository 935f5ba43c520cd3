"""gRPC adapter: seal versions in the annotation service (no edit to them commits afterwards; deleted, no read
of them answers)."""

from __future__ import annotations

from grpc import aio

from annostream_kernel.errors import Unavailable
from annostream_kernel.grpc_client import channel, service_metadata
from annostream_kernel.logs import get_logger
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc

from ..domain.model import Version

log = get_logger(__name__)


class GrpcEditSealer:
    """EditSealer over the annotation service's SealVersion and SealDeletedVersions (one call each; they do not
    wait for any event)."""

    def __init__(self, target: str, timeout: float = 10.0) -> None:
        self._channel = channel(target)
        self._stub = ann_grpc.AnnotationServiceStub(self._channel)
        self._timeout = timeout

    async def seal(self, version: Version, timeout: float | None = None) -> None:
        """SealVersion; any failure is Unavailable naming version_id (the caller then publishes nothing)."""
        req = ann.SealVersionRequest(
            version_id=version.version_id,
            dataset_id=version.dataset_id,
            parent_version_id=version.parent_version_id or "",
            team=version.team,
        )
        try:
            wait = self._timeout if timeout is None else max(0.05, min(self._timeout, timeout))
            await self._stub.SealVersion(req, metadata=service_metadata("datasets"), timeout=wait)
        except aio.AioRpcError as err:
            log.warning("publish_seal_failed", version_id=version.version_id, code=err.code().name)
            raise Unavailable(
                f"the annotation service could not make version {version.version_id} read-only"
                f" ({err.code().name}): nothing was published; retry",
                field="version_id",
            ) from err

    async def seal_deleted(
        self, dataset_id: str, version_ids: list[str], field: str, timeout: float | None = None
    ) -> None:
        """SealDeletedVersions; any failure is Unavailable naming `field` (the caller then deletes nothing)."""
        req = ann.SealDeletedVersionsRequest(dataset_id=dataset_id, version_ids=version_ids)
        try:
            wait = self._timeout if timeout is None else max(0.05, min(self._timeout, timeout))
            await self._stub.SealDeletedVersions(req, metadata=service_metadata("datasets"), timeout=wait)
        except aio.AioRpcError as err:
            log.warning("delete_seal_failed", dataset_id=dataset_id, versions=len(version_ids), code=err.code().name)
            raise Unavailable(
                f"the annotation service could not refuse edits to the deleted version(s) ({err.code().name}):"
                " nothing was deleted; retry",
                field=field,
            ) from err

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
