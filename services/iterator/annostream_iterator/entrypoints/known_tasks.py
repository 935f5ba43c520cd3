"""Read-your-writes for tasks: a task the tasks service acknowledged is never "not yet known" to the iterator.

The iterator learns tasks from the tasks stream (its `iterator-tasks` consumer), which can lag seconds behind
`CreateTask`. A request that misses its task (`NotFound` on task_id, not a pending plan) catches up on that stream
(kernel `catch_up.CatchUp` over the tasks service's GetPublishedPosition) and runs once more; only then is the miss
the answer. The methods decorated store nothing before they find their task (a miss rolls their transaction back;
NextFrame's statement returns before writing), so the second run is the only one that acts.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from annostream_kernel.errors import NotFound

Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])
Stream = TypeVar("Stream", bound=Callable[..., AsyncIterator[Any]])


class TaskCatchUp(Protocol):
    """What the decorators need of kernel `CatchUp`."""

    async def caught_up(self, remaining: float | None = None) -> None:
        """Return once the tasks consumer has applied every task change acknowledged before the call."""
        ...


def missed_task(err: NotFound) -> bool:
    """Whether `err` says the task is unknown (a plan still pending is known: waiting for the stream won't help)."""
    return err.field == "task_id" and not err.details.get("plan_pending")


def _remaining(context: Any) -> float | None:
    return context.time_remaining() if context is not None else None


def task_caught_up(method: Method) -> Method:
    """A NotFound for the task is the answer only once the iterator has applied every task change acknowledged
    before it: the request runs once more after that (the servicer's `_tasks` catches up; None: no retry)."""

    @functools.wraps(method)
    async def run(self: Any, request: Any, context: Any) -> Any:
        try:
            return await method(self, request, context)
        except NotFound as err:
            tasks: TaskCatchUp | None = self._tasks
            if tasks is None or not missed_task(err):
                raise
            await tasks.caught_up(_remaining(context))
        return await method(self, request, context)

    return cast(Method, run)


def task_caught_up_stream(method: Stream) -> Stream:
    """`task_caught_up` for a response stream: a miss before its first message runs the stream once more."""

    @functools.wraps(method)
    async def run(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
        sent = False
        try:
            async for message in method(self, request, context):
                sent = True
                yield message
            return
        except NotFound as err:
            tasks: TaskCatchUp | None = self._tasks
            if sent or tasks is None or not missed_task(err):
                raise
            await tasks.caught_up(_remaining(context))
        async for message in method(self, request, context):
            yield message

    return cast(Stream, run)
