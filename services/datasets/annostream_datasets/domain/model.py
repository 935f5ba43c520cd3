"""Dataset and Version aggregates with their invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from annostream_kernel.authz import Owner
from annostream_kernel.errors import FailedPrecondition, InvalidArgument
from annostream_kernel.limits import MAX_NAME_LENGTH

MAX_NAME = MAX_NAME_LENGTH


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
    """A named collection of versions, owned by a team and shared read-only with `shared_with`."""

    dataset_id: str
    name: str
    team: str
    created_at: datetime | None = None
    task_count: int = 0
    shared_with: tuple[str, ...] = ()

    @property
    def owner(self) -> Owner:
        """Who may see the dataset: its team, and read-only the teams it is shared with."""
        return Owner(self.team, frozenset(self.shared_with))


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
    own_frame_count: int = 0
    published_at: datetime | None = None
    team: str = ""
    dataset_team: str = ""
    dataset_shared_with: tuple[str, ...] = ()

    @property
    def owner(self) -> Owner:
        """The version's team; the dataset's sharing applies to the versions of the dataset's own team only (a
        child another team made on a shared dataset is that team's alone)."""
        shared = self.dataset_shared_with if self.team == self.dataset_team else ()
        return Owner(self.team, frozenset(shared))

    def ensure_draft(self, action: str) -> None:
        """Refuse `action` on a Published version."""
        if self.status is not VersionStatus.DRAFT:
            raise FailedPrecondition(
                f"version {self.version_id} is Published (read-only): cannot {action}", field="version_id"
            )

    def ensure_no_active_tasks(self, ours: list[str], others: int) -> None:
        """Refuse to publish while active annotation tasks annotate the version (its frames could not be saved any
        more): `ours` are the ids of those the caller may read (named), `others` how many more there are (counted)."""
        if not ours and not others:
            return
        named = [f"{len(ours)} of your team's ({', '.join(ours[:5])}{' ...' if len(ours) > 5 else ''})"] if ours else []
        raise FailedPrecondition(
            f"version {self.version_id} is annotated by active tasks, "
            + " and ".join(named + ([f"{others} of other teams"] if others else []))
            + ": complete or delete them first",
            field="version_id",
            details={"task_ids": ours[:100], "other_teams_tasks": others},
        )

    def ensure_can_be_parent(self) -> None:
        """Only a Published version can have child versions."""
        if self.status is not VersionStatus.PUBLISHED:
            raise FailedPrecondition(
                f"version {self.version_id} is a Draft: publish it before creating a child version",
                field="parent_version_id",
            )

    def ensure_deletable(self) -> None:
        """Only Draft versions can be deleted (Published ones are the record other versions build on)."""
        if self.status is not VersionStatus.DRAFT:
            raise FailedPrecondition(
                f"version {self.version_id} is Published: only Draft versions can be deleted", field="version_id"
            )


@dataclass(frozen=True)
class TaskReferences:
    """The tasks referencing a dataset or version, as its own team may see them: its tasks' ids (the first 100), and
    how many tasks other teams (or a team not recorded) made on it, whose ids are never shown."""

    own_ids: tuple[str, ...] = ()
    own: int = 0
    others: int = 0


def ensure_unreferenced(refs: TaskReferences, what: str, field: str) -> None:
    """Refuse to delete something annotation tasks still reference, naming only the owning team's tasks."""
    if not refs.own and not refs.others:
        return
    shown = ", ".join(refs.own_ids[:5]) + (" ..." if refs.own > 5 else "")
    yours = f"{refs.own} task(s) of your team ({shown})"
    theirs = f"{refs.others} task(s) of other teams it is shared with (theirs, so not shown)"
    if not refs.others:
        message = f"{what} is referenced by {yours}: delete those tasks first"
    elif not refs.own:
        message = f"{what} is referenced by {theirs}: those teams delete them first"
    else:
        message = f"{what} is referenced by {yours} and {theirs}: delete yours, and those teams theirs, first"
    raise FailedPrecondition(
        message, field=field, details={"task_ids": list(refs.own_ids[:100]), "other_teams_tasks": refs.others}
    )


def ensure_no_other_teams_versions(dataset: Dataset, versions: list[Version]) -> None:
    """Refuse to delete a dataset holding versions another team made on it (children of its Published versions,
    which read its frames and belong to that team); their ids are not shown, as another team's ids never are."""
    if others := sum(1 for v in versions if v.team != dataset.team):
        raise FailedPrecondition(
            f"dataset {dataset.dataset_id} holds {others} version(s) other teams made on its Published versions"
            " (they read its frames and are theirs): those teams delete them first",
            field="dataset_id",
            details={"other_teams_versions": others},
        )


@dataclass(frozen=True)
class VersionTreeNode:
    """A version with its child versions (lineage tree)."""

    version: Version
    children: list[VersionTreeNode]


def lineage_tree(versions: list[Version]) -> list[VersionTreeNode]:
    """Arrange versions (any order) as a forest: roots and children sorted by creation time."""
    ordered = sorted(versions, key=lambda v: (v.created_at or datetime.min, v.version_id))
    nodes = {v.version_id: VersionTreeNode(v, []) for v in ordered}
    roots: list[VersionTreeNode] = []
    for v in ordered:
        parent = nodes.get(v.parent_version_id or "")
        (parent.children if parent else roots).append(nodes[v.version_id])
    return roots
