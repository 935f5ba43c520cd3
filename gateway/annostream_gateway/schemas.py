"""Request bodies of the HTTP API (pydantic v2); field names match the JSON the UI and scripts send."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Unknown fields are refused so typos surface as 4xx."""

    model_config = ConfigDict(extra="forbid")


class CreateDatasetBody(Strict):
    name: str = Field(min_length=1, max_length=200)


class DatasetSharingBody(Strict):
    teams: list[str] = Field(max_length=100, description="Teams that may read the dataset; empty stops sharing.")


class CreateVersionBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    parent_version_id: str | None = None


class MaskBody(Strict):
    id: str = ""
    uri: str = Field(min_length=1)


class SourceBody(Strict):
    id: str | None = None
    uri: str = Field(min_length=1)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    timestamp: int = Field(default=0, ge=0)
    preview_uri: str = ""
    masks: list[MaskBody] = Field(default_factory=list)


class FrameBody(Strict):
    id: str = Field(min_length=1, max_length=512)
    context_id: str | None = None
    timestamp: int = Field(default=0, ge=0)
    sources: list[SourceBody] = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)
    # Initial annotations: the annotation service turns them into events (history starts at import).
    rois: list[ImportRoiBody] = Field(default_factory=list)
    frame_labels: list[str] = Field(default_factory=list)


class ImportFramesBody(Strict):
    frames: list[FrameBody] = Field(min_length=1, max_length=10_000)


class IterationBody(Strict):
    order: Literal["sequential", "random"] = "sequential"
    random_seed: int | None = None
    limit: int = Field(default=0, ge=0)
    clip_length: int = Field(default=0, ge=0)


class CreateTaskBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    dataset_version_id: str = Field(min_length=1)
    iteration: IterationBody = Field(default_factory=IterationBody)
    default_labels: list[str] = Field(default_factory=list)
    selection: SelectionBody | None = None
    label_set: list[str] = Field(default_factory=list)


class LabelColorBody(Strict):
    label: str = Field(max_length=256)
    color: str = Field(max_length=32, description="#rrggbb")


class RoiBody(Strict):
    roi_id: str = ""
    type: Literal["rectangle", "ellipse", "polygon", "keypoints"]
    points: list[tuple[float, float]] = Field(min_length=1)
    labels: list[str] = Field(default_factory=list)
    confidence: float | None = None
    source_id: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class ImportRoiBody(RoiBody):
    locked: bool = Field(default=False, description="Imported locked (what JSON-lines exports carry).")


class CreateRoiBody(Strict):
    roi: RoiBody


class RoiOriginBody(Strict):
    version_id: str
    frame_id: str
    roi_id: str


class PasteRoisBody(Strict):
    rois: list[RoiBody] = Field(min_length=1, max_length=1000)
    origins: list[RoiOriginBody] = Field(default_factory=list)


class MoveRoiBody(Strict):
    roi_id: str = Field(min_length=1)
    dx: float
    dy: float


class ReshapeRoiBody(Strict):
    roi_id: str = Field(min_length=1)
    points: list[tuple[float, float]] = Field(min_length=1)


class RoiLabelBody(Strict):
    roi_id: str = Field(min_length=1)
    label: str


class RoiMetadataBody(Strict):
    roi_id: str = Field(min_length=1)
    metadata: dict[str, Any]


class RoiIdBody(Strict):
    roi_id: str = Field(min_length=1)


class EmptyBody(Strict):
    pass


class FrameLabelBody(Strict):
    label: str


class FrameMetadataBody(Strict):
    metadata: dict[str, Any]


class CommandBody(Strict):
    """Exactly one editor action."""

    create_roi: CreateRoiBody | None = None
    paste_rois: PasteRoisBody | None = None
    move_roi: MoveRoiBody | None = None
    reshape_roi: ReshapeRoiBody | None = None
    add_roi_label: RoiLabelBody | None = None
    remove_roi_label: RoiLabelBody | None = None
    set_roi_metadata: RoiMetadataBody | None = None
    lock_roi: RoiIdBody | None = None
    unlock_roi: RoiIdBody | None = None
    lock_all_rois: EmptyBody | None = None
    unlock_all_rois: EmptyBody | None = None
    delete_roi: RoiIdBody | None = None
    add_frame_label: FrameLabelBody | None = None
    remove_frame_label: FrameLabelBody | None = None
    set_frame_metadata: FrameMetadataBody | None = None


class SaveFrameBody(Strict):
    expected_version: int = Field(ge=0)
    idempotency_key: str = Field(default="", max_length=200)
    task_id: str = ""
    commands: list[CommandBody] = Field(min_length=1, max_length=1000)


class RevertBody(Strict):
    to_version: int = Field(ge=0)
    expected_version: int = Field(ge=0)
    task_id: str = ""


class UndoRedoBody(Strict):
    task_id: str = ""


class RenameDatasetBody(Strict):
    name: str = Field(min_length=1, max_length=200)


class RoiRuleBody(Strict):
    kind: Literal["include", "exclude"] = "include"
    label_expression: str = ""
    min_count: int | None = Field(default=None, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    min_confidence: float | None = None
    max_confidence: float | None = None


class FrameFilterBody(Strict):
    roi_rules: list[RoiRuleBody] = Field(default_factory=list)
    frame_query: str = ""
    source_query: str = ""


class SelectionBody(Strict):
    """Which frames a task presents: all, empty (no annotations) or custom filters (ORed)."""

    mode: Literal["all", "empty", "custom"] = "all"
    filters: list[FrameFilterBody] = Field(default_factory=list)


FrameBody.model_rebuild()
ImportFramesBody.model_rebuild()
CreateTaskBody.model_rebuild()
