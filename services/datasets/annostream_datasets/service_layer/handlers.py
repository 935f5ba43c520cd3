"""Handlers of datasets and versions: one per command, each in one unit of work (state + events commit together)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import replace

from annostream_kernel.authz import Owner, authorize_team, require_principal
from annostream_kernel.errors import AlreadyExists, InvalidArgument
from annostream_kernel.ids import new_id
from annostream_kernel.limits import MAX_NAME_LENGTH, bad_text, check_text
from annostream_kernel.policy import Permission

from ..domain import events
from ..domain.commands import (
    CreateDataset,
    CreateVersion,
    DeleteDataset,
    DeleteVersion,
    PublishVersion,
    RenameDataset,
    ShareDataset,
)
from ..domain.model import (
    Dataset,
    Version,
    VersionStatus,
    VersionTreeNode,
    ensure_no_other_teams_versions,
    ensure_unreferenced,
    lineage_tree,
    validate_name,
)
from ..domain.statistics import Stats
from .access import dataset_for, missing_version, version_for
from .ports import EditSealer, LeaseSealer, UnitOfWork

UowFactory = Callable[[], UnitOfWork]
MAX_PAGE = 500


def encode_token(*parts: str) -> str:
    """Opaque keyset page token."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def decode_token(token: str, n: int) -> list[str]:
    """Invert encode_token; a bad token is INVALID_ARGUMENT naming page_token."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(parts, list) and len(parts) == n and all(isinstance(p, str) and not bad_text(p) for p in parts):
            return parts
    except Exception:
        pass
    raise InvalidArgument("is not a token returned by this list", field="page_token")


def page_size(size: int) -> int:
    """0 → 50; otherwise 1..500."""
    if size < 0 or size > MAX_PAGE:
        raise InvalidArgument(f"must be between 0 and {MAX_PAGE}", field="page_size")
    return size or 50


async def create_dataset(uow_factory: UowFactory, cmd: CreateDataset) -> Dataset:
    """Create a dataset; the name must be unique within the team."""
    authorize_team(Permission.MANAGE, cmd.team)
    ds = Dataset(new_id("ds_"), validate_name(cmd.name), cmd.team)
    async with uow_factory() as uow:
        if not await uow.datasets.add(ds):
            raise AlreadyExists(f"team {ds.team!r} already has a dataset named {ds.name!r}", field="name")
        uow.emit(events.DatasetCreated(ds.dataset_id, ds.name, ds.team))
        stored = await uow.datasets.get(ds.dataset_id)
        await uow.commit()
    assert stored is not None
    return stored


async def get_dataset(uow_factory: UowFactory, dataset_id: str) -> Dataset:
    """Load a dataset the caller may read, or raise NotFound."""
    if not dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    async with uow_factory() as uow:
        ds = await uow.datasets.get(dataset_id)
    return dataset_for(Permission.READ, ds, dataset_id)


async def list_datasets(uow_factory: UowFactory, team: str, size: int, token: str) -> tuple[list[Dataset], str, int]:
    """A page of the team's datasets and those shared with it, by name; the next page token and the total."""
    authorize_team(Permission.READ, team)
    n = page_size(size)
    after = decode_token(token, 2) if token else None
    async with uow_factory() as uow:
        rows, total = await uow.datasets.list_page(team, n + 1, (after[0], after[1]) if after else None)
    nxt = encode_token(rows[n - 1].name, rows[n - 1].dataset_id) if len(rows) > n else ""
    return rows[:n], nxt, total


async def rename_dataset(uow_factory: UowFactory, cmd: RenameDataset) -> Dataset:
    """Rename a dataset of the caller's team; the new name must be free in the team."""
    name = validate_name(cmd.name)
    async with uow_factory() as uow:
        ds = dataset_for(Permission.MANAGE, await uow.datasets.get(cmd.dataset_id, for_update=True), cmd.dataset_id)
        if ds.name != name:
            if not await uow.datasets.rename(ds.dataset_id, name):
                raise AlreadyExists(f"team {ds.team!r} already has a dataset named {name!r}", field="name")
            uow.emit(events.DatasetRenamed(ds.dataset_id, name))
        stored = await uow.datasets.get(ds.dataset_id)
        await uow.commit()
    assert stored is not None
    return stored


