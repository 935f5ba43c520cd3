"""Outbound HTTP to webhook receivers (aiohttp), through a resolver that enforces the address policy.

aiohttp connects only to the addresses its resolver returns, so the resolver is where the policy sits: it resolves
the host, refuses it when any of its addresses is refused, and hands aiohttp exactly the addresses it checked (the
name is never resolved a second time by someone else), so a name that re-resolves to a private address after the
webhook was registered (DNS rebinding) gets nowhere. aiohttp does not ask the resolver about IP literals: those are
checked before the request. Redirects are not followed and no proxy from the environment is used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from annostream_kernel.errors import InvalidArgument

from ..domain.delivery import Attempt
from ..domain.targets import AddressPolicy, IPAddress, literal_address

MAX_ERROR_BODY = 300
MAX_READ = 64 * 1024
USER_AGENT = "annostream-webhooks/0.1"


class TargetRefused(OSError):
    """The host is, or resolves to, an address the policy refuses (an OSError: aiohttp's resolver errors are)."""


async def resolve(host: str, port: int, family: int = socket.AF_UNSPEC) -> list[tuple[IPAddress, int]]:
    """The host's addresses with their socket family (the host itself when it is an IP literal), de-duplicated."""
    literal = literal_address(host)
    if literal is not None:
        return [(literal, socket.AF_INET6 if literal.version == 6 else socket.AF_INET)]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    out: list[tuple[IPAddress, int]] = []
    for fam, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        if all(address != a for a, _ in out):
            out.append((address, int(fam)))
    return out


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver: the host's addresses if the policy allows every one of them, else TargetRefused."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve and check (a refused address refuses the host)."""
        addresses = await resolve(host, port, family)
        if (why := self._policy.first_refusal(a for a, _ in addresses)) is not None:
            raise TargetRefused(f"{host} resolves to {why}")
        return [
            ResolveResult(hostname=host, host=str(a), port=port, family=fam, proto=0, flags=socket.AI_NUMERICHOST)
            for a, fam in addresses
        ]

    async def close(self) -> None:
        """Nothing to release."""


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
    if (why := policy.first_refusal(a for a, _ in addresses)) is not None:
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
        self._policy, self._limits = policy, limits
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # created on the running loop, at the first attempt
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self._policy), limit=self._limits.max_connections, ttl_dns_cache=10
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self._limits.timeout_seconds),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
                auto_decompress=False,
            )
        return self._session

    async def post(self, url: str, headers: list[tuple[bytes, bytes]], body: bytes) -> Attempt:
        """One attempt: the receiver's status, or status 0 and why nothing (usable) was answered."""
        literal = literal_address(urlsplit(url).hostname or "")
        if literal is not None and (why := self._policy.refusal(literal)) is not None:
            return Attempt(0, f"refused by the address policy: {why}")
        hdrs = {k.decode(): v.decode() for k, v in headers}
        try:
            async with self._client().post(url, data=body, headers=hdrs, allow_redirects=False) as resp:
                status = resp.status
                text = await resp.content.read(MAX_READ)  # enough to reuse small answers' connections
                retry_after = _retry_after(resp.headers.get("Retry-After")) if status in (429, 503) else None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, TargetRefused):
                return Attempt(0, f"refused by the address policy: {exc.os_error}")
            return Attempt(0, f"ConnectError: {exc}"[:MAX_ERROR_BODY])
        except TimeoutError:
            return Attempt(0, f"timed out after {self._limits.timeout_seconds:g} s")
        except aiohttp.ClientError as exc:
            return Attempt(0, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_BODY])
        if 200 <= status < 300:
            return Attempt(status)
        snippet = text[:MAX_ERROR_BODY].decode("utf-8", "replace").strip()
        return Attempt(status, f"HTTP {status}" + (f": {snippet}" if snippet else ""), retry_after)

    async def close(self) -> None:
        """Close every connection."""
        if self._session is not None:
            await self._session.close()


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: ignored (the backoff applies)
