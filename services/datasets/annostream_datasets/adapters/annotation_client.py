"""Port and gRPC adapter: wait until the annotation service refuses edits to a Published version."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from grpc import aio

from annostream_kernel.authz import acting_as_service
from annostream_kernel.grpc_client import channel, outgoing_metadata
from annostream_kernel.logs import get_logger
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as ann_grpc

log = get_logger(__name__)


class EditSealer(Protocol):
    """Confirms that annotation edits to a version are refused."""

    async def wait_read_only(self, version_id: str) -> bool:
        """True once the annotation service refuses edits to the version (False after the timeout)."""
        ...


class GrpcEditSealer:
    """EditSealer polling the annotation service's GetVersionStatus (it learns of publishes from events)."""

    def __init__(self, target: str, timeout: float = 10.0, interval: float = 0.01) -> None:
        self._channel = channel(target)
        self._stub = ann_grpc.AnnotationServiceStub(self._channel)
        self._timeout, self._interval = timeout, interval

    async def wait_read_only(self, version_id: str) -> bool:
        """Poll until read_only; an unreachable annotation service accepts no edits either, so give up then."""
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            try:
                with acting_as_service("datasets"):  # GetVersionStatus is for annostream's own services
                    md = outgoing_metadata()
                resp = await self._stub.GetVersionStatus(
                    ann.GetVersionStatusRequest(version_id=version_id), metadata=md, timeout=2
                )
                if resp.read_only:
                    return True
            except aio.AioRpcError as err:
                log.warning("publish_seal_check_failed", version_id=version_id, code=err.code().name)
                return False
            await asyncio.sleep(self._interval)
        log.warning("publish_seal_timeout", version_id=version_id)
        return False

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
