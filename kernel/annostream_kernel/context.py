"""Request-scoped context: correlation id and acting user, carried across gRPC and NATS (the caller's teams and
roles travel as its `authz.Principal`)."""

from __future__ import annotations

import contextvars
import uuid

import structlog

CORRELATION_HEADER = "Annostream-Correlation-Id"
GRPC_CORRELATION_KEY = "x-correlation-id"

correlation_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")
actor_var: contextvars.ContextVar[str] = contextvars.ContextVar("actor", default="")


def new_correlation_id() -> str:
    """Return a fresh correlation id."""
    return uuid.uuid4().hex


def bind_request(correlation_id: str | None, actor: str = "") -> str:
    """Set the context for the current task and the log context; returns the correlation id used."""
    cid = correlation_id or new_correlation_id()
    correlation_id_var.set(cid)
    actor_var.set(actor)
    structlog.contextvars.bind_contextvars(correlation_id=cid, actor=actor or None)
    return cid


def current_correlation_id() -> str:
    """Correlation id of the current request, or a new one outside a request."""
    return correlation_id_var.get() or new_correlation_id()


def current_actor() -> str:
    """User id of the current request ("" when unauthenticated)."""
    return actor_var.get()
