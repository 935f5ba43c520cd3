"""Who the gateway takes the caller to be, so the web UI can show it (and its team switcher)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from annostream_kernel.authz import require_principal
from annostream_kernel.policy import Role

from ..contract import errors
from ..responses import Me
from .deps import identity

router = APIRouter(prefix="/api/v1", tags=["identity"])
RANK = [Role.ADMIN, Role.REVIEWER, Role.ANNOTATOR]


@router.get("/me", response_model=Me, responses=errors(400, 401, 403, 422))
async def me(request: Request, user: Annotated[str, Depends(identity)]) -> dict[str, Any]:
    """The caller's user, acting team and role there (`role`: its highest; `roles`: all), every team it belongs
    to with its roles and permissions (`teams`), whether identity comes from dev headers (`dev_auth`), and the
    roles the policy knows (`known_roles`)."""
    p = require_principal()
    roles = p.memberships.get(p.team, frozenset())
    return {
        "user": user,
        "team": p.team,
        "role": next((r.value for r in RANK if r in roles), ""),
        "roles": p.role_names(p.team),
        "teams": [
            {"team": t, "roles": p.role_names(t), "permissions": sorted(x.value for x in p.permissions(t))}
            for t in sorted(p.memberships)
        ],
        "dev_auth": bool(request.app.state.settings.dev_auth),
        "known_roles": [r.value for r in Role],
    }
