"""A plain JetStream subscriber, as a downstream system would run one: a durable pull consumer on the annotation
stream, connected to every node of the cluster, recording the id (Nats-Msg-Id) of each event it receives."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import nats
from nats.errors import TimeoutError as NatsTimeout

from annostream_kernel.streams import ANNOTATION


class Subscriber:
    """Runs in a thread of its own; `seen` holds every event id received, with when it first arrived."""

    def __init__(self, nats_url: str, durable: str = "scale-test-subscriber") -> None:
        self.url, self.durable = nats_url, durable
        self.seen: dict[str, float] = {}
        self.deliveries = 0
        self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self._ready = threading.Event()

    def start(self) -> None:
        """Subscribe (from the first event of the stream) and wait until the consumer exists."""
        self._thread.start()
        assert self._ready.wait(30), "subscriber did not start"

    def stop(self) -> None:
        """Stop receiving."""
        self._stop.set()
        self._thread.join(30)

    def has(self, event_ids: set[str]) -> set[str]:
        """Which of `event_ids` have not arrived yet."""
        with self._lock:
            return event_ids - self.seen.keys()

    def wait_for(self, event_ids: set[str], timeout: float) -> set[str]:
        """Wait until every one of `event_ids` arrived; returns those still missing at the timeout."""
        deadline = time.monotonic() + timeout
        while (missing := self.has(event_ids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return missing

    async def _run(self) -> None:
        nc = await nats.connect(servers=self.url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.5)
        try:
            js = nc.jetstream()
            sub = await js.pull_subscribe(f"{ANNOTATION.prefix}.>", durable=self.durable, stream=ANNOTATION.name)
            self._ready.set()
            while not self._stop.is_set():
                try:
                    msgs = await sub.fetch(200, timeout=0.5)
                except NatsTimeout:
                    continue
                except Exception:  # a node gone, a leader being elected: fetch again, as a consumer should
                    self.errors += 1
                    await asyncio.sleep(0.2)
                    continue
                now = time.monotonic()
                with self._lock:
                    for m in msgs:
                        self.deliveries += 1
                        self.seen.setdefault((m.headers or {}).get("Nats-Msg-Id", ""), now)
                for m in msgs:
                    with contextlib.suppress(Exception):  # unacknowledged: redelivered (at least once)
                        await m.ack()
        finally:
            with contextlib.suppress(Exception):
                await nc.close()
