"""Export routes: a version (optionally filtered) or a task's frames as COCO / VOC / YOLO (zip) or JSON lines."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.grpc_client import call
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as f

from ..clients import Clients
from ..contract import COMMON, errors
from ..exports.stream import ndjson_body, open_pages, zip_body
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["exports"], dependencies=[Depends(identity)], responses=errors(*COMMON, 404))
# The body is streamed: an error found before the first byte is one of the documented 4xx; one after it cuts the
# zip short (no directory, no report) or ends the JSON lines with an {"error", "message", "field"} line.
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, streamed: a zip (COCO, VOC, YOLO; export_report.json last) for a zip format, JSON"
        " lines (one frame per line, as the import takes them) for jsonl.",
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
C = Annotated[Clients, Depends(clients)]
Format = Literal["coco", "voc", "yolo", "yolo-segment", "yolo-pose", "jsonl"]
FORMAT_DOC = "coco, voc, yolo (detect), yolo-segment, yolo-pose: a zip; jsonl: one frame per line (ndjson)"


def _selection(frame_query: str, source_query: str, labels: str) -> f.FrameSelection | None:
    if not (frame_query or source_query or labels):
        return None
    rules = [f.RoiRule(kind=f.ROI_RULE_KIND_INCLUDE, label_expression=labels)] if labels else []
    flt = f.FrameFilter(roi_rules=rules, frame_query=frame_query, source_query=source_query)
    return f.FrameSelection(mode=f.FILTER_MODE_CUSTOM, filters=[flt])


# The selection's fields as the export's query parameters name them (a refused query names the parameter).
QUERY_OF = {
    "selection.filters[0].frame_query": "filter",
    "selection.filters[0].source_query": "source_filter",
    "selection.filters[0].roi_rules[0].label_expression": "labels",
}


async def _respond(c: Clients, req: ann.ExportFramesRequest, fmt: str, name: str) -> StreamingResponse:
    try:
        pages = await open_pages(c.annotation, req)
    except InvalidArgument as err:
        if (param := QUERY_OF.get(err.field or "")) is None:
            raise
        raise InvalidArgument(err.message.removeprefix(f"{err.field}: "), field=param, details=err.details) from err
    if fmt == "jsonl":
        headers = {"Content-Disposition": f'attachment; filename="{name}.jsonl"'}
        return StreamingResponse(ndjson_body(pages), media_type="application/x-ndjson", headers=headers)
    headers = {"Content-Disposition": f'attachment; filename="{name}-{fmt}.zip"'}
    return StreamingResponse(zip_body(fmt, pages), media_type="application/zip", headers=headers)


@router.get("/versions/{version_id}/export", response_class=StreamingResponse, responses=DOWNLOAD)
async def export_version(
    version_id: str,
    c: C,
    format: Annotated[Format, Query(description=FORMAT_DOC)],
    filter: Annotated[str, Query(max_length=4000, description="frame query, e.g. meta.city:bremen")] = "",
    source_filter: Annotated[str, Query(max_length=4000, description="source query, e.g. source.id:front")] = "",
    labels: Annotated[str, Query(max_length=4000, description="frames with a ROI matching this label expression")] = "",
) -> StreamingResponse:
    """Download a version's frames with their annotations (streamed: memory stays bounded for any size).
    The zip's export_report.json counts the ROIs the format could not hold (docs/formats.md)."""
    req = ann.ExportFramesRequest(version_id=version_id, selection=_selection(filter, source_filter, labels))
    return await _respond(c, req, format, version_id)


@router.get("/tasks/{task_id}/export", response_class=StreamingResponse, responses=DOWNLOAD)
async def export_task(
    task_id: str, c: C, format: Annotated[Format, Query(description=FORMAT_DOC)]
) -> StreamingResponse:
    """Download the frames of a task's plan (its filters and limit) from the version it annotates; right after the
    task was created it waits for the plan (at most 30 s) instead of answering 404."""
    task = (await call(c.tasks.GetTask, tk.GetTaskRequest(task_id=task_id), timeout=c.timeout)).task
    req = ann.ExportFramesRequest(version_id=task.annotated_version_id, task_id=task_id)
    return await _respond(c, req, format, task_id)
