"""`annostream admin backfill-owners`: teach the annotation and iterator services who owns data created before
they learned owners from events (versions, datasets and tasks written before tenancy)."""

from __future__ import annotations

import asyncio

import asyncpg

from annostream_kernel.config import validate_schema_name

from .admin import database_url_or_none

BACKFILL = """
INSERT INTO {annotation}.datasets (dataset_id, team, shared_with)
SELECT d.dataset_id, d.team,
       ARRAY(SELECT s.team FROM {datasets}.dataset_shares s WHERE s.dataset_id = d.dataset_id ORDER BY s.team)
  FROM {datasets}.datasets d
ON CONFLICT (dataset_id) DO NOTHING;
UPDATE {annotation}.versions a SET team = v.team
  FROM {datasets}.versions v WHERE a.version_id = v.version_id AND a.team IS NULL;
UPDATE {iterator}.tasks i SET team = t.team
  FROM {tasks}.tasks t WHERE i.task_id = t.task_id AND i.team IS NULL;
"""
LEFT = """
SELECT (SELECT count(*) FROM {annotation}.versions v LEFT JOIN {annotation}.datasets d USING (dataset_id)
         WHERE v.team IS NULL AND d.team IS NULL) AS versions,
       (SELECT count(*) FROM {iterator}.tasks WHERE team IS NULL AND status <> 'deleted') AS tasks
"""


async def backfill(dsn: str, schemas: dict[str, str]) -> tuple[int, int]:
    """Copy owners from the owning services' schemas in one transaction; returns what is still unowned
    (versions, tasks) afterwards: rows whose owner no longer exists."""
    for s in schemas.values():
        validate_schema_name(s)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(BACKFILL.format(**schemas))
        row = await conn.fetchrow(LEFT.format(**schemas))
    finally:
        await conn.close()
    assert row is not None
    return int(row["versions"]), int(row["tasks"])


def backfill_owners(database_url: str | None) -> int:
    """Entry of `annostream admin backfill-owners`; 0 when every version and task has an owner."""
    dsn = database_url_or_none(database_url)
    if not dsn:
        return 2
    schemas = {"datasets": "datasets", "tasks": "tasks", "iterator": "iterator", "annotation": "annotation"}
    versions, tasks = asyncio.run(backfill(dsn, schemas))
    print(f"owners back-filled; without an owner still: {versions} version(s), {tasks} task(s)")
    return 0 if not versions and not tasks else 1
