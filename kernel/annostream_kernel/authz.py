"""Authorization: who may do what to whose data. The rules are the tables in `policy.py`; this module holds the
caller (`Principal`), how it travels in gRPC metadata, and the one check every service makes where its data lives.

A principal is a user with roles in one or more teams, acting as one of them (lists and new objects use the
acting team). Services call `authorize(permission, owner, missing=...)` with the owning team of the object they
loaded: another team's object answers exactly like a missing one (`missing`, a NotFound), a visible object with
too little role answers PERMISSION_DENIED naming the permission.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from .errors import DomainError, PermissionDenied, Unauthenticated
from .policy import GRANTS, Permission, Role

GRPC_USER_KEY = "x-annostream-user"
GRPC_TEAM_KEY = "x-annostream-team"
GRPC_ROLE_KEY = "x-annostream-role"
GRPC_TEAMS_KEY = "x-annostream-teams-bin"  # JSON {team: [role, ...]}: every membership of the caller
GRPC_SERVICE_KEY = "x-annostream-service"  # an internal caller (consumer, another service acting for itself)
LEGACY_ROLES = {"": Role.ANNOTATOR, "member": Role.ANNOTATOR}


@dataclass(frozen=True)
class Owner:
    """Who an object belongs to: its team, and the teams it is shared with read-only."""

    team: str
    shared_with: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Principal:
    """The caller: a user acting as one of its teams, with its roles per team; or an internal service."""

    user: str
    team: str
    memberships: Mapping[str, frozenset[Role]] = field(default_factory=dict)
    service: str = ""

    @property
    def teams(self) -> frozenset[str]:
        """Every team the caller belongs to."""
        return frozenset(self.memberships)

    def permissions(self, team: str) -> frozenset[Permission]:
        """What the caller may do to objects of `team`."""
        return frozenset(p for r in self.memberships.get(team, ()) for p in GRANTS[r])

    def can(self, permission: Permission, owner: Owner) -> bool:
        """Whether the caller may `permission` an object of `owner` (shared teams may only read)."""
        if self.service:
            return True
        if permission in self.permissions(owner.team):
            return True
        return permission is Permission.READ and bool(owner.shared_with & self.teams)

    def sees(self, owner: Owner) -> bool:
        """Whether the object is visible to the caller at all (a member of its team, or shared with one)."""
        return bool(self.service) or owner.team in self.memberships or bool(owner.shared_with & self.teams)

    def role_names(self, team: str) -> list[str]:
        """The caller's roles in `team`, sorted (for messages and /me)."""
        return sorted(r.value for r in self.memberships.get(team, ()))


def service_principal(name: str) -> Principal:
    """The identity an internal caller (consumer, plan builder, a service acting for itself) uses."""
    return Principal(user=f"service:{name}", team="", service=name)


def member(user: str, team: str, *roles: Role | str) -> Principal:
    """A user acting as `team` with `roles` there (annotator when none) and no other membership."""
    parsed = frozenset(parse_role(r) for r in roles) or frozenset({Role.ANNOTATOR})
    return Principal(user=user, team=team, memberships={team: parsed})


def parse_role(name: Role | str) -> Role:
    """A role by name ("member" and "" are annotators); PermissionDenied naming X-Annostream-Role otherwise."""
    if isinstance(name, Role):
        return name
    key = name.strip().lower()
    if key in LEGACY_ROLES:
        return LEGACY_ROLES[key]
    try:
        return Role(key)
    except ValueError as exc:
        raise PermissionDenied(f"unknown role {name!r}", field="role") from exc


_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def bind_principal(principal: Principal | None) -> None:
    """Make `principal` the caller of the current task (and of the gRPC calls it makes)."""
    _principal.set(principal)


def current_principal() -> Principal | None:
    """The caller of the current request, if any."""
    return _principal.get()


