"""Iterator request handlers: NextFrame, heartbeat, release, navigation, progress (one task or many)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from annostream_kernel.authz import Owner, authorize, require_principal
from annostream_kernel.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from annostream_kernel.ids import new_id
from annostream_kernel.limits import INT32_MAX, MAX_ID_LENGTH, check_text
from annostream_kernel.policy import Permission

from ..domain.commands import LeaseCommand, NextFrame
from ..domain.model import Lease, TaskPlan, TaskStatus, require
from .ports import Navigation, UnitOfWork, UnitOfWorkFactory

PENDING = "pending"
PLAN_PENDING = (
    "task {!r}: its plan is pending (the iterator has not yet applied every edit acknowledged before the task"
    " was created); retry shortly"
)
PUBLISHED = (
    "the task annotates version {}, which is Published (read-only: its frames cannot be saved any more):"
    " nothing is handed out"
)
NOT_HELD = "is not held by this annotator (released, finished, or handed to another annotator after it expired)"
MAX_PROGRESS_IDS = 500
GATES = ("active", "completed", "deleted")
ACTIONS = ("trail_previous", "trail_next", "annotated_next", "annotated_previous", "jump", "locate")


@dataclass(frozen=True)
class NextResult:
    """A lease, or none (then `exhausted` says whether any frame will come again)."""

    lease: Lease | None
    total: int
    exhausted: bool = False


@dataclass(frozen=True)
class Position:
    """A frame of the plan as navigation shows it."""

    frame_id: str
    version_id: str
    position: int
    total: int
    trail_index: int
    state: str
    annotator: str


def missing_task(task_id: str) -> NotFound:
    """What an unknown (or another team's) task id gets."""
    return NotFound(f"no task {task_id!r} (or not yet known to the iterator)", field="task_id")


async def load_task(uow: UnitOfWork, task_id: str) -> TaskPlan:
    """The task, or NotFound naming task_id."""
    plan = await uow.plans.get_task(require(task_id, "task_id"))
    if plan is None:
        raise missing_task(task_id)
    return plan


def the_annotator(annotator: str) -> str:
    """Leases are taken, kept and navigated for the caller itself; a service may act for an annotator."""
    caller = require_principal()
    if caller.service:
        return require(annotator, "annotator")
    if annotator and annotator != caller.user:
        raise PermissionDenied(f"annotator must be the caller ({caller.user}), not {annotator!r}", field="annotator")
    return caller.user


async def _trail_seq(nav: Navigation, task_id: str, annotator: str, *, forward: bool, from_trail: int) -> int | None:
    """The plan position of the trail entry before (or after) `from_trail` (0: from the end), or None."""
    if not forward:
        back = from_trail - 1 if from_trail else 0  # 0: the last entry of the trail
        entry = await nav.trail_entry(task_id, annotator, back) if from_trail != 1 else None
    else:
        after = from_trail + 1 if 0 < from_trail < INT32_MAX else None  # no entry after the last
        entry = await nav.trail_entry(task_id, annotator, after) if after else None
    return entry["unit"] if entry else None


class IteratorHandlers:
    """Use cases of the iterator; each runs in one unit of work from `uow`."""

    def __init__(self, uow: UnitOfWorkFactory, ttl: timedelta) -> None:
        self.uow, self.ttl = uow, ttl

    async def authorize(self, uow: UnitOfWork, permission: Permission, task_id: str) -> None:
        """Let the caller through if it may `permission` the task; else NotFound (another team's or unknown
        task) or PermissionDenied. A task the iterator knows no team of (created before tasks carried it) is
        reachable by annostream's own services only."""
        team = await uow.team_of(require(task_id, "task_id"))
        if team is None and require_principal().service:
            return
        authorize(permission, Owner(team or ""), missing=missing_task(task_id), what=f"task {task_id}")

    async def next_frame(self, cmd: NextFrame) -> NextResult:
        """Finish `complete_lease_id` if given, then return the held lease or lease the next free clip.

        One statement in its own transaction: the whole call is one PostgreSQL round trip."""
        annotator = the_annotator(cmd.annotator)
        async with self.uow(transaction=False) as uow:
            await self.authorize(uow, Permission.ANNOTATE, cmd.task_id)
            r = await uow.leases.next_frame(cmd.task_id, annotator, cmd.complete_lease_id, new_id("lease_"), self.ttl)
        if not r["status"]:
            raise missing_task(cmd.task_id)
        if r["status"] == PENDING:
            raise NotFound(PLAN_PENDING.format(cmd.task_id), field="task_id", details={"plan_pending": True})
        if r["status"] == "published":
            raise FailedPrecondition(
                PUBLISHED.format(r["version_id"]), field="task_id", details={"version_id": r["version_id"]}
            )
        if r["status"] != TaskStatus.ACTIVE.value:
            raise FailedPrecondition(f"the task is {r['status']}: no new leases", field="task_id")
        if r["finished"] < 0:
            raise FailedPrecondition(NOT_HELD, field="complete_lease_id")
        if r["seq"] is None:
            return NextResult(None, r["total"], r["task_done"] >= r["total"])
        lease = Lease(
            cmd.task_id,
            r["frame_id"],
            r["version_id"],
            annotator,
            r["lease_id"],
            r["expires_at"],
            r["seq"],
            r["total"],
            tuple(r["clip_frames"]),
            r["trail_idx"] or 0,
        )
        return NextResult(lease, r["total"])

    async def heartbeat(self, cmd: LeaseCommand) -> datetime:
        """Extend a held lease by the TTL; FailedPrecondition naming lease_id when it is not held."""
        annotator = the_annotator(cmd.annotator)
        async with self.uow() as uow:
            await self.authorize(uow, Permission.ANNOTATE, cmd.task_id)
            plan = await load_task(uow, cmd.task_id)
            if plan.status is not TaskStatus.ACTIVE:  # a closed task's leases run out; release still works
                raise FailedPrecondition(f"the task is {plan.status.value}: leases are not extended", field="task_id")
            if await uow.plans.version_sealed(plan.version_id):  # its saves are refused: the lease runs out
                raise FailedPrecondition(
                    PUBLISHED.format(plan.version_id), field="task_id", details={"version_id": plan.version_id}
                )
            expires = await uow.leases.heartbeat(cmd.task_id, annotator, cmd.lease_id, self.ttl)
            if expires is None:
                raise FailedPrecondition(NOT_HELD, field="lease_id")
            await uow.commit()
            return expires

    async def release(self, cmd: LeaseCommand) -> None:
        """Give a held clip back to the queue, or finish it (`done`)."""
        annotator = the_annotator(cmd.annotator)
        async with self.uow() as uow:
            await self.authorize(uow, Permission.ANNOTATE, cmd.task_id)
            plan = await load_task(uow, cmd.task_id)
            if cmd.done:
                n = await uow.leases.finish_lease(cmd.task_id, annotator, cmd.lease_id, plan.clip)
                if n is None:
                    raise FailedPrecondition(NOT_HELD, field="lease_id")
                if n > 0:  # TaskProgressed follows from the progress emitter
                    await uow.leases.add_done(plan.task_id, annotator, n)
            elif not await uow.leases.release(cmd.task_id, annotator, cmd.lease_id):
                raise FailedPrecondition(NOT_HELD, field="lease_id")
            await uow.commit()

    async def seal_version(self, version_id: str) -> list[tuple[str, str]]:
        """Hand out no lease on the version from now on, unless active tasks annotate it: then nothing is recorded
        and their (task id, team) are returned (PublishVersion refuses)."""
        check_text(require(version_id, "version_id"), "version_id", max_length=MAX_ID_LENGTH)
        async with self.uow() as uow:
            active = await uow.plans.active_tasks_on(version_id)
            if not active:
                await uow.plans.seal_version(version_id)
                await uow.commit()
        return active

    async def navigate(
        self,
        task_id: str,
        annotator: str,
        action: str,
        from_position: int,
        from_trail: int,
        steps: int,
        frame_id: str = "",
    ) -> tuple[Position | None, int]:
        """Where an editor action leads (read-only); (None, total) when there is nothing in that direction."""
        if action not in ACTIONS:
            raise InvalidArgument(f"must be one of {', '.join(ACTIONS)}", field="action")
        for field, value in (("from_position", from_position), ("from_trail_index", from_trail)):
            if value > INT32_MAX:  # plan positions and trail indexes are PostgreSQL integers
                raise InvalidArgument(f"must be at most {INT32_MAX}", field=field)
        if action == "locate":
            if not frame_id:
                raise InvalidArgument("is required to locate a frame", field="frame_id")
            check_text(frame_id, "frame_id", max_length=MAX_ID_LENGTH)
        annotator = the_annotator(annotator)
        async with self.uow(transaction=False) as uow:
            await self.authorize(uow, Permission.ANNOTATE, task_id)
            plan = await load_task(uow, task_id)
            nav, total = uow.navigation, plan.total
            seq: int | None = None
            if action.startswith("trail_"):
                seq = await _trail_seq(nav, task_id, annotator, forward=action == "trail_next", from_trail=from_trail)
            elif action == "jump":
                seq = min(max(from_position + steps, 1), total) if total else None
            elif action == "locate":
                seq = await nav.seq_of(task_id, frame_id)
            else:
                lineage = await uow.index.lineage(plan.version_id) or [plan.version_id]
                forward = action == "annotated_next"
                start = from_position if (forward or from_position) else total + 1
                seq = await nav.annotated(task_id, start, lineage, forward=forward)
            row = await nav.at(task_id, seq) if seq else None
            if row is None:
                return None, total
            idx = await uow.leases.trail_index(task_id, annotator, row["seq"])
            if row["done_at"] is not None:
                state, who = "done", row["done_by"]
            elif row["head_state"] == "leased" and row["expires_at"] > datetime.now(UTC):
                state, who = "leased", row["holder"]
            else:
                state, who = "open", ""
            return Position(row["frame_id"], plan.version_id, row["seq"], total, idx, state, who or ""), total

    async def progress(self, task_id: str) -> tuple[TaskPlan, int, list[asyncpg.Record]]:
        """(task, frames done, per-annotator rows)."""
        async with self.uow(transaction=False) as uow:
            await self.authorize(uow, Permission.READ, task_id)
            plan = await load_task(uow, task_id)
            return plan, await uow.leases.done(task_id), await uow.leases.annotators(task_id)

    async def set_status(self, task_id: str, status: str, revision: int) -> None:
        """Record the status the tasks service decided (NextFrame obeys it at once); older revisions are ignored."""
        require(task_id, "task_id")
        if status not in GATES:
            raise InvalidArgument("must be active, completed or deleted", field="status")
        if revision <= 0:
            raise InvalidArgument("must be the revision of the task event (> 0)", field="revision")
        async with self.uow(transaction=False) as uow:
            await uow.plans.set_gate(task_id, status, revision)

    async def progress_of(self, task_ids: list[str]) -> list[asyncpg.Record]:
        """Progress of up to 500 tasks in one query; unknown, deleted and unreadable tasks are absent."""
        if len(task_ids) > MAX_PROGRESS_IDS:
            raise InvalidArgument(
                f"at most {MAX_PROGRESS_IDS} task ids per call, got {len(task_ids)}", field="task_ids"
            )
        if not task_ids:
            return []
        caller = require_principal()
        async with self.uow(transaction=False) as uow:
            if not caller.service:
                teams = await uow.teams_of(task_ids)
                task_ids = [t for t in task_ids if t in teams and caller.can(Permission.READ, Owner(teams[t]))]
            return await uow.leases.progress_of(task_ids) if task_ids else []
