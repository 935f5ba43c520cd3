"""Handlers of datasets and versions: one per command, each in one unit of work (state + events commit together)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from annostream_kernel.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from annostream_kernel.ids import new_id
from annostream_kernel.limits import bad_text
from annostream_protos.events.v1 import datasets_pb2 as ev

from ..adapters import messages
from ..adapters.postgres import DatasetsUnitOfWork
from ..adapters.stats_store import Stats
from ..domain.commands import CreateDataset, CreateVersion, DeleteDataset, DeleteVersion, PublishVersion, RenameDataset
from ..domain.model import (
    Dataset,
    Version,
    VersionStatus,
    VersionTreeNode,
    ensure_unreferenced,
    lineage_tree,
    validate_name,
)

UowFactory = Callable[[], DatasetsUnitOfWork]
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
    ds = Dataset(new_id("ds_"), validate_name(cmd.name), cmd.team or "default")
    async with uow_factory() as uow:
        if not await uow.datasets.add(ds):
            raise AlreadyExists(f"team {ds.team!r} already has a dataset named {ds.name!r}", field="name")
        uow.collect(
            messages.event(ev.DatasetCreated(dataset_id=ds.dataset_id, name=ds.name, team=ds.team), ds.dataset_id)
        )
        stored = await uow.datasets.get(ds.dataset_id)
        await uow.commit()
    assert stored is not None
    return stored


async def get_dataset(uow_factory: UowFactory, dataset_id: str) -> Dataset:
    """Load a dataset or raise NotFound."""
    if not dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    async with uow_factory() as uow:
        ds = await uow.datasets.get(dataset_id)
    if ds is None:
        raise NotFound(f"no dataset {dataset_id!r}", field="dataset_id")
    return ds


async def list_datasets(uow_factory: UowFactory, team: str, size: int, token: str) -> tuple[list[Dataset], str, int]:
    """A page of the team's datasets by name, the next page token and the total."""
    n = page_size(size)
    after = decode_token(token, 2) if token else None
    async with uow_factory() as uow:
        rows, total = await uow.datasets.list_page(team or "default", n + 1, (after[0], after[1]) if after else None)
    nxt = encode_token(rows[n - 1].name, rows[n - 1].dataset_id) if len(rows) > n else ""
    return rows[:n], nxt, total


def _own(ds: Dataset | None, dataset_id: str, team: str) -> Dataset:
    if ds is None:
        raise NotFound(f"no dataset {dataset_id!r}", field="dataset_id")
    if team and ds.team != team:
        raise PermissionDenied(f"dataset {dataset_id!r} belongs to another team", field="dataset_id")
    return ds


async def rename_dataset(uow_factory: UowFactory, cmd: RenameDataset) -> Dataset:
    """Rename a dataset of the caller's team; the new name must be free in the team."""
    name = validate_name(cmd.name)
    async with uow_factory() as uow:
        ds = _own(await uow.datasets.get(cmd.dataset_id, for_update=True), cmd.dataset_id, cmd.team or "default")
        if ds.name != name:
            if not await uow.datasets.rename(ds.dataset_id, name):
                raise AlreadyExists(f"team {ds.team!r} already has a dataset named {name!r}", field="name")
            uow.collect(messages.event(ev.DatasetRenamed(dataset_id=ds.dataset_id, name=name), ds.dataset_id))
        stored = await uow.datasets.get(ds.dataset_id)
        await uow.commit()
    assert stored is not None
    return stored


async def delete_dataset(uow_factory: UowFactory, cmd: DeleteDataset) -> None:
    """Delete a dataset with its versions and frames, unless a task references it."""
    async with uow_factory() as uow:
        ds = _own(await uow.datasets.get(cmd.dataset_id, for_update=True), cmd.dataset_id, cmd.team or "default")
        ensure_unreferenced(await uow.refs.of_dataset(ds.dataset_id), f"dataset {ds.dataset_id}", "dataset_id")
        version_ids = await uow.datasets.delete(ds.dataset_id)
        uow.collect(messages.event(ev.DatasetDeleted(dataset_id=ds.dataset_id, version_ids=version_ids), ds.dataset_id))
        await uow.commit()


