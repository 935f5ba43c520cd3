"""Shared route dependencies: identity (dev-mode or proxy headers, per ANNOSTREAM_DEV_AUTH) and the gRPC clients."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import Header, Request
from starlette.requests import HTTPConnection

from annostream_kernel.authz import bind_principal
from annostream_kernel.context import bind_request
from annostream_kernel.limits import MAX_ID_LENGTH

from ..auth import DEV_ROLES, MAX_TEAM_LENGTH, MAX_USER_LENGTH, dev_caller, proxy_caller
from ..clients import Clients
from ..config import GatewaySettings
from ..edge import MAX_GROUPS_LENGTH, headers_of

DEV_ONLY = "Dev mode (ANNOSTREAM_DEV_AUTH=true) only; ignored behind a proxy."
USER_COOKIE, TEAM_COOKIE = "annostream_user", "annostream_team"  # dev mode, when the headers are absent
PROXY_ONLY = "Set by the authenticating proxy (ANNOSTREAM_DEV_AUTH=false); ignored in dev mode."
# Documented, not enforced here: the edge (edge.py) and auth.py answer 400 naming the header.
ASCII = {"pattern": "^[ -~]*$", "maxLength": MAX_ID_LENGTH}  # printable ASCII, as gRPC metadata carries it
USER = {"pattern": "^ *[!-~][ -~]*$", "maxLength": MAX_USER_LENGTH}
# annotator, reviewer, admin (or member: annotator), any case; empty: annotator
ROLE = {"pattern": "^ *(" + "|".join("".join(f"[{c.upper()}{c}]" for c in r) for r in DEV_ROLES if r) + ")? *$"}
GROUPS = {**ASCII, "maxLength": MAX_GROUPS_LENGTH}
TEAM = {**ASCII, "maxLength": MAX_TEAM_LENGTH}


def identity_headers(
    x_annostream_user: Annotated[str | None, Header(description=DEV_ONLY, json_schema_extra=USER)] = None,
    x_annostream_team: Annotated[
        str | None,
        Header(
            description="Team (default: default); behind a proxy, one of X-Auth-Request-Groups.",
            json_schema_extra=TEAM,
        ),
    ] = None,
    x_correlation_id: Annotated[str | None, Header(json_schema_extra=ASCII)] = None,
    x_annostream_role: Annotated[str | None, Header(description=DEV_ONLY, json_schema_extra=ROLE)] = None,
    x_auth_request_user: Annotated[str | None, Header(description=PROXY_ONLY, json_schema_extra=ASCII)] = None,
    x_auth_request_groups: Annotated[str | None, Header(description=PROXY_ONLY, json_schema_extra=GROUPS)] = None,
) -> None:
    """The headers `identity` reads, as /openapi.json documents them on every route that depends on it
    (contract.py): `identity` reads them itself, FastAPI's per-parameter header handling cost ≈ 40 % of a small
    request."""


async def identity(conn: HTTPConnection) -> str:
    """The caller (see auth.py), bound to the request context (and so to every gRPC call the request makes); HTTP
    routes and the live WebSocket use it.

    Dev mode: X-Annostream-User (default "anonymous") in X-Annostream-Team with X-Annostream-Role (annotator,
    reviewer, admin). Proxy mode: X-Auth-Request-User or 401; teams and roles from X-Auth-Request-Groups."""
    settings: GatewaySettings = conn.app.state.settings
    h = headers_of(conn.scope)
    team = h.get("x-annostream-team")
    if settings.dev_auth:
        # Images and WebSockets cannot send headers: the web UI mirrors its dev identity in cookies.
        user = h.get("x-annostream-user")
        user = user if user is not None else _cookie(conn, USER_COOKIE)
        team = team if team is not None else _cookie(conn, TEAM_COOKIE)
        caller = dev_caller(user, team, h.get("x-annostream-role"))
    else:
        caller = proxy_caller(h.get("x-auth-request-user"), h.get("x-auth-request-groups"), team)
    bind_principal(caller)
    bind_request(h.get("x-correlation-id"), caller.user)
    return caller.user


def _cookie(conn: HTTPConnection, name: str) -> str | None:
    value = conn.cookies.get(name)
    return unquote(value) if value else None


identity_of = identity
"""`identity` for a handler that needs the caller on some of its paths only."""


async def clients(request: Request) -> Clients:
    """The process-wide gRPC clients (async: a plain function dependency would cost every request a thread hop)."""
    c: Clients = request.app.state.clients
    return c
