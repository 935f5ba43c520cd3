"""Dataset and Version aggregates with their invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from annostream_kernel.errors import FailedPrecondition, InvalidArgument

MAX_NAME = 200


class VersionStatus(StrEnum):
    """Draft versions accept imports; Published ones are read-only."""

    DRAFT = "draft"
    PUBLISHED = "published"


def validate_name(name: str, field: str = "name") -> str:
    """Strip a name and require 1..200 characters."""
    name = name.strip()
    if not name:
        raise InvalidArgument("is required", field=field)
    if len(name) > MAX_NAME:
        raise InvalidArgument(f"must be at most {MAX_NAME} characters", field=field)
    return name


@dataclass(frozen=True)
class Dataset:
    """A named collection of versions, owned by a team."""

    dataset_id: str
    name: str
    team: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class Version:
    """A version of a dataset; a child inherits its parent's frames."""

    version_id: str
    dataset_id: str
    name: str
    parent_version_id: str | None
    status: VersionStatus
    frame_count: int = 0
    created_at: datetime | None = None

    def ensure_draft(self, action: str) -> None:
        """Refuse `action` on a Published version."""
        if self.status is not VersionStatus.DRAFT:
            raise FailedPrecondition(
                f"version {self.version_id} is Published (read-only): cannot {action}", field="version_id"
            )

    def ensure_can_be_parent(self) -> None:
        """Only a Published version can have child versions."""
        if self.status is not VersionStatus.PUBLISHED:
            raise FailedPrecondition(
                f"version {self.version_id} is a Draft: publish it before creating a child version",
                field="parent_version_id",
            )
