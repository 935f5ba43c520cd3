"""Domain errors; one interceptor maps them to gRPC status codes (see grpc_server)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a handler raises on purpose; never a 500."""

    code_name = "UNKNOWN"

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        self.message = f"{field}: {message}" if field and not message.startswith(field) else message
        self.field = field
        self.details = details or {}
        super().__init__(self.message)


class InvalidArgument(DomainError):
    """A request field is malformed or out of range."""

    code_name = "INVALID_ARGUMENT"


class NotFound(DomainError):
    """A referenced entity does not exist."""

    code_name = "NOT_FOUND"


class AlreadyExists(DomainError):
    """An entity with that identity already exists."""

    code_name = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    """The system is not in a state that allows the operation (e.g. a Published version)."""

    code_name = "FAILED_PRECONDITION"


class Conflict(DomainError):
    """A concurrent change conflicts with this one; the client may re-read and retry (ABORTED)."""

    code_name = "ABORTED"


class PermissionDenied(DomainError):
    """The caller may not do this."""

    code_name = "PERMISSION_DENIED"


class Unavailable(DomainError):
    """A dependency (another service, the database) cannot be reached right now."""

    code_name = "UNAVAILABLE"


class Unauthenticated(DomainError):
    """The request carries no identity the system accepts (HTTP 401)."""

    code_name = "UNAUTHENTICATED"


IDEMPOTENCY_KEY_REUSED = "idempotency key reused with a different request"
"""Message of the InvalidArgument a save answers when its idempotency key was used before with another request
(details: {"reason": REASON_KEY_REUSED}); the gateway answers it with HTTP 422."""
REASON_KEY_REUSED = "idempotency_key_reused"


def key_reused() -> InvalidArgument:
    """The error for an idempotency key reused with a different request."""
    return InvalidArgument(IDEMPOTENCY_KEY_REUSED, field="idempotency_key", details={"reason": REASON_KEY_REUSED})
