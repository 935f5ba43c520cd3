"""Outbound HTTP to webhook receivers, through a connection layer that enforces the address policy.

Every new connection resolves the host, refuses it when any of its addresses is refused by the policy, and connects
to an address it just checked (never resolving the name again), so a name that re-resolves to a private address
between the check and the connection (DNS rebinding) gets nowhere. Redirects are not followed and no proxy from
the environment is used. httpcore is httpx's own connection layer (already a dependency through httpx): its
network-backend hook is where the connection is pinned to the checked address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from annostream_kernel.errors import InvalidArgument

from ..domain.delivery import Attempt
from ..domain.targets import AddressPolicy, IPAddress, literal_address

MAX_ERROR_BODY = 300
USER_AGENT = b"annostream-webhooks/0.1"


class TargetRefused(Exception):
    """The host resolves to an address the policy refuses."""


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses (the host itself when it is an IP literal), in resolver order, de-duplicated."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        if address not in out:
            out.append(address)
    return out


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend that connects only to addresses the policy allows (checked per connection)."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy, self._inner = policy, inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, check every address, connect to the first allowed one that answers."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve(host, port)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc or 'timed out'}") from exc
        if (why := self._policy.first_refusal(addresses)) is not None:
            raise TargetRefused(f"{host} resolves to {why}" if literal_address(host) is None else why)
        last: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never webhook targets."""
        raise TargetRefused("unix sockets are not webhook targets")

    async def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's retry pauses)."""
        await self._inner.sleep(seconds)


async def check_target(url: str, policy: AddressPolicy, timeout: float = 5.0) -> None:
    """Refuse (InvalidArgument on `url`) a URL whose host does not resolve or resolves to a refused address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(timeout):
            addresses = await resolve(host, port)
    except (OSError, TimeoutError) as exc:
        raise InvalidArgument(f"host {host!r} does not resolve ({exc or 'timed out'})", field="url") from exc
    if (why := policy.first_refusal(addresses)) is not None:
        prefix = f"host {host!r} resolves to " if literal_address(host) is None else ""
        raise InvalidArgument(f"{prefix}{why}; webhooks may only target public addresses", field="url")


@dataclass(frozen=True)
class SenderLimits:
    """How long one attempt may take and how many connections the sender keeps."""

    timeout_seconds: float = 10.0
    max_connections: int = 256


class Sender:
    """POSTs signed bodies to receivers over a shared keep-alive pool; never raises for a receiver's failure."""

    def __init__(self, policy: AddressPolicy, limits: SenderLimits = SenderLimits()) -> None:
        self._limits = limits
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=GuardedBackend(policy),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_connections,
            keepalive_expiry=30.0,
            retries=0,
        )

    async def post(self, url: str, headers: list[tuple[bytes, bytes]], body: bytes) -> Attempt:
        """One attempt: the receiver's status, or status 0 and why nothing (usable) was answered."""
        t = self._limits.timeout_seconds
        extensions = {"timeout": {"connect": t, "read": t, "write": t, "pool": t}}
        all_headers = [(b"User-Agent", USER_AGENT), *headers]
        try:
            async with asyncio.timeout(t):
                async with self._pool.stream(
                    "POST", url, headers=all_headers, content=body, extensions=extensions
                ) as resp:
                    status = resp.status
                    text = b""
                    async for chunk in resp.aiter_stream():
                        text += chunk
                        if len(text) > 64 * 1024:  # enough to reuse small answers' connections; drop the rest
                            break
                    retry_after = _retry_after(resp.headers) if status in (429, 503) else None
        except TargetRefused as exc:
            return Attempt(0, f"refused by the address policy: {exc}")
        except (TimeoutError, httpcore.TimeoutException):
            return Attempt(0, f"timed out after {t:g} s")
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            return Attempt(0, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_BODY])
        if 200 <= status < 300:
            return Attempt(status)
        snippet = text[:MAX_ERROR_BODY].decode("utf-8", "replace").strip()
        return Attempt(status, f"HTTP {status}" + (f": {snippet}" if snippet else ""), retry_after)

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.aclose()


def _retry_after(headers: list[tuple[bytes, bytes]]) -> float | None:
    for name, value in headers:
        if name.lower() == b"retry-after":
            try:
                return max(0.0, float(value.decode().strip()))
            except ValueError:
                return None  # an HTTP date: ignored (the backoff applies)
    return None
