"""Who the gateway takes the caller to be, so the web UI can show it (and hide the dev "User" box behind a proxy)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from annostream_kernel.context import current_role, current_team

from ..contract import errors
from ..responses import Me
from .deps import identity

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.get("/me", response_model=Me, responses=errors(400, 401, 403, 422))
async def me(request: Request, user: Annotated[str, Depends(identity)]) -> dict[str, Any]:
    """The caller's user, team and role, and whether identity comes from dev headers (`dev_auth`) or a proxy."""
    return {
        "user": user,
        "team": current_team(),
        "role": current_role() or "member",
        "dev_auth": bool(request.app.state.settings.dev_auth),
    }