async def delete_dataset(
    uow_factory: UowFactory, cmd: DeleteDataset, sealer: EditSealer, seal_timeout: float | None = None
) -> None:
    """Delete a dataset with its versions and frames, unless a task references it or another team made a version
    on it. The annotation service seals its versions as deleted before the delete commits (their rows stay
    locked meanwhile): once this answers, no edit of them commits and no read of them answers anywhere. A failed
    seal deletes nothing (Unavailable: retry)."""
    async with uow_factory() as uow:
        ds = dataset_for(Permission.ADMINISTER, await uow.datasets.get(cmd.dataset_id, for_update=True), cmd.dataset_id)
        ensure_unreferenced(await uow.refs.of_dataset(ds.dataset_id, ds.team), f"dataset {ds.dataset_id}", "dataset_id")
        ensure_no_other_teams_versions(ds, await uow.versions.of_dataset(ds.dataset_id))
        version_ids = await uow.datasets.delete(ds.dataset_id)
        if version_ids:
            await sealer.seal_deleted(ds.dataset_id, version_ids, "dataset_id", seal_timeout)
        uow.emit(events.DatasetDeleted(ds.dataset_id, version_ids))
        await uow.commit()


async def create_version(uow_factory: UowFactory, cmd: CreateVersion) -> Version:
    """Create a root Draft version (the dataset's team's), or a Draft child of a Published parent the caller may
    read, owned by the caller's acting team (no frames are copied)."""
    name = validate_name(cmd.name)
    if not cmd.dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    async with uow_factory() as uow:
        inherited = 0
        if cmd.parent_version_id:
            dataset_for(Permission.READ, await uow.datasets.get(cmd.dataset_id), cmd.dataset_id)
            parent = await uow.versions.get(cmd.parent_version_id)
            if parent is None or parent.dataset_id != cmd.dataset_id:
                raise missing_version(cmd.parent_version_id, "parent_version_id")
            version_for(Permission.READ, parent, cmd.parent_version_id, "parent_version_id")
            authorize_team(Permission.MANAGE, cmd.team)
            parent.ensure_can_be_parent()
            team, inherited = cmd.team, parent.frame_count
        else:
            team = dataset_for(Permission.MANAGE, await uow.datasets.get(cmd.dataset_id), cmd.dataset_id).team
        v = Version(
            new_id("ver_"),
            cmd.dataset_id,
            name,
            cmd.parent_version_id or None,
            VersionStatus.DRAFT,
            inherited,
            team=team,
        )
        await uow.versions.add(v)
        uow.emit(events.VersionCreated(v.dataset_id, v.version_id, v.name, v.parent_version_id or "", v.team))
        stored = await uow.versions.get(v.version_id)
        await uow.commit()
    assert stored is not None
    return stored


async def get_version(uow_factory: UowFactory, version_id: str) -> Version:
    """Load a version the caller may read, or raise NotFound."""
    if not version_id:
        raise InvalidArgument("is required", field="version_id")
    async with uow_factory() as uow:
        v = await uow.versions.get(version_id)
    return version_for(Permission.READ, v, version_id)


MAX_BATCH_GET = 1000


async def get_versions(uow_factory: UowFactory, version_ids: list[str]) -> list[Version]:
    """The existing versions among `version_ids` that the caller may read (each once, in the order asked)."""
    if len(version_ids) > MAX_BATCH_GET:
        raise InvalidArgument(f"at most {MAX_BATCH_GET} ids", field="version_ids")
    if any(not v for v in version_ids):
        raise InvalidArgument("must not contain an empty id", field="version_ids")
    caller = require_principal()
    async with uow_factory() as uow:
        found = await uow.versions.many(list(dict.fromkeys(version_ids)))
    return [v for v in found if caller.can(Permission.READ, v.owner)]


async def list_versions(uow_factory: UowFactory, dataset_id: str) -> tuple[list[VersionTreeNode], int]:
    """A dataset's versions the caller may read, as a lineage tree, and how many there are."""
    await get_dataset(uow_factory, dataset_id)
    caller = require_principal()
    async with uow_factory() as uow:
        versions = [v for v in await uow.versions.of_dataset(dataset_id) if caller.can(Permission.READ, v.owner)]
    return lineage_tree(versions), len(versions)


