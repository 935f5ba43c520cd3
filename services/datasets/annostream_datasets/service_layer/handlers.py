"""Handlers: one per command, each in one unit of work (state + events commit together)."""

from __future__ import annotations

from collections.abc import Callable

from annostream_kernel.errors import AlreadyExists, InvalidArgument, NotFound
from annostream_kernel.ids import new_id
from annostream_protos.events.v1 import datasets_pb2 as ev

from ..adapters import messages
from ..adapters.postgres import DatasetsUnitOfWork
from ..domain.commands import CreateDataset, CreateVersion, ImportFrames, PublishVersion
from ..domain.model import Dataset, Version, VersionStatus, validate_name

UowFactory = Callable[[], DatasetsUnitOfWork]
MAX_EVENT_BYTES = 256 * 1024
MAX_IMPORT_BATCH = 10_000


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
    async with uow_factory() as uow:
        ds = await uow.datasets.get(dataset_id)
    if ds is None:
        raise NotFound(f"no dataset {dataset_id!r}", field="dataset_id")
    return ds


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
            parent = await uow.versions.get(cmd.parent_version_id, for_update=True)
            if parent is None or parent.dataset_id != cmd.dataset_id:
                raise NotFound(f"no version {cmd.parent_version_id!r} in this dataset", field="parent_version_id")
            parent.ensure_can_be_parent()
            inherited = parent.frame_count
        v = Version(
            new_id("ver_"),
            cmd.dataset_id,
            name,
            cmd.parent_version_id or None,
            VersionStatus.DRAFT,
            inherited,
        )
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
    async with uow_factory() as uow:
        v = await uow.versions.get(version_id)
    if v is None:
        raise NotFound(f"no version {version_id!r}", field="version_id")
    return v


async def import_frames(uow_factory: UowFactory, cmd: ImportFrames) -> tuple[int, int]:
    """Import frames into a Draft version; returns (imported, skipped). All or nothing."""
    if not cmd.frames:
        raise InvalidArgument("must contain at least one frame", field="frames")
    if len(cmd.frames) > MAX_IMPORT_BATCH:
        raise InvalidArgument(f"at most {MAX_IMPORT_BATCH} frames per request", field="frames")
    ids = [f.frame_id for f in cmd.frames]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InvalidArgument(f"frame id {dup!r} appears twice in the request", field="frames")
    async with uow_factory() as uow:
        version = await uow.versions.get(cmd.version_id, for_update=True)
        if version is None:
            raise NotFound(f"no version {cmd.version_id!r}", field="version_id")
        version.ensure_draft("import frames")
        inserted = await uow.frames.insert_new(version.version_id, cmd.frames)
        new = [f for f in cmd.frames if f.frame_id in inserted]
        if new:
            await uow.versions.add_own_frames(version.version_id, len(new))
            chunk: list[ev.FramesImported] = []
            current = ev.FramesImported(dataset_id=version.dataset_id, version_id=version.version_id)
            for f in new:
                current.frames.append(messages.frame_msg(f))
                if current.ByteSize() > MAX_EVENT_BYTES:
                    chunk.append(current)
                    current = ev.FramesImported(dataset_id=version.dataset_id, version_id=version.version_id)
            if current.frames:
                chunk.append(current)
            uow.collect(*(messages.event(e, version.dataset_id, version.version_id) for e in chunk))
        await uow.commit()
    return len(new), len(cmd.frames) - len(new)


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
                ev.VersionPublished(dataset_id=v.dataset_id, version_id=v.version_id),
                v.dataset_id,
                v.version_id,
            )
        )
        stored = await uow.versions.get(v.version_id)
        await uow.commit()
    assert stored is not None
    return stored
