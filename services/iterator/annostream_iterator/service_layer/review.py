"""Review use cases: settings, reviewer leases, accept / reject (sending frames back), frame review reads.

Each runs in one transaction on the task's team's check (`IteratorHandlers.authorize`): review state and its
events commit together (the kernel outbox), like every iterator write.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from annostream_kernel.authz import authorize_team, require_principal
from annostream_kernel.errors import FailedPrecondition, NotFound, PermissionDenied
from annostream_kernel.ids import new_id
from annostream_kernel.policy import Permission
from annostream_protos.types.v1 import frames_pb2

from ..domain import events as ev
from ..domain.commands import Decide
from ..domain.model import TaskPlan, TaskStatus
from ..domain.review import HistoryEntry, ReviewSettings, ReworkBy, an_id, reviewer_may_review
from .handlers import PLAN_PENDING, IteratorHandlers, load_task
from .ports import UnitOfWork

NOT_HELD = "is not held by this reviewer (released, decided, or handed to another reviewer after it expired)"
OWN_FRAME = "a reviewer may not review a frame they annotated (the task's reviewer_may_review_own is off)"


@dataclass(frozen=True)
class ReviewLease:
    """A frame handed to one reviewer (or none: `row` is None), with the task's waiting count."""

    row: asyncpg.Record | None
    ref: frames_pb2.FrameRef | None
    waiting: int


def the_reviewer(reviewer: str) -> str:
    """Reviews are taken and decided by the caller itself; a service may act for a reviewer."""
    caller = require_principal()
    if caller.service:
        return an_id(reviewer, "reviewer")
    if reviewer and reviewer != caller.user:
        raise PermissionDenied(f"reviewer must be the caller ({caller.user}), not {reviewer!r}", field="reviewer")
    return caller.user


async def frame_ref(uow: UnitOfWork, plan: TaskPlan, frame_id: str) -> frames_pb2.FrameRef:
    """The frame of the task's annotated version."""
    dataset = await uow.reviews.dataset_of(plan.version_id)
    return frames_pb2.FrameRef(dataset_id=dataset, version_id=plan.version_id, frame_id=frame_id)


def frame_of(ref: frames_pb2.FrameRef) -> ev.Frame:
    """The frame as events name it."""
    return ev.Frame(ref.dataset_id, ref.version_id, ref.frame_id)


async def announce(uow: UnitOfWork, plan: TaskPlan, frame_id: str, annotator: str, round_: int) -> None:
    """Emit ReviewRequested for a frame whose request row the caller removed."""
    ref = await frame_ref(uow, plan, frame_id)
    uow.emit(ev.ReviewRequested(plan.task_id, frame_of(ref), annotator, round_))


