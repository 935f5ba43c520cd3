"""The checks every fault test makes around its fault: a steady load before and after it, then nothing
acknowledged may be missing (event store, subscriber, imports) and no call the SDK retries may have failed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg

from annostream_cli.stack import LocalStack

from ..parallel import at_end
from .load import Failure, Load
from .subscriber import Subscriber

STEADY = 2.0  # seconds of load before a fault and after it


def stored_event_ids(dsn: str) -> set[str]:
    """Every event id of the annotation service's event store."""

    async def fetch() -> set[str]:
        conn = await asyncpg.connect(dsn)
        try:
            return {str(r[0]) for r in await conn.fetch("SELECT event_id FROM annotation.events")}
        finally:
            await conn.close()

    return asyncio.run(fetch())


def processes_now(topo: LocalStack, lines: int = 15) -> str:
    """Which component processes have exited (with their exit codes) and their logs' last lines: a failed check's
    context (the stack's temp dir, its logs included, is gone after the run)."""
    exited = topo.exited()
    tails = {n: (topo.log_dir / f"{n}.log").read_text(errors="replace").splitlines()[-lines:] for n in exited}
    return f"exited processes {exited}, their logs' last lines {tails}"


def unsynced_lease_losses(load: Load, t_fault: float, window: float) -> list[Failure]:
    """Heartbeats and releases refused because their lease, granted within `window` seconds around the fault, was
    lost with the killed PostgreSQL primary: NextFrame commits without waiting for the WAL flush or the standby
    (iterator migration 0005, docs/filters.md), so a failover may forget the leases of its last moments."""
    if window <= 0:
        return []
    return [f for f in load.failures if f.lease_not_held(t_fault - window, t_fault + window)]


def under_load(
    name: str,
    topo: LocalStack,
    load: Load,
    sub: Subscriber,
    fault: Callable[[], dict[str, float]],
    unsynced_lease_window: float = 0.0,
) -> dict[str, float]:
    """Run `fault` in the middle of the load; check what nothing may lose; returns the figures measured.
    `unsynced_lease_window`: seconds around the fault in which a lease may be lost (a PostgreSQL failover)."""
    load.failures.clear()
    acked_before, saves_before, leases_before = set(load.acked_events), load.acked_saves, load.leases
    load.start()
    time.sleep(STEADY)
    t_fault = time.monotonic()
    figures = fault()
    time.sleep(STEADY)
    load.stop()
    window = {e: at for e, at in load.acked_events.items() if e not in acked_before}
    ran = f"saves {load.acked_saves - saves_before}, leases {load.leases - leases_before}, failures {load.failures[:3]}"
    assert load.acked_saves - saves_before > 20 and load.leases - leases_before > 5, f"the load did not run: {ran}"

    lost_leases = unsynced_lease_losses(load, t_fault, unsynced_lease_window)
    failed = [f for f in load.retried_failures() if f not in lost_leases]
    assert failed == [], f"calls the SDK retries failed after its retries: {failed[:5]}; {processes_now(topo)}"
    others = [f for f in load.failures if not f.retried_by_sdk and f not in lost_leases]
    assert all("Unavailable" in f.error for f in others), others  # not retried (documented): a 503 to try again

    stored = stored_event_ids(topo.dsn)
    assert set(window) - stored == set(), "acknowledged edits are missing from the event store"
    missing = sub.wait_for(stored, timeout=60)
    assert missing == set(), f"{len(missing)} stored events never reached the subscriber"
    with load.client() as c:
        imported = {f.frame_id for f in c.iter_base_frames(load.import_version_id)}
    assert set(load.acked_imports) - imported == set(), "acknowledged imports are missing"

    after = [sub.seen[e] - t_fault for e, at in window.items() if at >= t_fault]
    figures |= {
        "first_event_after_fault_delivered_s": round(max(0.0, min(after)), 3),
        "worst_event_delay_s": round(max(sub.seen[e] - at for e, at in window.items()), 3),
        "slowest_save_s": round(load.slowest.get("save_frame", 0.0), 3),
        "acked_saves": load.acked_saves - saves_before,
        "leases": load.leases - leases_before,
        "failed_after_sdk_retries": len(failed),
        "failed_not_retried_503": len(others),
    }
    if unsynced_lease_window > 0:
        figures["leases_lost_unsynced"] = len({f.lease_granted_at for f in lost_leases})
    at_end(
        "topology: recovery times (seconds) and counts",
        f"{name}: " + ", ".join(f"{k} {v:g}" for k, v in figures.items()),
    )
    print(name, figures)
    return figures
