"""Background loops (kernel loops.py): a failed tick is logged and the next one runs; a stop is never logged as a
failure, also when a library turned the cancellation into its own error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from structlog.testing import capture_logs

from annostream_kernel.loops import tick_forever, woken_or_timed_out


async def _stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2)
    assert done and task.cancelled()


async def test_a_failed_tick_is_logged_and_the_next_one_runs() -> None:
    runs: list[int] = []

    async def tick() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("database gone")

    with capture_logs() as logs:
        task = asyncio.create_task(tick_forever(tick, lambda: 0.01, "emit_failed"))
        async with asyncio.timeout(5):
            while len(runs) < 3:  # noqa: ASYNC110 - polls what the loop appends
                await asyncio.sleep(0.01)
        await _stopped(task)
    assert [e["event"] for e in logs if e.get("log_level") == "error"] == ["emit_failed"]


async def test_a_cancellation_a_library_turned_into_an_error_stops_the_loop_unlogged() -> None:
    started = asyncio.Event()

    async def tick() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError as exc:  # what asyncpg does to a commit cancelled mid-way
            raise RuntimeError("cannot rollback; the transaction is in error state") from exc

    with capture_logs() as logs:
        task = asyncio.create_task(tick_forever(tick, lambda: 0.01, "emit_failed"))
        await started.wait()
        await _stopped(task)
    assert logs == []


async def _stopped_while_woken(wait: Callable[[asyncio.Event, float], Awaitable[object]]) -> asyncio.Task[None]:
    """A loop waiting for a wake-up that is stopped in the very turn its event is set; the loop's task."""
    wake = asyncio.Event()

    async def loop() -> None:
        while True:
            await wait(wake, 1.0)
            wake.clear()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.01)  # waiting now
    wake.set()
    task.cancel()  # the same turn: the wake-up completes as the cancellation arrives
    await asyncio.wait([task], timeout=0.5)
    return task


async def test_a_loop_stopped_as_its_wake_up_arrives_stops() -> None:
    # A relay stopped just as a commit's NOTIFY woke it ran on: Python 3.11's asyncio.wait_for returns the woken
    # result and drops the cancellation, so the service's stop waited 5 s for the relay and 5 more for its connection.
    task = await _stopped_while_woken(woken_or_timed_out)
    assert task.cancelled()


async def test_woken_or_timed_out_says_which() -> None:
    wake = asyncio.Event()
    assert await woken_or_timed_out(wake, 0.01) is False
    wake.set()
    assert await woken_or_timed_out(wake, 1.0) is True
