"""Commands of the datasets service (imperative)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateDataset:
    """Create a dataset for a team."""

    name: str
    team: str


@dataclass(frozen=True)
class CreateVersion:
    """Create a root Draft version, or a Draft child of a Published version."""

    dataset_id: str
    name: str
    parent_version_id: str | None = None
    team: str = ""  # the acting team: a child of another team's shared version belongs to it


@dataclass(frozen=True)
class PublishVersion:
    """Make a Draft version Published (read-only)."""

    version_id: str


@dataclass(frozen=True)
class RenameDataset:
    """Give a dataset a new name (unique within its team)."""

    dataset_id: str
    name: str


@dataclass(frozen=True)
class DeleteDataset:
    """Delete a dataset with its versions and frames (refused while tasks reference it)."""

    dataset_id: str


@dataclass(frozen=True)
class DeleteVersion:
    """Delete a Draft version (refused while tasks reference it)."""

    version_id: str


@dataclass(frozen=True)
class ShareDataset:
    """Share a dataset read-only with exactly these teams (an empty list stops sharing)."""

    dataset_id: str
    teams: tuple[str, ...]
