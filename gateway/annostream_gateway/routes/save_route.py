"""The save's lean route: a Starlette route ahead of FastAPI's routers that serves POST …/save as the documented
route (frames.save_frame) does, without FastAPI's per-request dependency resolution and its walk through the
included routers (≈ 18 % of the gateway's CPU per save in py-spy).

It does what that route's dependencies do, in their order: the edge's path check (`check_path`, app-wide), the
caller (`identity`, the frames router's), then `?answer=` (422 naming it, with FastAPI's own error entries) before
the body is read. /openapi.json still comes from the declared route, and metrics and traces name it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from ..clients import Clients
from ..edge import check_path
from . import frames
from .deps import clients, identity

ANSWERS = {None: False, "full": False, "compact": True}  # `?answer=` → compact; anything else: FastAPI's check


class SaveRoute(Route):
    """POST on the save path, for `documented` (the APIRoute /openapi.json describes); other methods fall through
    to the routers (405 as before)."""

    def __init__(self, documented: APIRoute) -> None:
        super().__init__(documented.path, self.serve, methods=["POST"], include_in_schema=False)
        self.documented = documented

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.FULL:
            return Match.NONE, {}
        child_scope["route"] = self.documented  # what FastAPI puts there: metrics label requests by its path
        return match, child_scope

    async def serve(self, request: Request) -> Response:
        """`save_frame` with its dependencies and query parameter, as FastAPI resolves them."""
        await check_path(request)
        await identity(request)
        answer = request.query_params.get("answer")
        if answer not in ANSWERS:  # the declared parameter's own validation: same error entries
            _, errors = request_params_to_args(self.documented.dependant.query_params, request.query_params)
            raise RequestValidationError(errors)
        params: dict[str, Any] = request.path_params
        c: Clients = request.app.state.clients
        return await frames.save(request, params["version_id"], params["frame_id"], c, ANSWERS[answer])


def install(app: FastAPI) -> None:
    """Put the lean route first in `app`'s routes, for the save route FastAPI declares in frames.py; refuses to
    start when the declared route or the app gained a dependency the lean route does not run (a check skipped)."""
    documented = next(r for r in frames.router.routes if isinstance(r, APIRoute) and r.endpoint is frames.save_frame)
    declared = [d.call for d in documented.dependant.dependencies]
    app_wide = [d.dependency for d in app.router.dependencies]
    if declared != [identity, clients] or app_wide != [check_path]:
        raise RuntimeError(f"the lean save route runs check_path, identity, clients; declared {declared}, {app_wide}")
    app.router.routes.insert(0, SaveRoute(documented))
