"""`annostream smoke`: the vertical slice through the gateway's HTTP API (via the Python SDK), printing each step."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from annostream_sdk import AnnostreamError, Client, NewFrame, NewSource, NotFound, commands, rectangle
from annostream_sdk.models import FrameRef
from annostream_sdk.models_tasks import Lease

USER = "smoke-annotator"
T = TypeVar("T")


class SmokeFailed(Exception):
    """A step did not do what it should."""


def _poll(fn: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (result := fn()) is not None:
                return result
        except NotFound:
            pass
        time.sleep(0.2)
    raise SmokeFailed(f"timed out waiting for {what}")


def run_slice(client: Client, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Run every step of the slice; returns what it created as the API's JSON (used by the e2e test too)."""
    suffix = uuid.uuid4().hex[:8]
    ds = client.create_dataset(f"smoke-{suffix}")
    log(f"1. created dataset {ds.name} ({ds.dataset_id})")
    ver = client.create_version(ds.dataset_id, "v1")
    log(f"2. created version {ver.version_id} ({ver.status})")
    frames = [
        NewFrame(
            id=f"frame-{i}",
            context_id="street-cam",
            timestamp=i * 1000,
            sources=[NewSource(id="front", uri=f"https://example.com/img/{i}.jpg", width=640, height=480)],
            metadata={"city": "bremen", "index": i},
        )
        for i in range(3)
    ]
    imp = client.import_batch(ver.version_id, frames)
    log(f"3. imported {imp.imported} frames (skipped {imp.skipped})")
    pub = client.publish_version(ver.version_id)
    log(f"4. published version ({pub.status})")
    task = client.create_task(f"smoke task {suffix}", ver.version_id)
    child = client.get_version(task.annotated_version_id)
    log(
        f"5. created task {task.task_id}; it annotates child version '{child.name}' ({child.status},"
        f" parent {child.parent_version_id})"
    )

    def _leased() -> tuple[Lease, FrameRef] | None:
        x = client.next_frame(task.task_id)
        return (x, x.frame) if x.frame else None

    lease, ref = _poll(_leased, "the iterator to lease a frame")
    log(f"6. iterator leased frame {ref.frame_id} ({lease.position}/{lease.total})")
    frame = _poll(lambda: client.get_frame(ref.version_id, ref.frame_id), "the annotation service to know the frame")
    saved = client.save_frame(
        ref.version_id,
        ref.frame_id,
        [commands.CreateRoi(rectangle(10, 20, 110, 220, labels=["car"]))],
        expected_version=frame.version,
        idempotency_key=f"smoke-{suffix}",
        task_id=task.task_id,
    )
    log(f"7. saved RoiCreated (event {saved.event_ids[0]}), frame version {saved.version}")
    after = client.get_frame(ref.version_id, ref.frame_id)
    if not any("car" in r.labels for r in after.rois):
        raise SmokeFailed(f"frame projection has no 'car' ROI: {after}")
    log(f"8. frame projection shows {len(after.rois)} ROI(s) labelled {after.rois[0].labels}")
    tasks = client.list_tasks()
    if not any(t.task_id == task.task_id for t in tasks.tasks):
        raise SmokeFailed("the task list does not show the new task")
    log(f"9. task list shows the task ({tasks.total} task(s) in the team)")
    return {
        "dataset": ds.model_dump(),
        "version": ver.model_dump(),
        "task": task.model_dump(),
        "frame": after.model_dump(mode="json"),
        "event_ids": saved.event_ids,
    }


def run_smoke(url: str) -> int:
    """Run the slice against `url`; exit status 0 on success."""
    print(f"smoke: {url}")
    try:
        with Client(url, user=USER, timeout=30) as client:
            ready = client.readiness()
            if not ready.ready:
                print(f"smoke: gateway not ready: {ready.model_dump_json()}")
                return 1
            run_slice(client)
    except (SmokeFailed, AnnostreamError) as exc:
        print(f"smoke: FAILED: {exc}")
        return 1
    print("smoke: OK")
    return 0
