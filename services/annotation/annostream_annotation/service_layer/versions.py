"""A cross-service promise the annotation service keeps synchronously: sealing a version at publish (see
docs/architecture.md, Cross-service promises)."""

from __future__ import annotations

import asyncpg

from annostream_kernel.errors import InvalidArgument

from ..adapters.frame_sql import SEAL_LOCK, SEAL_VERSION


async def seal_version(pool: asyncpg.Pool, version_id: str, dataset_id: str, parent_version_id: str, team: str) -> None:
    """Mark the version Published now (recording it, with its owning team, if its VersionCreated has not arrived
    yet); waits for the saves that already passed the Draft test to commit, and no later save of it commits
    (`version_writable`)."""
    if not version_id:
        raise InvalidArgument("is required", field="version_id")
    if not dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(SEAL_LOCK, version_id)
        await conn.execute(SEAL_VERSION, version_id, dataset_id, parent_version_id or None, team or None)
