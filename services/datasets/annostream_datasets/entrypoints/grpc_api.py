"""Thin gRPC servicer: request → command → handler → response."""

from __future__ import annotations

from typing import Any

from annostream_kernel.context import current_team
from annostream_kernel.errors import InvalidArgument
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as api_grpc

from ..adapters import messages
from ..domain.commands import CreateDataset, CreateVersion, ImportFrames, PublishVersion
from ..domain.frames import parse_frame
from ..service_layer import handlers
from ..service_layer.handlers import UowFactory


class DatasetsServicer(api_grpc.DatasetsServiceServicer):
    """annostream.datasets.v1.DatasetsService."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def CreateDataset(self, request: api.CreateDatasetRequest, context: Any) -> api.CreateDatasetResponse:
        ds = await handlers.create_dataset(self._uow, CreateDataset(request.name, current_team()))
        return api.CreateDatasetResponse(dataset=messages.dataset_msg(ds))

    async def GetDataset(self, request: api.GetDatasetRequest, context: Any) -> api.GetDatasetResponse:
        ds = await handlers.get_dataset(self._uow, request.dataset_id)
        return api.GetDatasetResponse(dataset=messages.dataset_msg(ds))

    async def CreateVersion(self, request: api.CreateVersionRequest, context: Any) -> api.CreateVersionResponse:
        cmd = CreateVersion(request.dataset_id, request.name, request.parent_version_id or None)
        return api.CreateVersionResponse(version=messages.version_msg(await handlers.create_version(self._uow, cmd)))

    async def GetVersion(self, request: api.GetVersionRequest, context: Any) -> api.GetVersionResponse:
        if not request.version_id:
            raise InvalidArgument("is required", field="version_id")
        return api.GetVersionResponse(
            version=messages.version_msg(await handlers.get_version(self._uow, request.version_id))
        )

    async def ImportFrames(self, request: api.ImportFramesRequest, context: Any) -> api.ImportFramesResponse:
        frames = tuple(parse_frame(messages.frame_dict(f), f"frames[{i}]") for i, f in enumerate(request.frames))
        imported, skipped = await handlers.import_frames(self._uow, ImportFrames(request.version_id, frames))
        return api.ImportFramesResponse(imported=imported, skipped=skipped)

    async def PublishVersion(self, request: api.PublishVersionRequest, context: Any) -> api.PublishVersionResponse:
        v = await handlers.publish_version(self._uow, PublishVersion(request.version_id))
        return api.PublishVersionResponse(version=messages.version_msg(v))
