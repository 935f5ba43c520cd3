"""Datasets, versions (lineage tree, statistics) and frames (import, listing)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.grpc_client import call
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .. import builders, serializers
from ..clients import Clients
from ..contract import COMMON, errors
from ..responses import Dataset, DatasetPage, FramePage, ImportResult, Version, VersionStats, VersionTree
from ..schemas import CreateDatasetBody, CreateVersionBody, DatasetSharingBody, FrameBody, RenameDatasetBody
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["datasets"], dependencies=[Depends(identity)], responses=errors(*COMMON))
C = Annotated[Clients, Depends(clients)]
PageSize = Annotated[int, Query(ge=0, le=500)]
ONE = errors(404)
WRITE = errors(404, 409, 413)


@router.post("/datasets", status_code=201, response_model=Dataset, responses=errors(409, 413))
async def create_dataset(body: CreateDatasetBody, c: C) -> dict[str, Any]:
    resp = await call(c.datasets.CreateDataset, ds.CreateDatasetRequest(name=body.name), timeout=c.timeout)
    return serializers.dataset(resp.dataset)


@router.get("/datasets", response_model=DatasetPage)
async def list_datasets(c: C, page_size: PageSize = 50, page_token: str = "") -> dict[str, Any]:
    """The caller's team's datasets by name, with paging and the total."""
    req = ds.ListDatasetsRequest(page_size=page_size, page_token=page_token)
    resp = await call(c.datasets.ListDatasets, req, timeout=c.timeout)
    return {
        "datasets": [serializers.dataset(d) for d in resp.datasets],
        "next_page_token": resp.next_page_token or None,
        "total": resp.total_size,
    }


@router.get("/datasets/{dataset_id}", response_model=Dataset, responses=ONE)
async def get_dataset(dataset_id: str, c: C) -> dict[str, Any]:
    resp = await call(c.datasets.GetDataset, ds.GetDatasetRequest(dataset_id=dataset_id), timeout=c.timeout)
    return serializers.dataset(resp.dataset)


@router.patch("/datasets/{dataset_id}", response_model=Dataset, responses=WRITE)
async def rename_dataset(dataset_id: str, body: RenameDatasetBody, c: C) -> dict[str, Any]:
    """Rename a dataset (names are unique per team)."""
    req = ds.RenameDatasetRequest(dataset_id=dataset_id, name=body.name)
    return serializers.dataset((await call(c.datasets.RenameDataset, req, timeout=c.timeout)).dataset)


@router.delete("/datasets/{dataset_id}", status_code=204, responses=errors(404, 409))
async def delete_dataset(dataset_id: str, c: C) -> Response:
    """Delete a dataset with its versions and frames; 409 while a task references it."""
    await call(c.datasets.DeleteDataset, ds.DeleteDatasetRequest(dataset_id=dataset_id), timeout=c.timeout)
    return Response(status_code=204)


@router.put("/datasets/{dataset_id}/sharing", response_model=Dataset, responses=WRITE)
async def set_sharing(dataset_id: str, body: DatasetSharingBody, c: C) -> dict[str, Any]:
    """Share the dataset read-only with exactly these teams (team admins): they may read its team's versions,
    frames and statistics, and create tasks on its Published versions (each annotates a child version of theirs)."""
    req = ds.SetDatasetSharingRequest(dataset_id=dataset_id, teams=body.teams)
    return serializers.dataset((await call(c.datasets.SetDatasetSharing, req, timeout=c.timeout)).dataset)


@router.post("/datasets/{dataset_id}/versions", status_code=201, response_model=Version, responses=WRITE)
async def create_version(dataset_id: str, body: CreateVersionBody, c: C) -> dict[str, Any]:
    req = ds.CreateVersionRequest(dataset_id=dataset_id, name=body.name, parent_version_id=body.parent_version_id or "")
    return serializers.version((await call(c.datasets.CreateVersion, req, timeout=c.timeout)).version)


@router.get("/datasets/{dataset_id}/versions", response_model=VersionTree, responses=ONE)
async def list_versions(dataset_id: str, c: C) -> dict[str, Any]:
    """The dataset's versions as a lineage tree: roots, each with its `children`."""
    resp = await call(c.datasets.ListVersions, ds.ListVersionsRequest(dataset_id=dataset_id), timeout=c.timeout)
    return {"versions": [serializers.version_tree(n) for n in resp.roots], "total": resp.total_size}


@router.get("/versions/{version_id}", response_model=Version, responses=ONE)
async def get_version(version_id: str, c: C) -> dict[str, Any]:
    resp = await call(c.datasets.GetVersion, ds.GetVersionRequest(version_id=version_id), timeout=c.timeout)
    return serializers.version(resp.version)


@router.delete("/versions/{version_id}", status_code=204, responses=errors(404, 409))
async def delete_version(version_id: str, c: C) -> Response:
    """Delete a Draft version; 409 for a Published one or while a task references it."""
    await call(c.datasets.DeleteVersion, ds.DeleteVersionRequest(version_id=version_id), timeout=c.timeout)
    return Response(status_code=204)


