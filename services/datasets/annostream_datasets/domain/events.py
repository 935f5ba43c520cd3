"""Domain events of the datasets service (past tense); adapters/messages.py maps each to its protobuf event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetCreated:
    """A team created a dataset."""

    dataset_id: str
    name: str
    team: str


@dataclass(frozen=True)
class DatasetRenamed:
    """A dataset got a new name."""

    dataset_id: str
    name: str


@dataclass(frozen=True)
class DatasetDeleted:
    """A dataset was deleted with its versions."""

    dataset_id: str
    version_ids: list[str]


@dataclass(frozen=True)
class DatasetSharingChanged:
    """A dataset is now shared read-only with exactly `teams`."""

    dataset_id: str
    teams: list[str]


@dataclass(frozen=True)
class VersionCreated:
    """A Draft version was created (a root, or a child of `parent_version_id`)."""

    dataset_id: str
    version_id: str
    name: str
    parent_version_id: str
    team: str


@dataclass(frozen=True)
class VersionPublished:
    """A Draft version became Published (read-only)."""

    dataset_id: str
    version_id: str


@dataclass(frozen=True)
class VersionDeleted:
    """A Draft version was deleted."""

    dataset_id: str
    version_id: str


@dataclass(frozen=True)
class FramesImported:
    """Frames were imported into a Draft version (`frames`: each frame as serialized at import, in order)."""

    dataset_id: str
    version_id: str
    frames: list[bytes]


Event = (
    DatasetCreated
    | DatasetRenamed
    | DatasetDeleted
    | DatasetSharingChanged
    | VersionCreated
    | VersionPublished
    | VersionDeleted
    | FramesImported
)
