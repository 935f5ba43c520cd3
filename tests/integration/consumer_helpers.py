"""Running a kernel EventConsumer in a test until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from annostream_kernel.consumer import EventConsumer


async def run_until(consumer: EventConsumer, done: Callable[[], Awaitable[bool]], tries: int = 300) -> None:
    """Run the consumer loop until `done()` holds (or the tries run out), then stop it."""
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(tries):
            if await done():
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