async def publish_version(
    uow_factory: UowFactory,
    cmd: PublishVersion,
    sealer: EditSealer,
    leases: LeaseSealer,
    seal_timeout: float | None = None,
) -> Version:
    """Draft → Published; publishing twice is refused, and so is publishing while active tasks annotate the
    version. The iterator then hands out no lease on it, and the annotation service seals it, before the publish
    commits (the version row stays locked meanwhile, so no import slips in): once this answers, no lease on it is
    handed out and no edit of it commits anywhere. A failed seal publishes nothing (Unavailable: retry)."""
    async with uow_factory() as uow:
        v = version_for(Permission.MANAGE, await uow.versions.get(cmd.version_id), cmd.version_id)
    v.ensure_draft("publish again")
    # Outside the transaction: the iterator may wait for its tasks consumer, which must not wait for this one.
    started, caller = time.monotonic(), require_principal()
    active = await leases.seal(v, seal_timeout)
    ours = [task_id for task_id, team in active if caller.can(Permission.READ, Owner(team))]
    v.ensure_no_active_tasks(ours, len(active) - len(ours))
    left = None if seal_timeout is None else seal_timeout - (time.monotonic() - started)
    async with uow_factory() as uow:
        v = version_for(Permission.MANAGE, await uow.versions.get(cmd.version_id, for_update=True), cmd.version_id)
        v.ensure_draft("publish again")
        await sealer.seal(v, left)
        await uow.versions.publish(v.version_id)
        uow.emit(events.VersionPublished(v.dataset_id, v.version_id))
        stored = await uow.versions.get(v.version_id)
        await uow.commit()
    assert stored is not None
    return stored


async def delete_version(
    uow_factory: UowFactory, cmd: DeleteVersion, sealer: EditSealer, seal_timeout: float | None = None
) -> None:
    """Delete a Draft version, unless a task references it. The annotation service seals it as deleted before the
    delete commits (its row stays locked meanwhile): once this answers, no edit of it commits and no read of it
    answers anywhere. A failed seal deletes nothing (Unavailable: retry)."""
    if not cmd.version_id:
        raise InvalidArgument("is required", field="version_id")
    async with uow_factory() as uow:
        v = version_for(Permission.MANAGE, await uow.versions.get(cmd.version_id, for_update=True), cmd.version_id)
        v.ensure_deletable()
        ensure_unreferenced(await uow.refs.of_version(v.version_id, v.team), f"version {v.version_id}", "version_id")
        await sealer.seal_deleted(v.dataset_id, [v.version_id], "version_id", seal_timeout)
        await uow.versions.delete(v.version_id)
        uow.emit(events.VersionDeleted(v.dataset_id, v.version_id))
        await uow.commit()


async def version_stats(uow_factory: UowFactory, version_id: str, per_frame: bool = False) -> tuple[Version, Stats]:
    """A version and its statistics (summed over its lineage; with `per_frame`, frames per number of ROIs)."""
    v = await get_version(uow_factory, version_id)
    async with uow_factory() as uow:
        lineage = [v.version_id, *await uow.versions.ancestors(v.version_id)]
        stats = await uow.stats.summed(lineage)
        if per_frame:
            stats = replace(stats, rois_per_frame=await uow.stats.rois_per_frame(lineage))
    return v, stats


MAX_SHARES = 100


async def share_dataset(uow_factory: UowFactory, cmd: ShareDataset) -> Dataset:
    """Share a dataset read-only with exactly `cmd.teams` (team admins); DatasetSharingChanged records it."""
    teams = sorted({check_text(t.strip(), "teams", max_length=MAX_NAME_LENGTH) for t in cmd.teams})
    if any(not t for t in teams):
        raise InvalidArgument("must not contain an empty team", field="teams")
    if len(teams) > MAX_SHARES:
        raise InvalidArgument(f"at most {MAX_SHARES} teams", field="teams")
    async with uow_factory() as uow:
        ds = dataset_for(Permission.ADMINISTER, await uow.datasets.get(cmd.dataset_id, for_update=True), cmd.dataset_id)
        teams = [t for t in teams if t != ds.team]
        if list(ds.shared_with) != teams:
            await uow.datasets.set_shares(ds.dataset_id, teams)
            uow.emit(events.DatasetSharingChanged(ds.dataset_id, teams))
        stored = await uow.datasets.get(ds.dataset_id)
        await uow.commit()
    assert stored is not None
    return stored
