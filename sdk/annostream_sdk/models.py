"""Answers of the API as typed models (pydantic), field for field as the gateway sends them.

Fields a newer server adds are kept (`model_extra`) rather than refused, so an older SDK keeps working; the SDK's
tests check that these models know every field the API answers today. Timestamps are ISO 8601 strings (None when
unset); coordinates are source pixels.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VersionStatus = Literal["draft", "published", "unknown"]
RoiType = Literal["rectangle", "ellipse", "polygon", "keypoints", "unknown"]


class Model(BaseModel):
    """Base of every answer: immutable, unknown (newer) fields kept in `model_extra`."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Health(Model):
    status: str


class Readiness(Model):
    ready: bool
    services: dict[str, str]


class TeamRoles(Model):
    team: str
    roles: list[str]
    permissions: list[str]


class Me(Model):
    user: str
    team: str
    role: str
    roles: list[str]
    teams: list[TeamRoles]
    dev_auth: bool
    known_roles: list[str] = []


class Dataset(Model):
    dataset_id: str
    name: str
    team: str
    created_at: str | None
    task_count: int
    shared_with: list[str] = Field(default_factory=list)


class DatasetPage(Model):
    datasets: list[Dataset]
    next_page_token: str | None
    total: int


class Version(Model):
    version_id: str
    dataset_id: str
    name: str
    parent_version_id: str | None
    status: VersionStatus
    frame_count: int
    own_frame_count: int
    created_at: str | None
    published_at: str | None
    team: str = ""


class VersionNode(Version):
    children: list[VersionNode]


class VersionTree(Model):
    versions: list[VersionNode]
    total: int


class VersionStats(Model):
    version_id: str
    frame_count: int
    annotated_frame_count: int
    roi_count: int
    roi_labels: dict[str, int]
    frame_labels: dict[str, int]
    rois_per_frame: dict[str, int] | None = None


class Mask(Model):
    id: str
    uri: str


class Source(Model):
    id: str
    uri: str
    width: int
    height: int
    timestamp: int = 0
    preview_uri: str = ""
    masks: list[Mask] = Field(default_factory=list)


class BaseFrame(Model):
    """A frame as imported (sources, metadata), without its annotations."""

    frame_id: str
    context_id: str
    timestamp: int
    sources: list[Source]
    metadata: dict[str, Any]


class FramePage(Model):
    frames: list[BaseFrame]
    next_page_token: str | None
    total: int


class ImportResult(Model):
    imported: int
    skipped: int


class Roi(Model):
    roi_id: str
    type: RoiType
    points: list[tuple[float, float]]
    labels: list[str]
    confidence: float | None = None
    source_id: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    locked: bool = False


class FrameRef(Model):
    dataset_id: str | None
    version_id: str
    frame_id: str


class FrameState(FrameRef):
    """A frame with its annotations at a stream version (`version` 0: never edited in this version)."""

    version: int
    base: BaseFrame
    rois: list[Roi]
    frame_labels: list[str]
    metadata: dict[str, Any]


class AnnotatedFrame(Model):
    """A frame with its current annotations, as `Client.frames()` yields it (the training-loop view): `metadata` is
    the frame's effective metadata; `version` is its stream version (None when read from an export stream)."""

    version_id: str
    frame_id: str
    context_id: str
    timestamp: int
    sources: list[Source]
    metadata: dict[str, Any]
    rois: list[Roi]
    frame_labels: list[str]
    version: int | None = None


class EditResult(Model):
    """The answer of a save, revert, undo or redo: stored; `frame` is None with `frame_omitted` when too large."""

    frame: FrameState | None
    event_ids: list[str]
    version: int
    frame_omitted: bool = False


class SaveResult(EditResult):
    rebased: bool
    compact: bool = False  # `frame` is None and only what the save changed is below
    rois: list[Roi] | None = None
    removed_roi_ids: list[str] | None = None
    frame_labels: list[str] | None = None
    metadata: dict[str, Any] | None = None


class FrameEvent(Model):
    version: int
    event_id: str
    type: str
    actor: str
    occurred_at: str | None
    task_id: str | None
    roi_id: str | None
    data: Any
    data_omitted: bool = False


class FrameHistory(Model):
    events: list[FrameEvent]
    current_version: int
    more: bool = False
