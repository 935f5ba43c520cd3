"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..clients import Clients
from ..contract import errors
from ..responses import Health, Readiness
from .deps import clients

router = APIRouter(tags=["health"])
C = Annotated[Clients, Depends(clients)]


@router.get("/healthz", response_model=Health, responses=errors(400))
async def healthz() -> dict[str, str]:
    """The gateway process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        503: {"model": Readiness, "description": "Some service is not SERVING (`services` says which)."},
        **errors(400),
    },
)
async def readyz(c: C) -> JSONResponse:
    """200 only when every service reports SERVING."""
    services = await c.health()
    ready = all(v == "SERVING" for v in services.values())
    return JSONResponse({"ready": ready, "services": services}, status_code=200 if ready else 503)
