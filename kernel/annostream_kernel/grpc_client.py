"""gRPC client side: channels that forward correlation id and the caller, and status -> domain error."""

from __future__ import annotations

import json
from typing import Any

import grpc
from grpc import aio

from .authz import current_principal, service_principal, to_metadata
from .context import GRPC_CORRELATION_KEY, current_correlation_id
from .errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from .grpc_errors import ERROR_DETAILS_KEY
from .grpc_observed import metrics_interceptors
from .limits import GRPC_MESSAGE_OPTIONS
from .tracing import client_interceptors

_BY_CODE: dict[grpc.StatusCode, type[DomainError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Conflict,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
    # Only a message over GRPC_MAX_MESSAGE_BYTES: every response is bounded below it, so it is a request.
    grpc.StatusCode.RESOURCE_EXHAUSTED: InvalidArgument,
}


def outgoing_metadata() -> tuple[tuple[str, str | bytes], ...]:
    """Metadata that carries the current request context (correlation id, the caller) to the next service."""
    md: list[tuple[str, str | bytes]] = [(GRPC_CORRELATION_KEY, current_correlation_id())]
    if (principal := current_principal()) is not None:
        md.extend(to_metadata(principal))
    return tuple(md)


def service_metadata(name: str) -> tuple[tuple[str, str | bytes], ...]:
    """Metadata of a call a service makes as itself (a service-only method), with the current correlation id."""
    return ((GRPC_CORRELATION_KEY, current_correlation_id()), *to_metadata(service_principal(name)))


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


RECONNECT_MAX_MS = 1_000  # a replica back from a restart is in the rotation again within this (plus jitter)


def grpc_target(addresses: str) -> str:
    """`host:port` as is; a list `ip:port,ip:port` (replicas of one service) as one `ipv4:` target."""
    parts = [a.strip() for a in addresses.split(",") if a.strip()]
    if len(parts) <= 1:
        return addresses.strip()
    for part in parts:
        host, _, port = part.rpartition(":")
        if not (port.isdigit() and _is_ipv4(host)):
            raise ValueError(f"a list of peer addresses takes IPv4 ip:port items, not {part!r} (give one DNS name)")
    return "ipv4:" + ",".join(parts)


def _is_ipv4(host: str) -> bool:
    octets = host.split(".")
    return len(octets) == 4 and all(o.isdigit() and int(o) < 256 for o in octets)


def channel(target: str) -> aio.Channel:
    """Open an insecure channel to a peer (service mesh / network policy provide transport security).

    Calls are spread round robin over every address the target resolves to (the replicas of the peer: a list
    `ip:port,ip:port`, or a DNS name with one record per pod); a replica that is gone leaves the rotation as soon
    as its connection breaks, and calls that never reached it are retried on another (gRPC transparent retry)."""
    options = [
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.enable_retries", 1),
        ("grpc.lb_policy_name", "round_robin"),
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", RECONNECT_MAX_MS),
        *GRPC_MESSAGE_OPTIONS,
    ]
    interceptors = [*client_interceptors(), *metrics_interceptors()]  # the trace's span times the whole call
    return aio.insecure_channel(grpc_target(target), options=options, interceptors=interceptors)


async def call(method: Any, request: Any, *, timeout: float = 10.0) -> Any:
    """Invoke a stub method with the current context's metadata; peer errors become DomainErrors."""
    try:
        return await method(request, metadata=outgoing_metadata(), timeout=timeout)
    except aio.AioRpcError as err:
        raise to_domain_error(err) from err
