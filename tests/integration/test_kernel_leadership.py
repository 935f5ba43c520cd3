"""Leadership shared by the relay and the consumers (kernel leadership.py), on a real PostgreSQL: one leader per
name among replicas, the next one takes over when the leader stops, and a lead loop whose cancellation a library
turned into an error still stops at once instead of leading again forever."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from annostream_kernel.leadership import give_up_lead, lead_forever, take_lead


def _replica(pool: asyncpg.Pool, name: str, led: list[str], who: str) -> asyncio.Task[None]:
    async def lead() -> None:
        conn = await pool.acquire()
        try:
            await take_lead(conn, name, 0.02)
            led.append(who)
            await asyncio.Event().wait()  # lead until cancelled
        finally:
            await give_up_lead(pool, conn)

    return asyncio.create_task(lead_forever(lead, lambda _exc: None, 0.02))


async def _until(check: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - polls state other tasks change
            await asyncio.sleep(0.01)


async def test_one_replica_leads_and_another_takes_over_when_it_stops(
    schema_pool: tuple[str, asyncpg.Pool],
) -> None:
    _, pool = schema_pool
    name, led = f"test:{uuid.uuid4().hex}", []
    first = _replica(pool, name, led, "first")
    await _until(lambda: led == ["first"])
    second = _replica(pool, name, led, "second")
    await asyncio.sleep(0.3)
    assert led == ["first"]  # the lock is held: the second replica waits
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await _until(lambda: led == ["first", "second"])
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    assert pool.get_idle_size() == pool.get_size()  # every connection given back


async def test_an_error_that_hides_a_cancellation_stops_the_loop() -> None:
    attempts = 0

    async def lead() -> None:
        nonlocal attempts
        attempts += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError as exc:  # what nats-py's request does to a cancelled call
            raise RuntimeError("library error while cancelled") from exc

    task = asyncio.create_task(lead_forever(lead, lambda _exc: None, 0.01))
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2)
    assert done and task.cancelled() and attempts == 1


async def test_an_ordinary_error_is_reported_and_the_loop_leads_again() -> None:
    errors: list[Exception] = []

    async def lead() -> None:
        if len(errors) < 2:
            raise ConnectionError("database gone")
        await asyncio.Event().wait()

    task = asyncio.create_task(lead_forever(lead, errors.append, 0.01))
    await _until(lambda: len(errors) == 2)
    await asyncio.sleep(0.05)
    assert not task.done() and [str(e) for e in errors] == ["database gone", "database gone"]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
