"""gRPC adapter: the frame ids an export is limited to, from the iterator (which owns plans and the filters)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from grpc import aio

from annostream_kernel.authz import acting_as_service
from annostream_kernel.grpc_client import channel, outgoing_metadata, to_domain_error
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as it_grpc
from annostream_protos.types.v1 import filters_pb2

PAGE = 1000


class FrameLister:
    """Streams of frame ids from the iterator: a task's plan (as the caller), or a selection (as this service)."""

    def __init__(self, target: str) -> None:
        self._channel = channel(target)
        self._stub = it_grpc.IteratorServiceStub(self._channel)

    async def plan(self, task_id: str, timeout: float | None = None) -> AsyncIterator[tuple[str, list[str]]]:
        """(the task's version, frame ids) pages of a task's plan; the iterator checks READ on the task (and waits
        for a plan still pending within `timeout`, the caller's time left)."""
        stream = self._stub.ListPlanFrames(
            it.ListPlanFramesRequest(task_id=task_id, page_size=PAGE), metadata=outgoing_metadata(), timeout=timeout
        )
        try:
            async for page in stream:
                yield page.version_id, list(page.frame_ids)
        except aio.AioRpcError as err:
            raise to_domain_error(err) from err
        finally:
            stream.cancel()

    async def select(
        self, version_id: str, selection: filters_pb2.FrameSelection, edits_seq: int, timeout: float | None = None
    ) -> AsyncIterator[list[str]]:
        """Frame id pages of the version matching the selection as of every edit published up to `edits_seq`
        (call only after checking READ on it), within `timeout` (the caller's time left: the iterator's waits for
        its consumers end before it)."""
        with acting_as_service("annotation"):
            md = outgoing_metadata()
        req = it.SelectFramesRequest(
            version_id=version_id, selection=selection, page_size=PAGE, annotation_stream_seq=edits_seq
        )
        stream = self._stub.SelectFrames(req, metadata=md, timeout=timeout)
        try:
            async for page in stream:
                yield list(page.frame_ids)
        except aio.AioRpcError as err:
            raise to_domain_error(err) from err
        finally:
            stream.cancel()

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
