"""`annostream admin migrate`: apply (or list) every service's pending schema migrations before a rollout.

Services migrate at start, inside their startup probe's time. A migration that rewrites a large table (the
annotation service's 0023 converts every frame projection) can outlast it: the probe kills the pod, the
transaction rolls back, and the next pod starts over. Run this once, as a one-off Job with the new image, and the
new pods then find nothing to do."""

from __future__ import annotations

import importlib
import time

from annostream_kernel.db import create_pool, migrate, pending_migrations
from annostream_kernel.runtime import ServiceDefinition

from .admin import run_on_database

SERVICES = ("datasets", "tasks", "iterator", "annotation", "webhooks")


def _definition(service: str) -> ServiceDefinition:
    module = importlib.import_module(f"annostream_{service}.bootstrap")
    definition: ServiceDefinition = module.definition()
    return definition


async def _run(dsn: str, only_list: bool) -> int:
    pending_total = 0
    for service in SERVICES:
        d = _definition(service)
        packages = [d.migrations_package] if d.migrations_package else []
        pool = await create_pool(dsn, d.schema, min_size=1, max_size=1)
        try:
            pending = await pending_migrations(pool, d.schema, packages)
            pending_total += len(pending)
            if only_list or not pending:
                print(f"{d.schema}: {len(pending)} pending" + "".join(f"\n  {name}" for name in pending), flush=True)
                continue
            print(f"{d.schema}: applying {len(pending)}: {', '.join(pending)}", flush=True)
            started = time.perf_counter()
            applied = await migrate(pool, d.schema, packages)
            print(f"{d.schema}: applied {len(applied)} in {time.perf_counter() - started:.1f} s", flush=True)
        finally:
            await pool.close()
    return 1 if only_list and pending_total else 0


def run_migrations(database_url: str | None, only_list: bool) -> int:
    """Apply every service's pending migrations (or, with `only_list`, print them; exit status 1 if any)."""
    return run_on_database(database_url, lambda dsn: _run(dsn, only_list))
