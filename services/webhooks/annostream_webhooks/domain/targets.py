"""Which addresses a webhook may reach (SSRF protection): only globally routable unicast addresses, unless an
operator allows a network (e.g. a private range where the receivers live, or loopback in tests)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDRs (`127.0.0.0/8,10.1.0.0/16`); ValueError naming a bad one."""
    out: list[IPNetwork] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"not a network (CIDR): {item!r}") from exc
    return tuple(out)


@dataclass(frozen=True)
class AddressPolicy:
    """Refuses loopback, private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses (every
    address that is not globally routable), except inside `allowed` networks."""

    allowed: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` may not be reached, or None when it may."""
        ip = address
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(ip.version == n.version and ip in n for n in self.allowed):
            return None
        if ip.is_global and not ip.is_multicast:
            return None
        kind = next(
            (
                name
                for name, flag in (
                    ("loopback", ip.is_loopback),
                    ("link-local", ip.is_link_local),
                    ("multicast", ip.is_multicast),
                    ("unspecified", ip.is_unspecified),
                    ("private", ip.is_private),
                    ("reserved", ip.is_reserved),
                )
                if flag
            ),
            "not globally routable",
        )
        return f"{address} is a {kind} address (allow its network with ANNOSTREAM_WEBHOOK_ALLOW_NETWORKS)"

    def first_refusal(self, addresses: Iterable[IPAddress]) -> str | None:
        """The refusal of the first address that may not be reached (a name is refused when any of its
        addresses is), or None."""
        return next((why for a in addresses if (why := self.refusal(a)) is not None), None)


def literal_address(host: str) -> IPAddress | None:
    """The host as an IP address when it is one (`[::1]` brackets removed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