@router.post("/versions/{version_id}/publish", response_model=Version, responses=errors(404, 409))
async def publish_version(version_id: str, c: C) -> dict[str, Any]:
    """Make a Draft version Published (read-only: no edit or lease from then on). 409 when it is Published already,
    or while active (not completed) tasks annotate it: details `task_ids` (the acting team's) and
    `other_teams_tasks` (how many of other teams'); complete or delete them first."""
    req = ds.PublishVersionRequest(version_id=version_id)
    return serializers.version((await call(c.datasets.PublishVersion, req, timeout=c.timeout)).version)


@router.get("/versions/{version_id}/stats", response_model=VersionStats, responses=ONE)
async def version_stats(version_id: str, c: C, rois_per_frame: bool = False) -> dict[str, Any]:
    """Frame count, annotated frame count, ROI count and label counts (follow annotation events); with
    `rois_per_frame=true` also how many frames carry each number of ROIs (one row read per annotated frame)."""
    req = ds.GetVersionStatsRequest(version_id=version_id, with_rois_per_frame=rois_per_frame)
    return serializers.version_stats((await call(c.datasets.GetVersionStats, req, timeout=c.timeout)).stats)


@router.get("/versions/{version_id}/frames", response_model=FramePage, responses=ONE)
async def list_frames(version_id: str, c: C, page_size: PageSize = 50, page_token: str = "") -> dict[str, Any]:
    """Frames the version sees (its own and its ancestors'), by frame id."""
    req = ds.ListFramesRequest(version_id=version_id, page_size=page_size, page_token=page_token)
    resp = await call(c.datasets.ListFrames, req, timeout=c.timeout)
    return {
        "frames": [serializers.base_frame(f) for f in resp.frames],
        "next_page_token": resp.next_page_token or None,
        "total": resp.total_size,
    }


def _frame_msg(f: FrameBody, where: str = "frame") -> t.Frame:
    return t.Frame(
        frame_id=f.id,
        context_id=f.context_id or "",
        timestamp=f.timestamp,
        metadata_json=builders.metadata_json(f.metadata, f"{where}.metadata"),
        sources=[
            t.Source(
                id=s.id or "",
                uri=s.uri,
                width=s.width,
                height=s.height,
                timestamp=s.timestamp,
                preview_uri=s.preview_uri,
                masks=[t.Mask(id=m.id, uri=m.uri) for m in s.masks],
            )
            for s in f.sources
        ],
        rois=[builders.roi(r, f"{where}.rois[{i}]") for i, r in enumerate(f.rois)],
        frame_labels=f.frame_labels,
    )


def parse_frames(raw: bytes, content_type: str) -> list[FrameBody]:
    """Parse a JSON {"frames": [...]} body or JSON lines; errors name the line or index and the field."""
    lines = "ndjson" in content_type or "jsonl" in content_type or "json-lines" in content_type
    items: list[tuple[str, Any]] = []
    try:
        if lines:
            for n, line in enumerate(raw.decode().splitlines(), start=1):
                if line.strip():
                    items.append((f"line {n}", json.loads(line)))
        else:
            doc = json.loads(raw or b"null")
            if not isinstance(doc, dict) or not isinstance(doc.get("frames"), list):
                raise InvalidArgument('body must be {"frames": [...]} or JSON lines', field="frames")
            items = [(f"frames[{i}]", f) for i, f in enumerate(doc["frames"])]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {len(items) + 1}: " if lines else ""
        raise InvalidArgument(f"{where}not valid JSON ({exc})", field="frames") from exc
    if not items:
        raise InvalidArgument("no frames in the request", field="frames")
    frames = []
    for where, item in items:
        try:
            frames.append(FrameBody.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise InvalidArgument(err["msg"], field=f"{where}.{field}" if field else where) from exc
    return frames


@router.post(
    "/versions/{version_id}/frames",
    response_model=ImportResult,
    responses=WRITE,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["frames"],
                        "properties": {
                            "frames": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"$ref": "#/components/schemas/FrameBody"},
                            }
                        },
                    }
                },
                "application/x-ndjson": {"schema": {"type": "string", "description": "one frame JSON per line"}},
            },
            "required": True,
        }
    },
)
async def import_frames(version_id: str, request: Request, c: C, validate_only: bool = False) -> dict[str, Any]:
    """Import one batch of frames (JSON {"frames": [...]} or JSON lines) atomically; idempotent by frame id.

    Frames may carry initial `rois` and `frame_labels`; sources may carry `masks`. With
    `validate_only=true` nothing is written and errors are reported as for a real import."""
    frames = parse_frames(await request.body(), request.headers.get("content-type", ""))
    req = ds.ImportFramesRequest(
        version_id=version_id,
        frames=[_frame_msg(f, f"frames[{i}]") for i, f in enumerate(frames)],
        validate_only=validate_only,
    )
    resp = await call(c.datasets.ImportFrames, req, timeout=max(c.timeout, 60))
    return {"imported": resp.imported, "skipped": resp.skipped}
