"""The callers of the tenancy matrices (HTTP and gRPC) and the answer each must get, derived from the policy tables:
the kernel's GRANTS (role → permissions) and a route's or method's Rule (permission, target, owner_or).

Every object of a matrix belongs to team "a" and was made by the `owner`; a cell's answer follows from the caller's
side (team a, another team "b", or no identity) and role, never from a per-route list. This module re-states the
rules (who sees an object, which permissions a side has on it) instead of calling the kernel's Principal, so a
change of the implementation that breaks the policy fails the matrices.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from enum import StrEnum

from annostream_kernel.policy import GRANTS, Permission, Role, Rule, Target

OBJECT_TARGETS = (Target.DATASET, Target.VERSION, Target.TASK, Target.WEBHOOK)


class Answer(StrEnum):
    """How a cell must be answered."""

    OK = "ok"  # authorization passed: any answer but 401/403/404 (a 409 of a domain rule is fine)
    UNAUTHENTICATED = "unauthenticated"  # 401 / UNAUTHENTICATED
    NOT_FOUND = "not_found"  # 404 / NOT_FOUND: like an unknown id
    DENIED = "denied"  # 403 / PERMISSION_DENIED naming `permission`


@dataclass(frozen=True)
class Caller:
    """A column of the matrix: a user of team a (`side` "a"), of another team ("b"), or nobody (no identity)."""

    key: str
    side: str | None
    role: Role | None
    owner: bool = False  # the user who made team a's objects

    def user(self, suffix: str) -> str:
        """The caller's user name in a module whose teams end with `suffix`."""
        return f"{self.key}-{suffix}"


CALLERS: tuple[Caller, ...] = (
    Caller("owner", "a", Role.ANNOTATOR, owner=True),
    Caller("annotator", "a", Role.ANNOTATOR),
    Caller("reviewer", "a", Role.REVIEWER),
    Caller("admin", "a", Role.ADMIN),
    Caller("outsider", "b", Role.ANNOTATOR),
    Caller("outsider_admin", "b", Role.ADMIN),
    Caller("nobody", None, None),
)
BY_KEY = {c.key: c for c in CALLERS}


@dataclass(frozen=True)
class Expect:
    """The answer of one cell (`permission`: the one a DENIED answer names; None when it names none)."""

    answer: Answer
    permission: Permission | None = None

    def __str__(self) -> str:
        return f"{self.answer.value}({self.permission.value})" if self.permission else self.answer.value


ALLOW = Expect(Answer.OK)


def permissions_on_a(caller: Caller, *, shared: bool = False) -> frozenset[Permission]:
    """What the caller may do to team a's objects: its role's grants in team a; READ when team a shared the
    object with the caller's team; nothing otherwise."""
    if caller.side == "a" and caller.role is not None:
        return GRANTS[caller.role]
    return frozenset({Permission.READ}) if shared and caller.side is not None else frozenset()


def sees_a(caller: Caller, *, shared: bool = False) -> bool:
    """Whether team a's object exists for the caller (a member of team a, or of a team it is shared with)."""
    return caller.side == "a" or (shared and caller.side is not None)


def _on_object(permission: Permission, caller: Caller, shared: bool) -> Expect | None:
    if not sees_a(caller, shared=shared):
        return Expect(Answer.NOT_FOUND)
    if permission not in permissions_on_a(caller, shared=shared):
        return Expect(Answer.DENIED, permission)
    return None


def expect(
    rule: Rule,
    caller: Caller,
    *,
    shared: bool = False,
    refs: tuple[Permission, ...] = (),
) -> Expect:
    """The answer `caller` must get from an operation with `rule` on team a's object (`shared`: the object is
    shared read-only with team b). `refs`: permissions a team-target request also needs on a team a object it
    names (e.g. READ on the source version of a new task)."""
    if rule.target is Target.PUBLIC:
        return ALLOW
    if caller.side is None or caller.role is None:
        return Expect(Answer.UNAUTHENTICATED)
    if rule.target is Target.NONE:
        return ALLOW
    if rule.target is Target.SERVICE:
        return Expect(Answer.DENIED)
    assert rule.permission is not None, rule
    if rule.target is Target.TEAM:  # in the caller's own (acting) team
        if rule.permission not in GRANTS[caller.role]:
            return Expect(Answer.DENIED, rule.permission)
        for needed in refs:
            if (refused := _on_object(needed, caller, shared)) is not None:
                return refused
        return ALLOW
    assert rule.target in OBJECT_TARGETS, rule
    if (refused := _on_object(rule.permission, caller, shared)) is not None:
        return refused
    if rule.owner_or is not None and not caller.owner and rule.owner_or not in permissions_on_a(caller, shared=shared):
        return Expect(Answer.DENIED, rule.owner_or)
    return ALLOW


def closed_url() -> str:
    """A loopback webhook URL nothing listens on (the test stack allows loopback targets): its deliveries fail
    fast and are dead-lettered after the stack's few attempts, so they stop changing."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tenancy"
