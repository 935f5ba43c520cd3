"""Typed exceptions for the API's error answers: `{"error", "message", "field", "details"}` with a 4xx/5xx status."""

from __future__ import annotations

import re
from typing import Any

import httpx


class AnnostreamError(Exception):
    """Base of every error the SDK raises."""


class TransportError(AnnostreamError):
    """The gateway could not be reached (or the connection broke) after the retries the call allows."""


class ExportFailed(AnnostreamError):
    """An export download was cut short (the server failed after it started); nothing is left at the target."""


class ApiError(AnnostreamError):
    """The API answered with an error: `status`, `error` (code), `message`, `field` and `details` from its body."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status, self.error, self.message, self.field = status, error, message, field
        self.details: dict[str, Any] = details or {}
        self.method, self.url = method, url
        where = f" (field {field})" if field else ""
        super().__init__(f"{method} {url} -> {status} {error}: {message}{where}".strip())


class InvalidArgument(ApiError):
    """400 / 422: the request was refused as bad input; `field` names what (nothing was stored)."""


class IdempotencyKeyReused(InvalidArgument):
    """422: the idempotency key was used before with a different request."""


class Unauthenticated(ApiError):
    """401: no identity (behind an authenticating proxy)."""


class PermissionDenied(ApiError):
    """403: the caller's role lacks the permission named in `details["permission"]`."""


class NotFound(ApiError):
    """404: no such object, or one of another team (indistinguishable by design)."""


class Conflict(ApiError):
    """409: the request conflicts with the object's state (a subclass says which kind)."""


class AlreadyExists(Conflict):
    """409 ALREADY_EXISTS: e.g. a dataset name taken in the team."""


class Aborted(Conflict):
    """409 ABORTED: a concurrent edit of the same ROI (details name the ROI, actor and event), or a stale lease."""


class FailedPrecondition(Conflict):
    """409 FAILED_PRECONDITION: e.g. editing a Published version, deleting a version a task uses."""


class PayloadTooLarge(InvalidArgument):
    """413: the request body is over the gateway's limit."""


class Unavailable(ApiError):
    """503: a service is unreachable (retried for idempotent calls before this is raised)."""


class ServerError(ApiError):
    """Any other 5xx (a bug in the server)."""


BY_CODE: dict[str, type[ApiError]] = {
    "INVALID_ARGUMENT": InvalidArgument,
    "UNAUTHENTICATED": Unauthenticated,
    "PERMISSION_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "ALREADY_EXISTS": AlreadyExists,
    "ABORTED": Aborted,
    "FAILED_PRECONDITION": FailedPrecondition,
    "PAYLOAD_TOO_LARGE": PayloadTooLarge,
    "UNAVAILABLE": Unavailable,
}
BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidArgument,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidArgument,
    503: Unavailable,
}
KEY_REUSED = "idempotency_key_reused"


def error_from(resp: httpx.Response) -> ApiError:
    """The typed exception of an error response (its body read; a body that is not the API's shape is kept whole)."""
    resp.read()
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"message": resp.text[:1000]}
    code = str(body.get("error") or f"HTTP_{resp.status_code}")
    raw = body.get("details")
    details: dict[str, Any] = raw if isinstance(raw, dict) else {}
    cls = BY_CODE.get(code) or BY_STATUS.get(resp.status_code) or (ServerError if resp.status_code >= 500 else ApiError)
    if cls is InvalidArgument and details.get("reason") == KEY_REUSED:
        cls = IdempotencyKeyReused
    field = body.get("field")
    return cls(
        resp.status_code,
        code,
        str(body.get("message") or resp.reason_phrase),
        field if isinstance(field, str) else None,
        details,
        resp.request.method,
        str(resp.request.url),
    )


class ImportRejected(InvalidArgument):
    """A batch of `import_frames` was refused: `index` is the refused frame's position in the input (None when the
    error names no frame), `imported_before` the frames of earlier batches (stored; a new run skips them)."""

    index: int | None
    imported_before: int

    @classmethod
    def of(cls, exc: InvalidArgument, offset: int) -> ImportRejected:
        """The error of a batch that started at input position `offset`."""
        out = cls(exc.status, exc.error, exc.message, exc.field, exc.details, exc.method, exc.url)
        m = FRAME_INDEX.match(exc.field or "")
        out.index = offset + int(m.group(1)) if m else None
        out.imported_before = offset
        return out


FRAME_INDEX = re.compile(r"^frames\[(\d+)\]")
