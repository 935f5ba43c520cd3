"""The built web UI (web/dist) at `/` with an SPA fallback; the server-rendered task list when it is absent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

from annostream_kernel.errors import NotFound

from ..clients import Clients
from ..errors import allowed_methods
from . import task_page
from .deps import clients, identity, identity_of

router = APIRouter(tags=["web"])
C = Annotated[Clients, Depends(clients)]
# Paths the SPA fallback never answers: the API and the gateway's own pages keep their 404s.
RESERVED = ("api/", "docs", "redoc", "openapi.json", "healthz", "readyz", "plain")


def web_dir(request: Request) -> Path:
    """Where the built UI lives: ANNOSTREAM_WEB_DIR, else web/dist of this checkout."""
    configured = request.app.state.settings.web_dir
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "web" / "dist"


def _index(request: Request) -> Path | None:
    index = web_dir(request) / "index.html"
    return index if index.is_file() else None


@router.get("/plain", response_class=HTMLResponse, include_in_schema=False)
async def plain(request: Request, c: C, user: Annotated[str, Depends(identity)]) -> HTMLResponse:
    """The server-rendered task list (no JavaScript): works whether or not the UI is built."""
    return await task_page.home(c, user, request.app.state.settings.dev_auth)


@router.get("/", include_in_schema=False)
async def home(request: Request, c: C) -> Response:
    """The web UI when built (a static file, open like the client-side routes), else the server-rendered task
    list (which needs the caller's identity)."""
    index = _index(request)
    if index is None:
        return await task_page.home(c, await identity_of(request), request.app.state.settings.dev_auth)
    return FileResponse(index, headers={"Cache-Control": "no-cache"})


@router.get("/{path:path}", include_in_schema=False)
async def spa(path: str, request: Request) -> Response:
    """A built asset, or index.html for a client-side route (e.g. /tasks/ID/annotate)."""
    root = web_dir(request).resolve()
    index = _index(request)
    if path.startswith(RESERVED) and allowed_methods(request.scope):
        raise HTTPException(405)  # an API path with another method: 405 with `Allow` (errors.py)
    if index is None or path.startswith(RESERVED) or request.method != "GET":
        raise NotFound(f"no such page: /{path}", field="path")
    candidate = (root / path).resolve()
    if candidate.is_relative_to(root) and candidate.is_file():
        cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
        return FileResponse(candidate, headers={"Cache-Control": cache})
    if path.startswith("assets/") or "." in path.rsplit("/", 1)[-1]:
        raise NotFound(f"no such file: /{path}", field="path")
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
