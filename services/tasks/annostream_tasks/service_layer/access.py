"""The tasks service's authorization checks: a loaded task against the caller (kernel policy)."""

from __future__ import annotations

from annostream_kernel.authz import Owner, authorize, require_principal
from annostream_kernel.errors import NotFound
from annostream_kernel.policy import Permission

from ..domain.model import Task


def missing_task(task_id: str) -> NotFound:
    """What an unknown (or another team's) task id gets."""
    return NotFound(f"no task {task_id!r}", field="task_id")


def task_for(permission: Permission, task: Task | None, task_id: str) -> Task:
    """The task if it exists and the caller may `permission` it; else NotFound / PermissionDenied."""
    if task is None:
        raise missing_task(task_id)
    authorize(permission, Owner(task.team), missing=missing_task(task_id), what=f"task {task_id}")
    return task


def task_to_close(task: Task | None, task_id: str) -> Task:
    """The task if the caller may complete, reopen or delete it: its owner with MANAGE, or anyone with
    ADMINISTER in its team."""
    found = task_for(Permission.MANAGE, task, task_id)
    if require_principal().user != found.owner:
        authorize(Permission.ADMINISTER, Owner(found.team), missing=missing_task(task_id), what=f"task {task_id}")
    return found
