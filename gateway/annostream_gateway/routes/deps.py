"""Shared route dependencies: identity (dev mode header) and the gRPC clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request

from annostream_kernel.context import bind_request
from annostream_kernel.errors import InvalidArgument

from ..clients import Clients

USER_RE_MAX = 200


async def identity(
    x_annostream_user: Annotated[str | None, Header()] = None,
    x_annostream_team: Annotated[str | None, Header()] = None,
    x_correlation_id: Annotated[str | None, Header()] = None,
) -> str:
    """Dev-mode identity from X-Annostream-User (default "anonymous"), bound to the request context."""
    user = (x_annostream_user or "anonymous").strip()
    team = (x_annostream_team or "default").strip()
    if not user or len(user) > USER_RE_MAX:
        raise InvalidArgument(f"must be 1..{USER_RE_MAX} characters", field="X-Annostream-User")
    bind_request(x_correlation_id, user, team)
    return user


def clients(request: Request) -> Clients:
    """The process-wide gRPC clients."""
    c: Clients = request.app.state.clients
    return c
