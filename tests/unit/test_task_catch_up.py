"""The iterator's read-your-writes retry for tasks: a request that misses its task runs once more after catching up
on the tasks stream; a pending plan, another field's miss, or a stream that already sent a message is answered as
it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from annostream_iterator.entrypoints.known_tasks import task_caught_up, task_caught_up_stream
from annostream_kernel.errors import NotFound

from .catch_up_fakes import AlreadyThere


class Context:
    def time_remaining(self) -> float:
        return 4.5


class Servicer:
    """Misses with `miss` on the first run (and on every run when `always`), then answers."""

    def __init__(self, miss: NotFound, *, always: bool = False, sent_first: bool = False) -> None:
        self._tasks: AlreadyThere | None = AlreadyThere()
        self.miss, self.always, self.sent_first, self.runs = miss, always, sent_first, 0

    def _maybe_miss(self) -> None:
        self.runs += 1
        if self.runs == 1 or self.always:
            raise self.miss

    @task_caught_up
    async def NextFrame(self, request: Any, context: Any) -> str:
        self._maybe_miss()
        return "lease"

    @task_caught_up_stream
    async def ListPlanFrames(self, request: Any, context: Any) -> AsyncIterator[str]:
        if self.sent_first:
            yield "page"
        self._maybe_miss()
        yield "plan"


async def _listed(s: Servicer) -> list[str]:
    return [m async for m in s.ListPlanFrames(None, Context())]


def unknown_task() -> NotFound:
    return NotFound("no task 'x' (or not yet known to the iterator)", field="task_id")


def test_a_missed_task_is_asked_again_after_catching_up_on_the_tasks_stream() -> None:
    s = Servicer(unknown_task())
    assert asyncio.run(s.NextFrame(None, Context())) == "lease"
    assert s.runs == 2 and s._tasks is not None and s._tasks.calls == [4.5]


def test_a_real_miss_stays_not_found_on_task_id_after_one_catch_up() -> None:
    s = Servicer(unknown_task(), always=True)
    with pytest.raises(NotFound) as err:
        asyncio.run(s.NextFrame(None, Context()))
    assert err.value.field == "task_id" and s.runs == 2 and s._tasks is not None and s._tasks.calls == [4.5]


def test_a_pending_plan_is_answered_at_once() -> None:
    s = Servicer(NotFound("pending", field="task_id", details={"plan_pending": True}))
    with pytest.raises(NotFound):
        asyncio.run(s.NextFrame(None, Context()))
    assert s.runs == 1 and s._tasks is not None and s._tasks.calls == []


def test_a_miss_of_another_field_is_answered_at_once() -> None:
    s = Servicer(NotFound("no frame", field="frame_id"))
    with pytest.raises(NotFound):
        asyncio.run(s.NextFrame(None, Context()))
    assert s.runs == 1


def test_a_plan_listing_that_missed_its_task_is_listed_again_after_catching_up() -> None:
    s = Servicer(unknown_task())
    assert asyncio.run(_listed(s)) == ["plan"]
    assert s.runs == 2 and s._tasks is not None and s._tasks.calls == [4.5]


def test_a_stream_that_already_sent_a_message_is_not_run_again() -> None:
    s = Servicer(unknown_task(), sent_first=True)
    with pytest.raises(NotFound):
        asyncio.run(_listed(s))
    assert s.runs == 1 and s._tasks is not None and s._tasks.calls == []


def test_without_a_catch_up_a_miss_is_the_answer() -> None:
    s = Servicer(unknown_task())
    s._tasks = None
    with pytest.raises(NotFound):
        asyncio.run(s.NextFrame(None, Context()))
    assert s.runs == 1