async def create_version(uow_factory: UowFactory, cmd: CreateVersion) -> Version:
    """Create a root Draft version, or a Draft child of a Published parent (no frames are copied)."""
    name = validate_name(cmd.name)
    if not cmd.dataset_id:
        raise InvalidArgument("is required", field="dataset_id")
    async with uow_factory() as uow:
        if await uow.datasets.get(cmd.dataset_id) is None:
            raise NotFound(f"no dataset {cmd.dataset_id!r}", field="dataset_id")
        inherited = 0
        if cmd.parent_version_id:
            parent = await uow.versions.get(cmd.parent_version_id)
            if parent is None or parent.dataset_id != cmd.dataset_id:
                raise NotFound(f"no version {cmd.parent_version_id!r} in this dataset", field="parent_version_id")
            parent.ensure_can_be_parent()
            inherited = parent.frame_count
        v = Version(new_id("ver_"), cmd.dataset_id, name, cmd.parent_version_id or None, VersionStatus.DRAFT, inherited)
        await uow.versions.add(v)
        uow.collect(
            messages.event(
                ev.VersionCreated(
                    dataset_id=v.dataset_id,
                    version_id=v.version_id,
                    name=v.name,
                    parent_version_id=v.parent_version_id or "",
                    status=ev.VERSION_STATUS_DRAFT,
                ),
                v.dataset_id,
                v.version_id,
            )
        )
        stored = await uow.versions.get(v.version_id)
        await uow.commit()
    assert stored is not None
    return stored


async def get_version(uow_factory: UowFactory, version_id: str) -> Version:
    """Load a version or raise NotFound."""
    if not version_id:
        raise InvalidArgument("is required", field="version_id")
    async with uow_factory() as uow:
        v = await uow.versions.get(version_id)
    if v is None:
        raise NotFound(f"no version {version_id!r}", field="version_id")
    return v


MAX_BATCH_GET = 1000


async def get_versions(uow_factory: UowFactory, version_ids: list[str]) -> list[Version]:
    """The existing versions among `version_ids` (each once, in the order asked)."""
    if len(version_ids) > MAX_BATCH_GET:
        raise InvalidArgument(f"at most {MAX_BATCH_GET} ids", field="version_ids")
    if any(not v for v in version_ids):
        raise InvalidArgument("must not contain an empty id", field="version_ids")
    async with uow_factory() as uow:
        return await uow.versions.many(list(dict.fromkeys(version_ids)))


async def list_versions(uow_factory: UowFactory, dataset_id: str) -> tuple[list[VersionTreeNode], int]:
    """A dataset's versions as a lineage tree, and how many there are."""
    await get_dataset(uow_factory, dataset_id)
    async with uow_factory() as uow:
        versions = await uow.versions.of_dataset(dataset_id)
    return lineage_tree(versions), len(versions)


async def publish_version(uow_factory: UowFactory, cmd: PublishVersion) -> Version:
    """Draft → Published; publishing twice is refused."""
    async with uow_factory() as uow:
        v = await uow.versions.get(cmd.version_id, for_update=True)
        if v is None:
            raise NotFound(f"no version {cmd.version_id!r}", field="version_id")
        v.ensure_draft("publish again")
        await uow.versions.publish(v.version_id)
        uow.collect(
            messages.event(
                ev.VersionPublished(dataset_id=v.dataset_id, version_id=v.version_id), v.dataset_id, v.version_id
            )
        )
        stored = await uow.versions.get(v.version_id)
        await uow.commit()
    assert stored is not None
    return stored


async def delete_version(uow_factory: UowFactory, cmd: DeleteVersion) -> None:
    """Delete a Draft version, unless a task references it."""
    if not cmd.version_id:
        raise InvalidArgument("is required", field="version_id")
    async with uow_factory() as uow:
        v = await uow.versions.get(cmd.version_id, for_update=True)
        if v is None:
            raise NotFound(f"no version {cmd.version_id!r}", field="version_id")
        v.ensure_deletable()
        ensure_unreferenced(await uow.refs.of_version(v.version_id), f"version {v.version_id}", "version_id")
        await uow.versions.delete(v.version_id)
        uow.collect(
            messages.event(
                ev.VersionDeleted(dataset_id=v.dataset_id, version_id=v.version_id), v.dataset_id, v.version_id
            )
        )
        await uow.commit()


async def version_stats(uow_factory: UowFactory, version_id: str) -> tuple[Version, Stats]:
    """A version and its statistics (summed over its lineage)."""
    v = await get_version(uow_factory, version_id)
    async with uow_factory() as uow:
        lineage = [v.version_id, *await uow.versions.ancestors(v.version_id)]
        stats = await uow.stats.summed(lineage)
    return v, stats
