"""The annotation service's read-your-writes retry: a miss runs the request once more after catching up, even when
the consumer applied the missing change between the miss and the position check (the race that made a frame the
datasets service had acknowledged answer 404)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from annostream_annotation.entrypoints.grpc_api import caught_up
from annostream_kernel.errors import NotFound

from .catch_up_fakes import AlreadyThere


class Servicer:
    """Misses once (the version arrives right after the first read), then finds it."""

    def __init__(self, field: str) -> None:
        self._catch_up, self.runs, self.field = AlreadyThere(), 0, field

    @caught_up
    async def GetFrame(self, request: Any, context: Any) -> str:
        self.runs += 1
        if self.runs == 1:
            raise NotFound("no version", field=self.field)
        return "frame"


class Context:
    def time_remaining(self) -> float:
        return 7.5


def test_a_miss_is_retried_after_catching_up_even_when_the_consumer_was_already_there() -> None:
    s = Servicer("frame.version_id")
    assert asyncio.run(s.GetFrame(None, Context())) == "frame"
    assert s.runs == 2 and s._catch_up.calls == [7.5]


def test_a_miss_of_another_field_is_the_answer_at_once() -> None:
    s = Servicer("task_id")
    with pytest.raises(NotFound):
        asyncio.run(s.GetFrame(None, Context()))
    assert s.runs == 1 and s._catch_up.calls == []
