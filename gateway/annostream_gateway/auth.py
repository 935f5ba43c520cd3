"""Who is calling: the dev-mode headers, or the headers an authenticating reverse proxy sets (ANNOSTREAM_DEV_AUTH).

Dev mode (ANNOSTREAM_DEV_AUTH=true) trusts X-Annostream-User / -Team / -Role as the client sends them. Proxy mode
(false) takes the user only from X-Auth-Request-User, which oauth2-proxy (`--set-xauthrequest`) returns to nginx's
auth_request and nginx sets on the proxied request; X-Auth-Request-Groups says which teams the user belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

from annostream_kernel.errors import DomainError, InvalidArgument, PermissionDenied

DEV_USER_HEADER = "X-Annostream-User"
TEAM_HEADER = "X-Annostream-Team"
ROLE_HEADER = "X-Annostream-Role"
PROXY_USER_HEADER = "X-Auth-Request-User"
PROXY_GROUPS_HEADER = "X-Auth-Request-Groups"
DEFAULT_TEAM = "default"  # every caller's team when none is chosen (in both modes)
ADMIN_GROUP_SUFFIX = ":admin"  # proxy mode: group "<team>:admin" makes the caller an admin of <team>
MAX_USER_LENGTH = 200
ROLES = {"", "member", "admin"}


class Unauthenticated(DomainError):
    """The request carries no identity the gateway accepts (HTTP 401)."""

    code_name = "UNAUTHENTICATED"


@dataclass(frozen=True)
class Caller:
    """The identity a request acts with: user, team and role in that team ("admin" or "" for a member)."""

    user: str
    team: str
    role: str


def dev_caller(user: str | None, team: str | None, role: str | None) -> Caller:
    """Dev mode: X-Annostream-User (default "anonymous"), X-Annostream-Team, X-Annostream-Role as sent."""
    name = (user or "anonymous").strip()
    if not name or len(name) > MAX_USER_LENGTH:
        raise InvalidArgument(f"must be 1..{MAX_USER_LENGTH} characters", field=DEV_USER_HEADER)
    wanted = (role or "").strip().lower()
    if wanted not in ROLES:
        raise InvalidArgument(f"must be one of {sorted(r for r in ROLES if r)}", field=ROLE_HEADER)
    return Caller(name, (team or DEFAULT_TEAM).strip(), "" if wanted == "member" else wanted)


def proxy_caller(user: str | None, groups: str | None, team: str | None) -> Caller:
    """Proxy mode: the user from X-Auth-Request-User (else Unauthenticated); X-Annostream-Team may choose one of
    the user's groups (X-Auth-Request-Groups, comma-separated) as team; admin iff the groups hold "<team>:admin"."""
    name = (user or "").strip()
    if not name:
        raise Unauthenticated(
            f"{PROXY_USER_HEADER} header is missing: with ANNOSTREAM_DEV_AUTH=false the gateway only accepts requests"
            " that an authenticating proxy (e.g. oauth2-proxy) has signed in",
            field=PROXY_USER_HEADER,
        )
    if len(name) > MAX_USER_LENGTH:
        raise InvalidArgument(f"must be 1..{MAX_USER_LENGTH} characters", field=PROXY_USER_HEADER)
    member_of = {g.strip() for g in (groups or "").split(",") if g.strip()}
    chosen = (team or "").strip() or DEFAULT_TEAM
    if chosen != DEFAULT_TEAM and chosen not in member_of:
        raise PermissionDenied(f"{name} is not in group {chosen!r} ({PROXY_GROUPS_HEADER})", field=TEAM_HEADER)
    return Caller(name, chosen, "admin" if chosen + ADMIN_GROUP_SUFFIX in member_of else "")
