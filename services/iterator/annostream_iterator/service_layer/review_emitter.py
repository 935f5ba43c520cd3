"""Appends ReviewRequested for frames that entered review (the plan trigger adds a `review_requests` row).

A frame enters review in whichever statement finishes it (NextFrame's completion is one SQL function call), so
the event is appended here, shortly after, in the transaction that deletes the request row: never lost, never
doubled. Request rows are taken with `FOR UPDATE SKIP LOCKED` (replicas share the work); a decision deletes the
frame's request row first (waiting for an emitter holding it) and appends the ReviewRequested itself when it got
the row, so a frame's review stream stays in order. Reviewers' claims lock only `review` rows, never these.
"""

from __future__ import annotations

from annostream_kernel.loops import tick_forever

from .ports import UnitOfWorkFactory
from .review import announce


class ReviewEmitter:
    """Announces frames waiting for review every `interval` seconds (at once while there are more)."""

    def __init__(self, uow: UnitOfWorkFactory, interval: float, batch: int = 200) -> None:
        self.uow, self.interval, self.batch = uow, interval, batch

    async def emit_once(self) -> int:
        """Announce up to `batch` frames; returns how many."""
        async with self.uow() as uow:
            rows = await uow.reviews.requests(self.batch)
            for row in rows:
                await uow.reviews.take_request(row["task_id"], row["frame_id"])
                plan = await uow.plans.get_task(row["task_id"])
                if plan is not None:  # a deleted task's frames: nobody will review them
                    await announce(uow, plan, row["frame_id"], row["annotator"], row["round"])
            await uow.commit()
            return len(rows)

    async def run(self) -> None:
        """Emit forever; a failed tick is logged and retried on the next one."""
        await tick_forever(self._drain, lambda: self.interval, "review_emit_failed")

    async def _drain(self) -> None:
        while await self.emit_once() == self.batch:
            pass
