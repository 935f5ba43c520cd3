"""gRPC adapter to the iterator: validating custom frame filters and reading task progress."""

from __future__ import annotations

import grpc
from grpc import aio

from annostream_kernel.errors import InvalidArgument, Unavailable
from annostream_kernel.grpc_client import channel, outgoing_metadata, service_metadata, to_domain_error
from annostream_protos.iterator.v1 import iterator_service_pb2 as api
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as api_grpc

from ..domain.model import Selection
from ..service_layer.ports import Progress
from ..wire import selection_msg

GATES = {"active": api.TASK_GATE_ACTIVE, "completed": api.TASK_GATE_COMPLETED, "deleted": api.TASK_GATE_DELETED}


def _field(field: str | None) -> str:
    if not field:
        return "selection"
    return field if field.startswith("selection") else f"selection.{field}"


class GrpcFrameIterator:
    """FrameIterator over the iterator's gRPC API."""

    def __init__(self, target: str, timeout: float = 10.0) -> None:
        self._channel = channel(target)
        self._stub = api_grpc.IteratorServiceStub(self._channel)
        self._timeout = timeout

    async def validate_selection(self, selection: Selection) -> None:
        """INVALID_ARGUMENT keeps its field (under `selection.`); UNIMPLEMENTED means it cannot be checked."""
        req = api.ValidateSelectionRequest(selection=selection_msg(selection))
        try:
            await self._stub.ValidateSelection(req, metadata=outgoing_metadata(), timeout=self._timeout)
        except aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
                e = to_domain_error(err)
                raise InvalidArgument(e.message, field=_field(e.field), details=e.details) from err
            reason = "does not support ValidateSelection yet" if err.code() == grpc.StatusCode.UNIMPLEMENTED else ""
            raise Unavailable(
                f"custom filters cannot be validated now: the iterator {reason or err.code().name}; retry later",
                field="selection",
            ) from err

    async def progress(self, task_id: str) -> Progress:
        """0/0 (known=False) while the iterator does not know the task or cannot answer."""
        try:
            resp = await self._stub.GetProgress(
                api.GetProgressRequest(task_id=task_id), metadata=outgoing_metadata(), timeout=self._timeout
            )
        except aio.AioRpcError:
            return Progress()
        return Progress(resp.done, resp.total, True, resp.status == "pending")

    async def set_status(self, task_id: str, status: str, revision: int) -> None:
        """SetTaskStatus; any failure is Unavailable naming task_id."""
        req = api.SetTaskStatusRequest(task_id=task_id, status=GATES[status], revision=revision)
        try:
            await self._stub.SetTaskStatus(req, metadata=service_metadata("tasks"), timeout=self._timeout)
        except aio.AioRpcError as err:
            raise Unavailable(
                f"the iterator did not confirm that task {task_id} is {status} ({err.code().name}); retry",
                field="task_id",
            ) from err

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