class ReviewHandlers:
    """Review use cases, each in one unit of work, checked against the task's team."""

    def __init__(self, base: IteratorHandlers) -> None:
        self.base, self.uow = base, base.uow

    async def task(self, uow: UnitOfWork, permission: Permission, task_id: str) -> TaskPlan:
        """The task, once the caller may `permission` it."""
        await self.base.authorize(uow, permission, an_id(task_id, "task_id"))
        return await load_task(uow, task_id)

    async def set_settings(self, task_id: str, settings: ReviewSettings) -> ReviewSettings:
        """Store the task's review settings (ReviewSettingsChanged); they apply to frames finished from now on."""
        async with self.uow() as uow:
            await self.task(uow, Permission.MANAGE, task_id)
            await uow.reviews.put_settings(task_id, settings)
            uow.emit(ev.ReviewSettingsChanged(task_id, settings))
            await uow.commit()
        return settings

    async def settings(self, task_id: str) -> ReviewSettings:
        """The task's review settings."""
        async with self.uow(transaction=False) as uow:
            await self.task(uow, Permission.READ, task_id)
            return await uow.reviews.settings(task_id)

    async def next_review(self, task_id: str, reviewer: str, annotator: str, label: str) -> ReviewLease:
        """The reviewer's held review lease, or a new one on the first waiting frame passing the filters."""
        reviewer = the_reviewer(reviewer)
        an_id(annotator, "annotator", optional=True)
        an_id(label, "label", optional=True)
        async with self.uow() as uow:
            plan = await self.task(uow, Permission.REVIEW, task_id)
            if plan.pending:
                raise NotFound(PLAN_PENDING.format(task_id), field="task_id", details={"plan_pending": True})
            if plan.status is not TaskStatus.ACTIVE:
                raise FailedPrecondition(f"the task is {plan.status.value}: no new review leases", field="task_id")
            store = uow.reviews
            settings = await store.settings(task_id)
            await store.serialise_reviewer(task_id, reviewer)
            row = await store.held(task_id, reviewer)
            if row is None:
                lineage = (await uow.index.lineage(plan.version_id) or [plan.version_id]) if label else []
                row = await store.claim(
                    task_id,
                    reviewer,
                    new_id("rlease_"),
                    self.base.ttl,
                    allow_own=settings.reviewer_may_review_own,
                    annotator=annotator,
                    label=label,
                    lineage=lineage,
                )
            ref = await frame_ref(uow, plan, row["frame_id"]) if row is not None else None
            lease = ReviewLease(row, ref, await store.waiting(task_id))
            await uow.commit()
            return lease

    async def decide(self, cmd: Decide) -> tuple[asyncpg.Record, frames_pb2.FrameRef]:
        """Accept or reject the frame of a held review lease; a rejected frame goes back to be fixed."""
        reviewer = the_reviewer(cmd.reviewer)
        async with self.uow() as uow:
            plan = await self.task(uow, Permission.REVIEW, cmd.task_id)
            store = uow.reviews
            row = await store.lock_lease(cmd.task_id, cmd.lease_id, reviewer)
            if row is None:
                raise FailedPrecondition(NOT_HELD, field="lease_id")
            settings = await store.settings(cmd.task_id)
            if not reviewer_may_review(settings, reviewer, row["annotator"]):
                raise FailedPrecondition(OWN_FRAME, field="reviewer", details={"reason": "own_frame"})
            if (round_ := await store.take_request(cmd.task_id, row["frame_id"])) is not None:
                await announce(uow, plan, row["frame_id"], row["annotator"], round_)
            updated = await store.decide(row, cmd.accept, "" if cmd.accept else cmd.reason)
            rework = ""
            if not cmd.accept:
                rework = row["annotator"] if settings.rework_by is ReworkBy.ANNOTATOR else ""
                await store.send_back(cmd.task_id, row["frame_id"], row["annotator"], rework or None)
            ref = await frame_ref(uow, plan, row["frame_id"])
            frame, annotator, round_ = frame_of(ref), row["annotator"], row["round"]
            if cmd.accept or not cmd.reason:  # no reason: the wire has always called it accepted
                uow.emit(ev.FrameAccepted(cmd.task_id, frame, annotator, reviewer, round_))
            else:
                uow.emit(ev.FrameRejected(cmd.task_id, frame, annotator, reviewer, round_, cmd.reason, rework))
            await uow.commit()
            return updated, ref

    async def undo(self, task_id: str, frame_id: str, reviewer: str) -> ReviewLease:
        """Undo the caller's decision on a frame while nothing followed it; the frame is leased to them again."""
        reviewer = the_reviewer(reviewer)
        an_id(frame_id, "frame_id")
        async with self.uow() as uow:
            plan = await self.task(uow, Permission.REVIEW, task_id)
            if plan.status is not TaskStatus.ACTIVE:
                raise FailedPrecondition(f"the task is {plan.status.value}: decisions stay", field="task_id")
            store = uow.reviews
            row = await store.lock_frame(task_id, frame_id)
            if row is None or row["state"] == "in_review":
                raise FailedPrecondition("has no decision to undo", field="frame_id", details={"reason": "no_decision"})
            if row["reviewer"] != reviewer:
                who = row["reviewer"]
                raise FailedPrecondition(
                    f"the last decision is {who}'s: only they may undo it",
                    field="frame_id",
                    details={"reason": "not_yours"},
                )
            updated = await store.reopen(row, new_id("rlease_"), self.base.ttl)
            if row["state"] == "rejected" and not await store.take_back(task_id, frame_id, row["annotator"]):
                raise FailedPrecondition(
                    "an annotator has taken the rejected frame up again",
                    field="frame_id",
                    details={"reason": "fix_started"},
                )
            ref = await frame_ref(uow, plan, frame_id)
            uow.emit(
                ev.ReviewDecisionUndone(
                    task_id, frame_of(ref), str(row["annotator"]), str(row["reviewer"]), int(row["round"]), row["state"]
                )
            )
            lease = ReviewLease(updated, ref, await store.waiting(task_id))
            await uow.commit()
            return lease

    async def release(self, task_id: str, lease_id: str, reviewer: str) -> None:
        """Give a held review lease back."""
        reviewer = the_reviewer(reviewer)
        an_id(lease_id, "lease_id")
        async with self.uow() as uow:
            await self.task(uow, Permission.REVIEW, task_id)
            row = await uow.reviews.lock_lease(task_id, lease_id, reviewer)
            if row is None:
                raise FailedPrecondition(NOT_HELD, field="lease_id")
            await uow.reviews.release(task_id, row["frame_id"])
            await uow.commit()

    async def frame_review(
        self, task_id: str, frame_id: str
    ) -> tuple[
        asyncpg.Record | None, frames_pb2.FrameRef, list[asyncpg.Record], list[asyncpg.Record], list[HistoryEntry]
    ]:
        """(review row or None, frame, decisions, comments, review history) of a frame of the task's plan."""
        an_id(frame_id, "frame_id")
        async with self.uow(transaction=False) as uow:
            plan = await self.task(uow, Permission.READ, task_id)
            store = uow.reviews
            row = await store.frame(task_id, frame_id)
            if row is None and not await store.in_plan(task_id, frame_id):  # asked again once caught up (datasets)
                raise NotFound(f"frame {frame_id!r} is not in the plan of task {task_id!r}", field="frame_id")
            ref = await frame_ref(uow, plan, frame_id)
            return (
                row,
                ref,
                await store.decisions(task_id, frame_id),
                await uow.comments.of_frame(task_id, frame_id),
                await uow.frame_history(task_id, frame_id),
            )

    async def review_tasks(self) -> list[str]:
        """The acting team's tasks holding the caller's review work ("My reviews" of the tasks list)."""
        caller = require_principal()
        authorize_team(Permission.READ, caller.team)
        may_review = Permission.REVIEW in caller.permissions(caller.team)
        async with self.uow(transaction=False) as uow:
            return await uow.review_tasks(caller.team, caller.user, may_review=may_review)
