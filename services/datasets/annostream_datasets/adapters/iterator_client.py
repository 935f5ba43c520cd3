"""gRPC adapter: seal a version in the iterator (no lease on it is handed out afterwards)."""

from __future__ import annotations

from grpc import aio

from annostream_kernel.errors import Unavailable
from annostream_kernel.grpc_client import channel, service_metadata
from annostream_kernel.logs import get_logger
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as it_grpc

from ..domain.model import Version

log = get_logger(__name__)


class GrpcLeaseSealer:
    """LeaseSealer over the iterator's SealVersion (one call; the iterator catches up on the tasks stream first, so
    it is given the caller's time left, at most `timeout`, like every catch-up, rather than the peer timeout)."""

    def __init__(self, target: str, timeout: float = 30.0) -> None:
        self._channel = channel(target)
        self._stub = it_grpc.IteratorServiceStub(self._channel)
        self._timeout = timeout

    async def seal(self, version: Version, timeout: float | None = None) -> list[tuple[str, str]]:
        """SealVersion: the active tasks annotating the version (then nothing was sealed), else []; any failure is
        Unavailable naming version_id (the caller then publishes nothing)."""
        req = it.SealVersionRequest(version_id=version.version_id)
        try:
            wait = self._timeout if timeout is None else max(0.05, min(self._timeout, timeout))
            got = await self._stub.SealVersion(req, metadata=service_metadata("datasets"), timeout=wait)
        except aio.AioRpcError as err:
            log.warning("publish_lease_seal_failed", version_id=version.version_id, code=err.code().name)
            raise Unavailable(
                f"the iterator could not stop handing out frames of version {version.version_id}"
                f" ({err.code().name}): nothing was published; retry",
                field="version_id",
            ) from err
        return [(t.task_id, t.team) for t in got.active_tasks]

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
