"""Cross-service promises the annotation service keeps synchronously: sealing a version at publish, and sealing
versions at delete (see docs/architecture.md, Cross-service promises)."""

from __future__ import annotations

import asyncpg

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import MAX_ID_LENGTH, check_text

from ..adapters.frame_sql import SEAL_DELETED, SEAL_LOCK, SEAL_LOCKS, SEAL_VERSION

MAX_DELETED_VERSIONS = 100_000


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


async def seal_deleted(pool: asyncpg.Pool, dataset_id: str, version_ids: list[str]) -> None:
    """Mark the versions deleted now (recording those not known yet); waits for the saves that already passed the
    Draft test to commit, and no later save of them commits nor any read of them answers."""
    if not dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    check_text(dataset_id, "dataset_id", max_length=MAX_ID_LENGTH)
    if not version_ids:
        raise InvalidArgument("is required", field="version_ids")
    if len(version_ids) > MAX_DELETED_VERSIONS:
        raise InvalidArgument(f"at most {MAX_DELETED_VERSIONS} ids", field="version_ids")
    for v in version_ids:
        if not v:
            raise InvalidArgument("must not contain an empty id", field="version_ids")
        check_text(v, "version_ids", max_length=MAX_ID_LENGTH)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(SEAL_LOCKS, version_ids)
        await conn.execute(SEAL_DELETED, version_ids, dataset_id)
