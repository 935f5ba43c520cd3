"""Ports of the datasets service layer: storage (the unit of work), the annotation service's and the iterator's
seals (adapters fulfil them; bootstrap wires them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from annostream_kernel.db import Conn
from annostream_kernel.uow import UnitOfWorkPort
from annostream_protos.types.v1 import frames_pb2

from ..domain.events import Event
from ..domain.model import Dataset, TaskReferences, Version
from ..domain.statistics import FrameKey, RoiKey, Stats


class EditSealer(Protocol):
    """Makes the annotation service refuse every edit to a version from now on (and, deleted, every read)."""

    async def seal(self, version: Version, timeout: float | None = None) -> None:
        """Return once no edit to the version can commit any more; Unavailable when that cannot be confirmed
        (within `timeout` seconds, when given)."""
        ...

    async def seal_deleted(
        self, dataset_id: str, version_ids: list[str], field: str, timeout: float | None = None
    ) -> None:
        """Return once no edit to the versions can commit any more and no read of them answers; Unavailable
        naming `field` when that cannot be confirmed (within `timeout` seconds, when given)."""
        ...


class LeaseSealer(Protocol):
    """Makes the iterator hand out no lease on a version from now on, unless active tasks annotate it."""

    async def seal(self, version: Version, timeout: float | None = None) -> list[tuple[str, str]]:
        """The active tasks (id, team) annotating the version, and then nothing is sealed; else [] once no lease
        on it is handed out any more. Unavailable when that cannot be confirmed (within `timeout` seconds)."""
        ...


class Datasets(Protocol):
    """The datasets table."""

    async def add(self, ds: Dataset) -> bool: ...
    async def get(self, dataset_id: str, *, for_update: bool = False) -> Dataset | None: ...
    async def rename(self, dataset_id: str, name: str) -> bool: ...
    async def list_page(self, team: str, limit: int, after: tuple[str, str] | None) -> tuple[list[Dataset], int]: ...
    async def set_shares(self, dataset_id: str, teams: Sequence[str]) -> None: ...
    async def delete(self, dataset_id: str) -> list[str]: ...


class Versions(Protocol):
    """The versions table."""

    async def add(self, v: Version) -> None: ...
    async def get(self, version_id: str, *, for_update: bool = False) -> Version | None: ...
    async def many(self, version_ids: list[str]) -> list[Version]: ...
    async def of_dataset(self, dataset_id: str) -> list[Version]: ...
    async def ancestors(self, version_id: str) -> list[str]: ...
    async def publish(self, version_id: str) -> None: ...
    async def add_own_frames(self, version_id: str, n: int) -> None: ...
    async def delete(self, version_id: str) -> None: ...


class Frames(Protocol):
    """The frames table (by frame id across a lineage)."""

    async def existing_in(self, version_ids: Sequence[str], frame_ids: Sequence[str]) -> set[str]: ...
    async def add(self, version_id: str, frames: Sequence[frames_pb2.Frame]) -> list[bytes]: ...
    async def page_of(self, version_ids: Sequence[str], after: str, limit: int) -> list[frames_pb2.Frame]: ...


class TaskRefs(Protocol):
    """Which tasks reference which datasets and versions (from task events)."""

    async def of_dataset(self, dataset_id: str, team: str) -> TaskReferences: ...
    async def of_version(self, version_id: str, team: str) -> TaskReferences: ...
    async def add(self, task_id: str, team: str, dataset_id: str, version_ids: Iterable[str]) -> None: ...
    async def remove(self, task_id: str) -> None: ...


class StatsReads(Protocol):
    """Per-version annotation statistics (from annotation events)."""

    async def summed(self, lineage: Sequence[str]) -> Stats: ...
    async def rois_per_frame(self, lineage: Sequence[str]) -> list[tuple[int, int]]: ...


class UnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction over the datasets service's tables; events commit with the state."""

    @property
    def datasets(self) -> Datasets:
        """Datasets in this transaction."""
        ...

    @property
    def versions(self) -> Versions:
        """Versions in this transaction."""
        ...

    @property
    def frames(self) -> Frames:
        """Frames in this transaction."""
        ...

    @property
    def refs(self) -> TaskRefs:
        """Task references."""
        ...

    @property
    def stats(self) -> StatsReads:
        """Annotation statistics."""
        ...

    def emit(self, *events: Event) -> None: ...


class StatsWrites(Protocol):
    """The statistics read model as the annotation consumer folds a batch into it (one statement in, one out)."""

    async def load(
        self, version_ids: Iterable[str], frames: Sequence[FrameKey], rois: Sequence[RoiKey]
    ) -> tuple[set[str], dict[FrameKey, tuple[int, list[str]]], dict[RoiKey, list[str]]]: ...
    async def write(
        self,
        rois: dict[RoiKey, list[str] | None],
        frames: dict[FrameKey, tuple[int, list[str]]],
        versions: dict[str, tuple[int, int]],
        labels: dict[tuple[str, str, str], int],
    ) -> None: ...


class ConsumerStores(Protocol):
    """The read models the consumers change, over the consumer's connection (read model and position commit
    together)."""

    @property
    def refs(self) -> TaskRefs:
        """Task references."""
        ...

    @property
    def stats(self) -> StatsWrites:
        """Annotation statistics."""
        ...


# Stores over a consumer's connection (adapters.postgres.ConsumerRepositories; bootstrap wires it).
ConsumerStoresFactory = Callable[[Conn], ConsumerStores]
