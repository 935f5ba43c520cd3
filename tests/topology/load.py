"""A steady write load through the SDK (saves, leases, imports) that records what the system acknowledged and every
request that failed after the SDK's documented retries."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from annostream_sdk import AnnostreamError, Client, NewFrame, NewSource, commands, rectangle

from ..waiting import eventually

SAVE_WORKERS = 2
FRAMES = 24  # of the task's version; the save workers share them out (no two edit one frame)
PAUSE = 0.02  # between a worker's requests: a steady load the 2 cores keep up with beside the faults

T = TypeVar("T")


def frames(prefix: str, n: int) -> list[NewFrame]:
    """`n` empty frames `<prefix>0000`.. of one 640x480 source."""
    return [
        NewFrame(id=f"{prefix}{i:04d}", sources=[NewSource(uri=f"s3://b/{prefix}{i}.jpg", width=640, height=480)])
        for i in range(n)
    ]


@dataclass
class Failure:
    """A request that failed after the SDK's retries: the call, whether the SDK retries it, and the error."""

    call: str
    retried_by_sdk: bool
    error: str
    at: float
    lease_granted_at: float | None = None  # heartbeat and release: when NextFrame answered with the lease

    def lease_not_held(self, granted_from: float, granted_until: float) -> bool:
        """A heartbeat or release refused because its lease, granted in the given interval, is not held."""
        granted = self.lease_granted_at
        in_window = granted is not None and granted_from <= granted <= granted_until
        return in_window and "is not held by this annotator" in self.error


@dataclass
class Load:
    """Background SDK workers over one task; `acked_events` are the event ids of every acknowledged save."""

    url: str
    task_id: str = ""
    version_id: str = ""
    import_version_id: str = ""
    acked_events: dict[str, float] = field(default_factory=dict)  # event id -> when its save was acknowledged
    acked_saves: int = 0
    acked_imports: list[str] = field(default_factory=list)  # frame ids of acknowledged import batches
    leases: int = 0
    failures: list[Failure] = field(default_factory=list)
    slowest: dict[str, float] = field(default_factory=dict)  # longest successful call (with its retries), by call
    _run: int = 0  # ROI ids stay unique across runs
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> Client:
        """A client of the load's team, with the SDK's default retries."""
        return Client(self.url, user="loader", team="scale")

    def prepare(self) -> None:
        """A published version of FRAMES frames with a task on it, and a draft version to import into."""
        with self.client() as c:
            ds = c.create_dataset(f"scale-{uuid.uuid4().hex[:6]}")
            v = c.create_version(ds.dataset_id, "v1")
            c.import_frames(v.version_id, frames("f", FRAMES))
            c.publish_version(v.version_id)
            task = c.create_task("scale", v.version_id, label_set=["car"], default_labels=["car"])
            self.task_id, self.version_id = task.task_id, task.annotated_version_id
            self.import_version_id = c.create_version(ds.dataset_id, "imports").version_id
            eventually(lambda: c.get_frame(self.version_id, f"f{FRAMES - 1:04d}"), timeout=60)
            eventually(lambda: c.next_frame(self.task_id, wait=5).frame or None, timeout=60)  # the plan is built

    def start(self) -> None:
        """Start the workers."""
        self._stop.clear()
        self._run += 1
        workers = [lambda i=i: self._saves(i) for i in range(SAVE_WORKERS)] + [self._leases, self._imports]
        self._threads = [threading.Thread(target=w, daemon=True) for w in workers]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stop the workers and wait for them."""
        self._stop.set()
        for t in self._threads:
            t.join(60)

    def _call(self, name: str, retried: bool, fn: Callable[[], T], granted: float | None = None) -> T | None:
        start = time.monotonic()
        try:
            result = fn()
        except AnnostreamError as exc:
            failure = Failure(name, retried, f"{type(exc).__name__}: {exc}", time.monotonic(), granted)
            with self._lock:
                self.failures.append(failure)
            return None
        took = time.monotonic() - start
        with self._lock:
            self.slowest[name] = max(self.slowest.get(name, 0.0), took)
        return result

    def _saves(self, worker: int) -> None:
        mine = [f"f{i:04d}" for i in range(FRAMES) if i % SAVE_WORKERS == worker]
        with self.client() as c:
            versions = {f: c.get_frame(self.version_id, f).version for f in mine}
            n = 0
            while not self._stop.is_set():
                frame = mine[n % len(mine)]
                roi = rectangle(1 + n % 300, 1, 20 + n % 300, 30, labels=["car"], roi_id=f"w{worker}-{self._run}-{n}")
                save = partial(c.save_frame, self.version_id, frame, [commands.CreateRoi(roi)])
                got = self._call("save_frame", True, partial(save, expected_version=versions[frame]))
                if got is not None:
                    versions[frame] = got.version
                    with self._lock:
                        self.acked_events.update(dict.fromkeys(got.event_ids, time.monotonic()))
                        self.acked_saves += 1
                else:  # after a failed save, read where the frame is before the next one
                    versions[frame] = c.get_frame(self.version_id, frame).version
                n += 1
                time.sleep(PAUSE)

    def _leases(self) -> None:
        with self.client() as c:
            while not self._stop.is_set():
                lease = self._call("next_frame", False, lambda: c.next_frame(self.task_id))
                if lease is not None and lease.lease_id:
                    lease_id, granted = lease.lease_id, time.monotonic()
                    self._call("heartbeat", True, partial(c.heartbeat, self.task_id, lease_id), granted)
                    self._call("release", False, partial(c.release, self.task_id, lease_id), granted)
                    with self._lock:
                        self.leases += 1
                time.sleep(PAUSE)

    def _imports(self) -> None:
        with self.client() as c:
            n = 0
            while not self._stop.is_set():
                batch = frames(f"i{n:05d}-", 10)
                if self._call("import_batch", True, partial(c.import_batch, self.import_version_id, batch)):
                    with self._lock:
                        self.acked_imports.extend(f.id for f in batch)
                n += 1
                time.sleep(PAUSE * 5)

    def retried_failures(self) -> list[Failure]:
        """Failures of calls the SDK documents as retried (idempotent): the ones that must never happen."""
        return [f for f in self.failures if f.retried_by_sdk]
