"""gRPC client side: channels that forward correlation id and actor, and status -> domain error."""

from __future__ import annotations

import json
from typing import Any

import grpc
from grpc import aio

from .context import (
    GRPC_ACTOR_KEY,
    GRPC_CORRELATION_KEY,
    GRPC_ROLE_KEY,
    GRPC_TEAM_KEY,
    current_actor,
    current_correlation_id,
    current_role,
    current_team,
)
from .errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from .grpc_errors import ERROR_DETAILS_KEY
from .limits import GRPC_MESSAGE_OPTIONS

_BY_CODE: dict[grpc.StatusCode, type[DomainError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Conflict,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
    # Only a message over GRPC_MAX_MESSAGE_BYTES: every response is bounded below it, so it is a request.
    grpc.StatusCode.RESOURCE_EXHAUSTED: InvalidArgument,
}


def outgoing_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata that carries the current request context to the next service."""
    md = [(GRPC_CORRELATION_KEY, current_correlation_id())]
    if actor := current_actor():
        md.append((GRPC_ACTOR_KEY, actor))
    if team := current_team():
        md.append((GRPC_TEAM_KEY, team))
    if role := current_role():
        md.append((GRPC_ROLE_KEY, role))
    return tuple(md)


def error_details(err: aio.AioRpcError) -> dict[str, Any]:
    """The JSON details a server attached to an error (empty when none)."""
    for key, value in err.trailing_metadata() or ():
        if key == ERROR_DETAILS_KEY:
            raw = value if isinstance(value, bytes) else str(value).encode()
            return dict(json.loads(raw))
    return {}


def to_domain_error(err: aio.AioRpcError) -> DomainError:
    """Translate a peer's gRPC error into the matching DomainError (UNAVAILABLE for the unknown)."""
    cls = _BY_CODE.get(err.code(), Unavailable)
    details = error_details(err)
    field = details.pop("field", None)
    message = err.details() or err.code().name
    return cls(message if cls is not Unavailable else f"upstream error: {message}", field=field, details=details)


def channel(target: str) -> aio.Channel:
    """Open an insecure channel to a peer (service mesh / network policy provide transport security)."""
    options = [("grpc.keepalive_time_ms", 30_000), ("grpc.enable_retries", 1), *GRPC_MESSAGE_OPTIONS]
    return aio.insecure_channel(target, options=options)


async def call(method: Any, request: Any, *, timeout: float = 10.0) -> Any:
    """Invoke a stub method with the current context's metadata; peer errors become DomainErrors."""
    try:
        return await method(request, metadata=outgoing_metadata(), timeout=timeout)
    except aio.AioRpcError as err:
        raise to_domain_error(err) from err
