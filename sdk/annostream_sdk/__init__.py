"""annostream's Python SDK: `Client(url, ...)` for datasets, versions, imports, tasks, leases, frame reads and saves
(typed editor commands in `annostream_sdk.commands`), history, `frames()` for training loops, exports and webhooks.
Its version is the HTTP API's (see docs/sdk.md)."""

from . import commands
from ._datasets import ImportOutcome
from ._exports import ExportResult
from ._version import API_PREFIX, __version__
from .client import Client
from .commands import NewFrame, NewRoi, NewSource, ellipse, keypoints, polygon, rectangle
from .errors import (
    Aborted,
    AlreadyExists,
    AnnostreamError,
    ApiError,
    Conflict,
    ExportFailed,
    FailedPrecondition,
    IdempotencyKeyReused,
    ImportRejected,
    InvalidArgument,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    TransportError,
    Unauthenticated,
    Unavailable,
)
from .models import AnnotatedFrame, FrameState, Roi

__all__ = [
    "API_PREFIX",
    "Aborted",
    "AlreadyExists",
    "AnnostreamError",
    "AnnotatedFrame",
    "ApiError",
    "Client",
    "Conflict",
    "ExportFailed",
    "ExportResult",
    "FailedPrecondition",
    "FrameState",
    "IdempotencyKeyReused",
    "ImportOutcome",
    "ImportRejected",
    "InvalidArgument",
    "NewFrame",
    "NewRoi",
    "NewSource",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "Roi",
    "ServerError",
    "TransportError",
    "Unauthenticated",
    "Unavailable",
    "__version__",
    "commands",
    "ellipse",
    "keypoints",
    "polygon",
    "rectangle",
]