def require_principal() -> Principal:
    """The caller, or UNAUTHENTICATED when the request carried no identity."""
    p = _principal.get()
    if p is None:
        raise Unauthenticated("the request carries no identity (x-annostream-user metadata)", field="identity")
    return p


@contextlib.contextmanager
def acting_as_service(name: str) -> Iterator[Principal]:
    """Run the block (and the calls it makes) as the internal service `name`."""
    token = _principal.set(service_principal(name))
    try:
        yield service_principal(name)
    finally:
        _principal.reset(token)


def authorize(permission: Permission, owner: Owner, *, missing: DomainError, what: str = "") -> Principal:
    """Return the caller if it may `permission` an object of `owner`. An object the caller cannot see raises
    `missing` (the error an unknown id gets, so existence is not revealed); a visible one with too little role
    raises PERMISSION_DENIED naming the permission."""
    p = require_principal()
    if p.can(permission, owner):
        return p
    if not p.sees(owner):
        raise missing
    roles = p.role_names(owner.team) or ["read-only share"]
    raise PermissionDenied(
        f"{permission.value} permission needed{' on ' + what if what else ''}"
        f" (your role in team {owner.team!r}: {', '.join(roles)})",
        field=missing.field,
        details={"permission": permission.value, "team": owner.team},
    )


def authorize_team(permission: Permission, team: str) -> Principal:
    """Return the caller if it may `permission` in `team` (creating objects there, listing them)."""
    p = require_principal()
    if p.can(permission, Owner(team)):
        return p
    if team not in p.memberships:
        raise PermissionDenied(f"you are not a member of team {team!r}", field="team", details={"team": team})
    raise PermissionDenied(
        f"{permission.value} permission needed in team {team!r} (your role: {', '.join(p.role_names(team))})",
        field="team",
        details={"permission": permission.value, "team": team},
    )


def readable_teams(p: Principal) -> frozenset[str]:
    """Teams whose objects the caller may read as a member."""
    return frozenset(t for t in p.memberships if Permission.READ in p.permissions(t))


# ---- how a principal travels in gRPC metadata -------------------------------------------------------------


def to_metadata(p: Principal) -> list[tuple[str, str | bytes]]:
    """gRPC metadata carrying `p` (user and team percent-encoded: metadata values must be ASCII)."""
    if p.service:
        return [(GRPC_SERVICE_KEY, quote(p.service, safe=""))]
    md: list[tuple[str, str | bytes]] = [
        (GRPC_USER_KEY, quote(p.user, safe="")),
        (GRPC_TEAM_KEY, quote(p.team, safe="")),
    ]
    teams = {t: sorted(r.value for r in roles) for t, roles in p.memberships.items()}
    md.append((GRPC_TEAMS_KEY, json.dumps(teams, separators=(",", ":")).encode()))
    return md


def from_metadata(md: Iterable[tuple[str, str | bytes]]) -> Principal | None:
    """The principal metadata carries (None without an identity). Metadata with only user/team/role (older
    callers, hand-written clients) means a member of that one team with that role."""
    got = dict(md)
    if service := got.get(GRPC_SERVICE_KEY):
        return service_principal(unquote(_text(service)))
    user = unquote(_text(got.get(GRPC_USER_KEY, "")))
    if not user:
        return None
    team = unquote(_text(got.get(GRPC_TEAM_KEY, ""))) or "default"
    raw = got.get(GRPC_TEAMS_KEY)
    if raw is None:
        return member(user, team, _text(got.get(GRPC_ROLE_KEY, "")))
    try:
        decoded = json.loads(raw)
        memberships = {str(t): frozenset(parse_role(r) for r in roles) for t, roles in dict(decoded).items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise Unauthenticated(f"{GRPC_TEAMS_KEY} is not a JSON object of role lists", field="identity") from exc
    if team not in memberships:
        raise PermissionDenied(f"{user} is not a member of team {team!r}", field="team", details={"team": team})
    return Principal(user=user, team=team, memberships=memberships)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
