"""Who is calling: the dev-mode headers, or the headers an authenticating reverse proxy sets (ANNOSTREAM_DEV_AUTH).

Dev mode (ANNOSTREAM_DEV_AUTH=true) trusts X-Annostream-User / -Team / -Role as the client sends them: the caller is
a member of that one team with that role. Proxy mode (false) takes the user only from X-Auth-Request-User, which
oauth2-proxy (`--set-xauthrequest`) returns to nginx's auth_request and nginx sets on the proxied request;
X-Auth-Request-Groups says which teams the user belongs to and with which role ("T" or "T:annotator" → annotator
of T, "T:reviewer" → reviewer, "T:admin" → admin); X-Annostream-Team picks the team the caller acts as.
"""

from __future__ import annotations

import functools

from annostream_kernel.authz import Principal, member
from annostream_kernel.errors import InvalidArgument, PermissionDenied, Unauthenticated
from annostream_kernel.limits import bad_text
from annostream_kernel.policy import Role

DEV_USER_HEADER = "X-Annostream-User"
TEAM_HEADER = "X-Annostream-Team"
ROLE_HEADER = "X-Annostream-Role"
PROXY_USER_HEADER = "X-Auth-Request-User"
PROXY_GROUPS_HEADER = "X-Auth-Request-Groups"
DEFAULT_TEAM = "default"  # the team of a caller who names none (dev mode) or belongs to no group (proxy mode)
ROLE_SUFFIXES = {":admin": Role.ADMIN, ":reviewer": Role.REVIEWER, ":annotator": Role.ANNOTATOR}
MAX_USER_LENGTH = 200
MAX_TEAM_LENGTH = 200
DEV_ROLES = {"": Role.ANNOTATOR, "member": Role.ANNOTATOR, **{r.value: r for r in Role}}

__all__ = ["Unauthenticated", "dev_caller", "proxy_caller"]


def _name(value: str | None, header: str, limit: int) -> str:
    name = (value or "").strip()
    if not name or len(name) > limit:
        raise InvalidArgument(f"must be 1..{limit} characters", field=header)
    if (why := bad_text(name)) is not None:
        raise InvalidArgument(why, field=header)
    return name


CALLERS_CACHED = 1024  # callers by their headers: a request of a known caller builds no Principal (it is immutable)


@functools.lru_cache(maxsize=CALLERS_CACHED)
def dev_caller(user: str | None, team: str | None, role: str | None) -> Principal:
    """Dev mode: X-Annostream-User (default "anonymous") as a member of X-Annostream-Team (default "default") with
    X-Annostream-Role (annotator, reviewer or admin; default annotator)."""
    name = _name(user or "anonymous", DEV_USER_HEADER, MAX_USER_LENGTH)
    wanted = (role or "").strip().lower()
    if wanted not in DEV_ROLES:
        raise InvalidArgument(f"must be one of {sorted(r.value for r in Role)}", field=ROLE_HEADER)
    return member(name, _name(team or DEFAULT_TEAM, TEAM_HEADER, MAX_TEAM_LENGTH), DEV_ROLES[wanted])


def memberships(groups: str | None) -> dict[str, frozenset[Role]]:
    """Teams and roles from X-Auth-Request-Groups (comma-separated; "T:admin" etc., a bare "T" is annotator)."""
    teams: dict[str, set[Role]] = {}
    for raw in (groups or "").split(","):
        group = raw.strip()
        if not group or bad_text(group) is not None or len(group) > MAX_TEAM_LENGTH + 12:
            continue
        team, role = group, Role.ANNOTATOR
        for suffix, r in ROLE_SUFFIXES.items():
            if group.endswith(suffix) and len(group) > len(suffix):
                team, role = group[: -len(suffix)], r
        teams.setdefault(team, set()).add(role)
    return {t: frozenset(r) for t, r in teams.items()}


@functools.lru_cache(maxsize=CALLERS_CACHED)
def proxy_caller(user: str | None, groups: str | None, team: str | None) -> Principal:
    """Proxy mode: the user from X-Auth-Request-User (else Unauthenticated), its teams and roles from
    X-Auth-Request-Groups, acting as X-Annostream-Team (one of them; default: the first by name; a user in no
    group is an annotator of team "default")."""
    name = (user or "").strip()
    if not name:
        raise Unauthenticated(
            f"{PROXY_USER_HEADER} header is missing: with ANNOSTREAM_DEV_AUTH=false the gateway only accepts requests"
            " that an authenticating proxy (e.g. oauth2-proxy) has signed in",
            field=PROXY_USER_HEADER,
        )
    name = _name(name, PROXY_USER_HEADER, MAX_USER_LENGTH)
    teams = memberships(groups) or {DEFAULT_TEAM: frozenset({Role.ANNOTATOR})}
    chosen = (team or "").strip() or min(teams)
    if chosen not in teams:
        raise PermissionDenied(f"{name} is not in group {chosen!r} ({PROXY_GROUPS_HEADER})", field=TEAM_HEADER)
    return Principal(user=name, team=chosen, memberships=teams)
