"""The annotation service's authorization check: a version's frames against the caller (kernel policy).

The owning team of a version never changes, so it is read once per process; a dataset's sharing can change,
so it is read each time a caller outside the owning team asks to read.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import asyncpg

from annostream_kernel.authz import Owner, authorize, require_principal
from annostream_kernel.errors import NotFound
from annostream_kernel.policy import Permission

# A version's team comes with VersionCreated (or SealVersion); a row without one (older events) has no owner
# until `annostream admin backfill-owners`: never guess it from the dataset (a shared dataset's child versions
# belong to other teams).
OWNER_SQL = (
    "SELECT v.team, v.dataset_id, d.team AS dataset_team"
    " FROM versions v LEFT JOIN datasets d USING (dataset_id) WHERE v.version_id = $1"
)


@dataclass(frozen=True)
class VersionOwner:
    """A version's team, and its dataset (whose sharing applies when the dataset's team owns the version)."""

    team: str
    dataset_id: str
    dataset_team: str | None


def missing_version(version_id: str, field: str = "frame.version_id") -> NotFound:
    """What an unknown (or another team's) version gets."""
    return NotFound(f"no version {version_id!r} (or not yet known to the annotation service)", field=field)


class DeletedVersion(NotFound):
    """A version this service knows was deleted: the answer as it is (no catch-up on the datasets stream helps)."""

    def __init__(self, version_id: str, field: str = "frame.version_id") -> None:
        super().__init__(f"no version {version_id!r}: it was deleted", field=field)


class VersionAccess:
    """Checks callers against the owners of versions, with the owners cached per process."""

    def __init__(self, pool: asyncpg.Pool, size: int = 100_000) -> None:
        self._pool, self._size = pool, size
        self._owners: OrderedDict[str, VersionOwner] = OrderedDict()

    async def check(self, permission: Permission, version_id: str, field: str = "frame.version_id") -> None:
        """Let the caller through if it may `permission` the version's frames; else NotFound (another team's or
        unknown version) or PermissionDenied naming the permission."""
        caller = require_principal()
        if caller.service or not version_id:  # an empty id is refused by the handler, naming the field
            return
        missing = missing_version(version_id, field)
        owner = await self._owner(version_id)
        if owner is None:
            raise missing
        shared: frozenset[str] = frozenset()
        if not caller.can(permission, Owner(owner.team)) and owner.team == owner.dataset_team:
            teams = await self._pool.fetchval(
                "SELECT shared_with FROM datasets WHERE dataset_id = $1", owner.dataset_id
            )
            shared = frozenset(teams or ())
        authorize(permission, Owner(owner.team, shared), missing=missing, what=f"version {version_id}")

    async def _owner(self, version_id: str) -> VersionOwner | None:
        owner = self._owners.get(version_id)
        if owner is not None:
            self._owners.move_to_end(version_id)
            return owner
        row = await self._pool.fetchrow(OWNER_SQL, version_id)
        if row is None or row["team"] is None:
            return None
        owner = VersionOwner(row["team"], row["dataset_id"], row["dataset_team"])
        self._owners[version_id] = owner
        if len(self._owners) > self._size:
            self._owners.popitem(last=False)
        return owner
