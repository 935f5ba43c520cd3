"""Comment use cases (add, resolve, reopen; as events) and the task's quality figures."""

from __future__ import annotations

import asyncpg

from annostream_kernel.authz import require_principal
from annostream_kernel.errors import InvalidArgument, NotFound
from annostream_kernel.events import append_events
from annostream_kernel.ids import new_id
from annostream_kernel.policy import Permission
from annostream_protos.types.v1 import frames_pb2

from ..adapters import review_messages as msgs
from ..adapters.comments_sql import CommentStore
from ..adapters.review_sql import ReviewStore
from ..domain.review import AddComment, ReviewSettings, an_id
from .planning import CHANNEL
from .review import ReviewHandlers, frame_ref


class CommentHandlers:
    """Comments on a task's frames and quality figures, checked against the task's team."""

    def __init__(self, review: ReviewHandlers) -> None:
        self.review, self.pool = review, review.pool

    async def add(self, cmd: AddComment) -> tuple[asyncpg.Record, frames_pb2.FrameRef]:
        """Store a comment on a frame of the task's plan (a new thread, or a reply) and its CommentAdded."""
        author = require_principal().user or require_principal().service
        async with self.pool.acquire() as conn, conn.transaction():
            plan = await self.review._task(conn, Permission.ANNOTATE, cmd.task_id)
            if not await ReviewStore(conn).in_plan(cmd.task_id, cmd.frame_id):
                raise NotFound(f"frame {cmd.frame_id!r} is not in the plan of task {cmd.task_id!r}", field="frame_id")
            comments = CommentStore(conn)
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
            ref = await frame_ref(conn, plan, cmd.frame_id)
            await append_events(conn, [msgs.comment_added(ref, cmd.task_id, dict(row))], notify_channel=CHANNEL)
            return row, ref

    async def set_resolved(
        self, task_id: str, comment_id: str, resolved: bool
    ) -> tuple[asyncpg.Record, frames_pb2.FrameRef]:
        """Resolve or reopen the thread of a comment (CommentResolved / CommentReopened; nothing when already so)."""
        an_id(comment_id, "comment_id")
        by = require_principal().user or require_principal().service
        async with self.pool.acquire() as conn, conn.transaction():
            plan = await self.review._task(conn, Permission.ANNOTATE, task_id)
            comments = CommentStore(conn)
            thread = await comments.thread_of(task_id, comment_id, lock=True)
            if thread is None:
                raise NotFound(f"no comment {comment_id!r} in task {task_id!r}", field="comment_id")
            ref = await frame_ref(conn, plan, thread["frame_id"])
            if thread["resolved"] != resolved:
                await comments.set_resolved(task_id, thread["comment_id"], resolved)
                ev = msgs.thread_changed(ref, task_id, thread["comment_id"], by, resolved=resolved)
                await append_events(conn, [ev], notify_channel=CHANNEL)
            row = await conn.fetchrow("SELECT * FROM comments WHERE comment_id = $1", comment_id)
            assert row is not None
            return row, ref

    async def quality(self, task_id: str) -> tuple[asyncpg.Record, list[asyncpg.Record], ReviewSettings]:
        """(the task's figures, per-annotator figures, review settings)."""
        async with self.pool.acquire() as conn:
            await self.review._task(conn, Permission.READ, task_id)
            task, people = await CommentStore(conn).quality(task_id)
            return task, people, await ReviewStore(conn).settings(task_id)
