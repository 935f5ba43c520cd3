"""Comment use cases (add, resolve, reopen; as events) and the task's quality figures."""

from __future__ import annotations

import asyncpg

from annostream_kernel.authz import require_principal
from annostream_kernel.errors import InvalidArgument, NotFound
from annostream_kernel.ids import new_id
from annostream_kernel.policy import Permission
from annostream_protos.types.v1 import frames_pb2

from ..domain import events as ev
from ..domain.commands import AddComment
from ..domain.review import ReviewSettings, an_id
from .review import ReviewHandlers, frame_of, frame_ref


class CommentHandlers:
    """Comments on a task's frames and quality figures, checked against the task's team."""

    def __init__(self, review: ReviewHandlers) -> None:
        self.review, self.uow = review, review.uow

    async def add(self, cmd: AddComment) -> tuple[asyncpg.Record, frames_pb2.FrameRef]:
        """Store a comment on a frame of the task's plan (a new thread, or a reply) and its CommentAdded."""
        author = require_principal().user or require_principal().service
        async with self.uow() as uow:
            plan = await self.review.task(uow, Permission.ANNOTATE, cmd.task_id)
            if not await uow.reviews.in_plan(cmd.task_id, cmd.frame_id):  # asked again once caught up (datasets)
                raise NotFound(f"frame {cmd.frame_id!r} is not in the plan of task {cmd.task_id!r}", field="frame_id")
            comments = uow.comments
            if cmd.roi_id:  # a missing or deleted ROI; asked again once caught up with the annotation stream
                lineage = await uow.index.lineage(plan.version_id) or [plan.version_id]
                if not await comments.has_roi(lineage, cmd.frame_id, cmd.roi_id):
                    raise NotFound(f"frame {cmd.frame_id!r} holds no ROI {cmd.roi_id!r} in the task", field="roi_id")
            comment_id = new_id("cmt_")
            thread_id = comment_id
            if cmd.reply_to:
                thread = await comments.thread_of(cmd.task_id, cmd.reply_to)
                if thread is None:
                    raise NotFound(f"no comment {cmd.reply_to!r} in task {cmd.task_id!r}", field="reply_to")
                if thread["frame_id"] != cmd.frame_id:
                    raise InvalidArgument(
                        f"is a comment on frame {thread['frame_id']!r}, not this one", field="reply_to"
                    )
                thread_id = thread["comment_id"]
            row = await comments.add(cmd, comment_id, thread_id, author)
            ref = await frame_ref(uow, plan, cmd.frame_id)
            uow.emit(
                ev.CommentAdded(
                    cmd.task_id,
                    frame_of(ref),
                    str(row["comment_id"]),
                    str(row["thread_id"]),
                    str(row["author"]),
                    str(row["text"]),
                    bool(row["pinned"]),
                    float(row["x"]),
                    float(row["y"]),
                    str(row["roi_id"]),
                )
            )
            await uow.commit()
            return row, ref

    async def set_resolved(
        self, task_id: str, comment_id: str, resolved: bool
    ) -> tuple[asyncpg.Record, frames_pb2.FrameRef]:
        """Resolve or reopen the thread of a comment (CommentResolved / CommentReopened; nothing when already so)."""
        an_id(comment_id, "comment_id")
        by = require_principal().user or require_principal().service
        async with self.uow() as uow:
            plan = await self.review.task(uow, Permission.ANNOTATE, task_id)
            comments = uow.comments
            thread = await comments.thread_of(task_id, comment_id, lock=True)
            if thread is None:
                raise NotFound(f"no comment {comment_id!r} in task {task_id!r}", field="comment_id")
            ref = await frame_ref(uow, plan, thread["frame_id"])
            if thread["resolved"] != resolved:
                await comments.set_resolved(task_id, thread["comment_id"], resolved)
                changed = ev.CommentResolved if resolved else ev.CommentReopened
                uow.emit(changed(task_id, frame_of(ref), thread["comment_id"], by))
            row = await comments.get(comment_id)
            assert row is not None
            await uow.commit()
            return row, ref

    async def quality(self, task_id: str) -> tuple[asyncpg.Record, list[asyncpg.Record], ReviewSettings]:
        """(the task's figures, per-annotator figures, review settings)."""
        async with self.uow(transaction=False) as uow:
            await self.review.task(uow, Permission.READ, task_id)
            task, people = await uow.comments.quality(task_id)
            return task, people, await uow.reviews.settings(task_id)
