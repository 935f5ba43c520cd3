"""gRPC stubs for scripts, tests and benchmarks that call services directly: every call without an identity of
its own acts as the default user (an admin of team "default"), like the gateway's dev mode does for HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grpc import aio

from annostream_kernel.authz import GRPC_SERVICE_KEY, GRPC_USER_KEY, member, to_metadata
from annostream_kernel.limits import GRPC_MESSAGE_OPTIONS
from annostream_kernel.policy import Role

Metadata = Sequence[tuple[str, Any]]
DEFAULT_IDENTITY: Metadata = tuple(to_metadata(member("tester", "default", Role.ADMIN)))


def channel(target: str, options: Sequence[tuple[str, Any]] = ()) -> aio.Channel:
    """An insecure channel with annostream's message size limits."""
    return aio.insecure_channel(target, options=[*GRPC_MESSAGE_OPTIONS, *options])


def with_identity(metadata: Metadata | None, identity: Metadata = DEFAULT_IDENTITY) -> Metadata:
    """`metadata` plus `identity` unless it already names a caller."""
    md = tuple(metadata or ())
    if any(k in (GRPC_USER_KEY, GRPC_SERVICE_KEY) for k, _ in md):
        return md
    return (*md, *identity)


class IdentityStub:
    """A stub whose calls carry `identity` unless they pass identity metadata themselves."""

    def __init__(self, stub: Any, identity: Metadata = DEFAULT_IDENTITY) -> None:
        self._stub, self._identity = stub, identity

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def invoke(request: Any, **kw: Any) -> Any:
            kw["metadata"] = with_identity(kw.get("metadata"), self._identity)
            return method(request, **kw)

        return invoke
