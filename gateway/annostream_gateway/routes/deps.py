"""Shared route dependencies: identity (dev mode header) and the gRPC clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request

from annostream_kernel.context import bind_request
from annostream_kernel.errors import InvalidArgument

from ..clients import Clients

USER_RE_MAX = 200
ROLES = {"", "member", "admin"}


async def identity(
    x_annostream_user: Annotated[str | None, Header()] = None,
    x_annostream_team: Annotated[str | None, Header()] = None,
    x_correlation_id: Annotated[str | None, Header()] = None,
    x_annostream_role: Annotated[str | None, Header()] = None,
) -> str:
    """Dev-mode identity from X-Annostream-User (default "anonymous"), bound to the request context.

    X-Annostream-Role: admin makes the caller an admin of its team (dev mode; the auth issue replaces it)."""
    user = (x_annostream_user or "anonymous").strip()
    team = (x_annostream_team or "default").strip()
    if not user or len(user) > USER_RE_MAX:
        raise InvalidArgument(f"must be 1..{USER_RE_MAX} characters", field="X-Annostream-User")
    role = (x_annostream_role or "").strip().lower()
    if role not in ROLES:
        raise InvalidArgument(f"must be one of {sorted(r for r in ROLES if r)}", field="X-Annostream-Role")
    bind_request(x_correlation_id, user, team, "" if role == "member" else role)
    return user


def clients(request: Request) -> Clients:
    """The process-wide gRPC clients."""
    c: Clients = request.app.state.clients
    return c
