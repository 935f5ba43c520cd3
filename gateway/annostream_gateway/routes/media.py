"""Local media for the editor: files of `file://` frame sources, only from configured media roots, and only as a
source (or preview, or mask) of a frame the caller may read."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from annostream_kernel.errors import InvalidArgument, NotFound, PermissionDenied
from annostream_kernel.grpc_client import call
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.types.v1 import frames_pb2 as t

from ..clients import Clients
from ..config import GatewaySettings
from ..contract import errors
from .deps import clients, identity

router = APIRouter(prefix="/api/v1", tags=["media"], dependencies=[Depends(identity)])
FILE = {
    "description": "The file's bytes, typed by its extension.",
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
}


def resolve_media(uri: str, roots: list[Path]) -> Path:
    """The file a `file://` URI (or absolute path) names, if it lies inside a media root (after resolving
    `..` and symlinks); otherwise PermissionDenied, NotFound or InvalidArgument naming `uri`."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", ""):
        raise InvalidArgument("only file:// URIs are served; load http(s) sources directly", field="uri")
    raw = unquote(parsed.path if parsed.scheme else uri)
    if not raw.startswith("/"):
        raise InvalidArgument("must be an absolute file path", field="uri")
    if not roots:
        raise PermissionDenied("no media roots are configured (ANNOSTREAM_MEDIA_ROOTS)", field="uri")
    path = Path(raw).resolve()
    if not any(path == root or root in path.parents for root in roots):
        raise PermissionDenied("is outside the configured media roots", field="uri")
    if not path.is_file():
        raise NotFound("no such file", field="uri")
    return path


def frame_uris(frame: t.Frame) -> set[str]:
    """Every media URI a frame names: its sources, their previews and masks."""
    return {u for s in frame.sources for u in (s.uri, s.preview_uri, *(m.uri for m in s.masks)) if u}


@router.get("/media", response_class=FileResponse, responses={200: FILE, **errors(400, 401, 403, 404, 409, 422, 503)})
async def media(
    request: Request,
    c: Annotated[Clients, Depends(clients)],
    uri: Annotated[str, Query(min_length=1, max_length=4096)],
    version_id: Annotated[str, Query(min_length=1, max_length=512)],
    frame_id: Annotated[str, Query(min_length=1, max_length=512)],
) -> FileResponse:
    """Serve the file of a `file://` source (or preview, or mask) of a frame the caller may read, from a
    configured media root."""
    req = ann.GetFrameRequest(frame=t.FrameRef(version_id=version_id, frame_id=frame_id))
    frame = (await call(c.annotation.GetFrame, req, timeout=c.timeout)).frame
    if uri not in frame_uris(frame.base):
        raise NotFound("is not a source, preview or mask of this frame", field="uri")
    settings: GatewaySettings = request.app.state.settings
    path = resolve_media(uri, settings.media_root_paths)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
