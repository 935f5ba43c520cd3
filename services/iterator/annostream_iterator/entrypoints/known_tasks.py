"""Read-your-writes for tasks: a task the tasks service acknowledged is never "not yet known" to the iterator.

The iterator learns tasks from the tasks stream (its `iterator-tasks` consumer), which can lag seconds behind
`CreateTask`. A request that misses its task (`NotFound` on task_id, not a pending plan) catches up on that stream
(kernel `catch_up.CatchUp` over the tasks service's GetPublishedPosition, the servicer's `_tasks`) and runs once
more; only then is the miss the answer. The methods decorated store nothing before they find their task (a miss
rolls their transaction back; NextFrame's statement returns before writing), so the second run is the only one
that acts.
"""

from __future__ import annotations

from typing import Any

from annostream_kernel.errors import NotFound
from annostream_kernel.miss_retry import CatchesUp, retried_after_catch_up, stream_retried_after_catch_up


def missed_task(err: NotFound) -> bool:
    """Whether `err` says the task is unknown (a plan still pending is known: waiting for the stream won't help)."""
    return err.field == "task_id" and not err.details.get("plan_pending")


def _tasks(servicer: Any) -> CatchesUp | None:
    tasks: CatchesUp | None = servicer._tasks
    return tasks


task_caught_up = retried_after_catch_up(missed_task, _tasks)
task_caught_up_stream = stream_retried_after_catch_up(missed_task, _tasks)
