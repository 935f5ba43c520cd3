"""Datasets, versions and frame import."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from google.protobuf import struct_pb2
from pydantic import ValidationError

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.grpc_client import call
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.types.v1 import frames_pb2 as t

from .. import serializers
from ..clients import Clients
from ..schemas import CreateDatasetBody, CreateVersionBody, FrameBody
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["datasets"], dependencies=[Depends(identity)])
C = Annotated[Clients, Depends(clients)]


@router.post("/datasets", status_code=201)
async def create_dataset(body: CreateDatasetBody, c: C) -> dict[str, Any]:
    resp = await call(c.datasets.CreateDataset, ds.CreateDatasetRequest(name=body.name), timeout=c.timeout)
    return serializers.dataset(resp.dataset)


@router.get("/datasets/{dataset_id}")
async def get_dataset(dataset_id: str, c: C) -> dict[str, Any]:
    resp = await call(c.datasets.GetDataset, ds.GetDatasetRequest(dataset_id=dataset_id), timeout=c.timeout)
    return serializers.dataset(resp.dataset)


@router.post("/datasets/{dataset_id}/versions", status_code=201)
async def create_version(dataset_id: str, body: CreateVersionBody, c: C) -> dict[str, Any]:
    req = ds.CreateVersionRequest(dataset_id=dataset_id, name=body.name, parent_version_id=body.parent_version_id or "")
    return serializers.version((await call(c.datasets.CreateVersion, req, timeout=c.timeout)).version)


@router.get("/versions/{version_id}")
async def get_version(version_id: str, c: C) -> dict[str, Any]:
    resp = await call(c.datasets.GetVersion, ds.GetVersionRequest(version_id=version_id), timeout=c.timeout)
    return serializers.version(resp.version)


@router.post("/versions/{version_id}/publish")
async def publish_version(version_id: str, c: C) -> dict[str, Any]:
    req = ds.PublishVersionRequest(version_id=version_id)
    return serializers.version((await call(c.datasets.PublishVersion, req, timeout=c.timeout)).version)


def _frame_msg(f: FrameBody) -> t.Frame:
    meta = struct_pb2.Struct()
    meta.update(f.metadata)
    return t.Frame(
        frame_id=f.id,
        context_id=f.context_id or "",
        timestamp=f.timestamp,
        metadata=meta,
        sources=[
            t.Source(
                id=s.id or "",
                uri=s.uri,
                width=s.width,
                height=s.height,
                timestamp=s.timestamp,
                preview_uri=s.preview_uri,
            )
            for s in f.sources
        ],
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
            raise InvalidArgument(
                f"{where}: {field}: {err['msg']}", field=f"{where}.{field}" if field else where
            ) from exc
    return frames


@router.post(
    "/versions/{version_id}/frames",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"frames": {"type": "array", "items": FrameBody.model_json_schema()}},
                    }
                },
                "application/x-ndjson": {"schema": {"type": "string", "description": "one frame JSON per line"}},
            },
            "required": True,
        }
    },
)
async def import_frames(version_id: str, request: Request, c: C) -> dict[str, Any]:
    """Import frames (JSON {"frames": [...]} or JSON lines); idempotent by frame id."""
    frames = parse_frames(await request.body(), request.headers.get("content-type", ""))
    req = ds.ImportFramesRequest(version_id=version_id, frames=[_frame_msg(f) for f in frames])
    resp = await call(c.datasets.ImportFrames, req, timeout=max(c.timeout, 60))
    return {"imported": resp.imported, "skipped": resp.skipped}
