"""Thin gRPC servicer: request → command → handler → response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from annostream_kernel.authz import require_principal
from annostream_kernel.positions import OwnStream
from annostream_protos.datasets.v1 import datasets_service_pb2 as api
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as api_grpc

from ..domain.commands import (
    CreateDataset,
    CreateVersion,
    DeleteDataset,
    DeleteVersion,
    PublishVersion,
    RenameDataset,
    ShareDataset,
)
from ..service_layer import handlers, imports
from ..service_layer.handlers import UowFactory
from ..service_layer.ports import EditSealer, LeaseSealer
from . import api_messages as messages

SEAL_MARGIN_SECONDS = 0.5  # of the caller's deadline, left for the publish's (or delete's) own commit


def _seal_timeout(context: Any) -> float | None:
    """A seal (publish's or a delete's) must answer before the caller gives up on us (else the change could commit
    after a timeout): the caller's time left less a margin for the commit."""
    remaining = context.time_remaining() if context is not None else None
    return remaining - SEAL_MARGIN_SECONDS if remaining is not None else None


class DatasetsServicer(api_grpc.DatasetsServiceServicer):
    """annostream.datasets.v1.DatasetsService."""

    def __init__(self, uow: UowFactory, sealer: EditSealer, leases: LeaseSealer, published: OwnStream) -> None:
        self._uow, self._sealer, self._leases, self._published = uow, sealer, leases, published

    async def CreateDataset(self, request: api.CreateDatasetRequest, context: Any) -> api.CreateDatasetResponse:
        ds = await handlers.create_dataset(self._uow, CreateDataset(request.name, require_principal().team))
        return api.CreateDatasetResponse(dataset=messages.dataset_msg(ds))

    async def GetDataset(self, request: api.GetDatasetRequest, context: Any) -> api.GetDatasetResponse:
        ds = await handlers.get_dataset(self._uow, request.dataset_id)
        return api.GetDatasetResponse(dataset=messages.dataset_msg(ds))

    async def ListDatasets(self, request: api.ListDatasetsRequest, context: Any) -> api.ListDatasetsResponse:
        rows, token, total = await handlers.list_datasets(
            self._uow, require_principal().team, request.page_size, request.page_token
        )
        return api.ListDatasetsResponse(
            datasets=[messages.dataset_msg(d) for d in rows], next_page_token=token, total_size=total
        )

    async def RenameDataset(self, request: api.RenameDatasetRequest, context: Any) -> api.RenameDatasetResponse:
        ds = await handlers.rename_dataset(self._uow, RenameDataset(request.dataset_id, request.name))
        return api.RenameDatasetResponse(dataset=messages.dataset_msg(ds))

    async def DeleteDataset(self, request: api.DeleteDatasetRequest, context: Any) -> api.DeleteDatasetResponse:
        cmd = DeleteDataset(request.dataset_id)
        await handlers.delete_dataset(self._uow, cmd, self._sealer, _seal_timeout(context))
        return api.DeleteDatasetResponse()

    async def CreateVersion(self, request: api.CreateVersionRequest, context: Any) -> api.CreateVersionResponse:
        cmd = CreateVersion(
            request.dataset_id, request.name, request.parent_version_id or None, team=require_principal().team
        )
        return api.CreateVersionResponse(version=messages.version_msg(await handlers.create_version(self._uow, cmd)))

    async def GetVersion(self, request: api.GetVersionRequest, context: Any) -> api.GetVersionResponse:
        v = await handlers.get_version(self._uow, request.version_id)
        return api.GetVersionResponse(version=messages.version_msg(v))

    async def BatchGetVersions(
        self, request: api.BatchGetVersionsRequest, context: Any
    ) -> api.BatchGetVersionsResponse:
        found = await handlers.get_versions(self._uow, list(request.version_ids))
        return api.BatchGetVersionsResponse(versions=[messages.version_msg(v) for v in found])

    async def ListVersions(self, request: api.ListVersionsRequest, context: Any) -> api.ListVersionsResponse:
        roots, total = await handlers.list_versions(self._uow, request.dataset_id)
        return api.ListVersionsResponse(roots=[messages.tree_msg(n) for n in roots], total_size=total)

    async def PublishVersion(self, request: api.PublishVersionRequest, context: Any) -> api.PublishVersionResponse:
        cmd = PublishVersion(request.version_id)
        v = await handlers.publish_version(self._uow, cmd, self._sealer, self._leases, _seal_timeout(context))
        return api.PublishVersionResponse(version=messages.version_msg(v))

    async def DeleteVersion(self, request: api.DeleteVersionRequest, context: Any) -> api.DeleteVersionResponse:
        cmd = DeleteVersion(request.version_id)
        await handlers.delete_version(self._uow, cmd, self._sealer, _seal_timeout(context))
        return api.DeleteVersionResponse()

    async def ImportFrames(self, request: api.ImportFramesRequest, context: Any) -> api.ImportFramesResponse:
        imported, skipped = await imports.import_batch(
            self._uow, request.version_id, request.frames, validate_only=request.validate_only
        )
        return api.ImportFramesResponse(imported=imported, skipped=skipped)

    async def ImportFramesStream(
        self, request_iterator: AsyncIterator[api.ImportFramesStreamRequest], context: Any
    ) -> AsyncIterator[api.ImportFramesStreamResponse]:
        version_id, total_imported, total_skipped, batch = "", 0, 0, 0
        async for request in request_iterator:
            version_id = request.version_id or version_id
            imported, skipped = await imports.import_batch(
                self._uow,
                version_id,
                request.frames,
                validate_only=request.validate_only,
                details={"batch": batch, "committed_batches": batch},
            )
            total_imported, total_skipped = total_imported + imported, total_skipped + skipped
            yield api.ImportFramesStreamResponse(
                batch=batch,
                imported=imported,
                skipped=skipped,
                total_imported=total_imported,
                total_skipped=total_skipped,
            )
            batch += 1

    async def ListFrames(self, request: api.ListFramesRequest, context: Any) -> api.ListFramesResponse:
        frames, token, total = await imports.list_frames(
            self._uow, request.version_id, request.page_size, request.page_token
        )
        return api.ListFramesResponse(frames=frames, next_page_token=token, total_size=total)

    async def GetVersionStats(self, request: api.GetVersionStatsRequest, context: Any) -> api.GetVersionStatsResponse:
        v, stats = await handlers.version_stats(self._uow, request.version_id, request.with_rois_per_frame)
        return api.GetVersionStatsResponse(stats=messages.stats_msg(v, stats))

    async def GetPublishedPosition(
        self, request: api.GetPublishedPositionRequest, context: Any
    ) -> api.GetPublishedPositionResponse:
        seq = await self._published.published(context.time_remaining() if context is not None else None)
        return api.GetPublishedPositionResponse(stream_seq=seq)

    async def SetDatasetSharing(
        self, request: api.SetDatasetSharingRequest, context: Any
    ) -> api.SetDatasetSharingResponse:
        ds = await handlers.share_dataset(self._uow, ShareDataset(request.dataset_id, tuple(request.teams)))
        return api.SetDatasetSharingResponse(dataset=messages.dataset_msg(ds))
