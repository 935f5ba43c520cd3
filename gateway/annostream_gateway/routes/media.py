"""Local media for the editor: files of `file://` frame sources, only from configured media roots."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from annostream_kernel.errors import InvalidArgument, NotFound, PermissionDenied

from ..config import GatewaySettings
from ..contract import errors
from .deps import identity

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


@router.get("/media", response_class=FileResponse, responses={200: FILE, **errors(400, 401, 403, 404, 422)})
async def media(request: Request, uri: Annotated[str, Query(min_length=1, max_length=4096)]) -> FileResponse:
    """Serve the file of a `file://` frame source from a configured media root."""
    settings: GatewaySettings = request.app.state.settings
    path = resolve_media(uri, settings.media_root_paths)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
