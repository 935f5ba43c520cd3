"""Request bodies of the HTTP API (pydantic v2); field names match the JSON the UI and scripts send."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import Strict as StrictMode

from annostream_kernel.errors import InvalidArgument
from annostream_kernel.limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_FRAME_LABELS,
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_LABELS_PER_ROI,
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    MAX_NAME_LENGTH,
    MAX_POINTS_PER_SHAPE,
    MAX_ROIS_PER_FRAME,
    MAX_URI_LENGTH,
    UINT32_MAX,
    check_json,
)


def _metadata(value: dict[str, Any]) -> dict[str, Any]:
    """A metadata object within the product limits (depth, compact JSON size), as the services enforce them."""
    try:
        check_json(value, "", max_depth=MAX_METADATA_DEPTH)
    except InvalidArgument as err:
        raise ValueError(err.message) from err
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"is {size} bytes as JSON, over the limit of {MAX_METADATA_BYTES}")
    return value


def _integral(value: Any) -> Any:
    """An integral number written 2.0 as the integer JSON Schema takes it for; anything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# The request models are strict: a boolean is not a number and a number not a string, as the schema says.
AsInt = BeforeValidator(_integral)
Point = Annotated[tuple[float, float], StrictMode(False)]  # a JSON array of two numbers

# Product limits (annostream_kernel.limits) and protobuf field ranges, declared where the API takes them.
Id = Annotated[str, Field(max_length=MAX_ID_LENGTH)]
Label = Annotated[str, Field(max_length=MAX_LABEL_LENGTH)]
Uri = Annotated[str, Field(min_length=1, max_length=MAX_URI_LENGTH)]
Points = Annotated[list[Point], Field(min_length=1, max_length=MAX_POINTS_PER_SHAPE)]
RoiLabels = Annotated[list[Label], Field(max_length=MAX_LABELS_PER_ROI)]
FrameLabels = Annotated[list[Label], Field(max_length=MAX_FRAME_LABELS)]
Metadata = Annotated[
    dict[str, Any],
    AfterValidator(_metadata),
    Field(description=f"JSON object, at most {MAX_METADATA_DEPTH} levels and {MAX_METADATA_BYTES} bytes"),
]
UInt32 = Annotated[int, Field(ge=0, le=UINT32_MAX), AsInt]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX), AsInt]
Size = Annotated[int, Field(ge=1, le=UINT32_MAX), AsInt]  # a source's width or height in pixels
Timestamp = Annotated[int, Field(ge=0, le=INT64_MAX), AsInt]
StreamVersion = Annotated[int, Field(ge=0, le=INT64_MAX), AsInt]  # a frame stream version (uint64, 63 bits used)


class Strict(BaseModel):
    """Unknown fields are refused so typos surface as 4xx; types are strict; NaN and Infinity are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class CreateDatasetBody(Strict):
    name: str = Field(min_length=1, max_length=200)


class DatasetSharingBody(Strict):
    teams: list[Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]] = Field(
        max_length=100, description="Teams that may read the dataset; empty stops sharing."
    )


class CreateVersionBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    parent_version_id: Id | None = None


class MaskBody(Strict):
    id: Id = ""
    uri: Uri


class SourceBody(Strict):
    id: Id | None = None
    uri: Uri
    width: Size
    height: Size
    timestamp: Timestamp = 0
    preview_uri: Annotated[str, Field(max_length=MAX_URI_LENGTH)] = ""
    masks: list[MaskBody] = Field(default_factory=list)


class FrameBody(Strict):
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    context_id: Id | None = None
    timestamp: Timestamp = 0
    sources: list[SourceBody] = Field(min_length=1)
    metadata: Metadata = Field(default_factory=dict)
    # Initial annotations: the annotation service turns them into events (history starts at import).
    rois: list[ImportRoiBody] = Field(default_factory=list, max_length=MAX_ROIS_PER_FRAME)
    frame_labels: FrameLabels = Field(default_factory=list)


class ImportFramesBody(Strict):
    frames: list[FrameBody] = Field(min_length=1, max_length=10_000)


class IterationBody(Strict):
    order: Literal["sequential", "random"] = "sequential"
    random_seed: Int64 | None = None
    limit: UInt32 = 0
    clip_length: UInt32 = 0


class TaskReviewBody(Strict):
    """The review settings a task starts with; they hold from its first frame (the iterator stores them with the
    task's plan). Change them later with PUT /api/v1/tasks/{task_id}/review-settings."""

    mode: Literal["off", "all", "sample"] = "off"
    sample_percent: int = Field(default=0, ge=0, le=100, description="1..100 with mode sample, else 0")
    reviewer_may_review_own: bool = False
    rework_by: Literal["annotator", "any"] = "annotator"


class CreateTaskBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    dataset_version_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    iteration: IterationBody = Field(default_factory=IterationBody)
    default_labels: FrameLabels = Field(default_factory=list)
    selection: SelectionBody | None = None
    label_set: FrameLabels = Field(default_factory=list)
    review: TaskReviewBody | None = Field(default=None, description="review settings from the first frame (off)")


class LabelColorBody(Strict):
    label: str = Field(max_length=MAX_LABEL_LENGTH)
    color: str = Field(max_length=32, description="#rrggbb")


class RoiBody(Strict):
    roi_id: Id = ""
    type: Literal["rectangle", "ellipse", "polygon", "keypoints"]
    points: Points
    labels: RoiLabels = Field(default_factory=list)
    confidence: float | None = None
    source_id: Id = ""
    metadata: Metadata = Field(default_factory=dict)


class ImportRoiBody(RoiBody):
    locked: bool = Field(default=False, description="Imported locked (what JSON-lines exports carry).")


class CreateRoiBody(Strict):
    roi: RoiBody


class RoiOriginBody(Strict):
    version_id: Id
    frame_id: Id
    roi_id: Id


class PasteRoisBody(Strict):
    rois: list[RoiBody] = Field(min_length=1, max_length=1000)
    origins: list[RoiOriginBody] = Field(default_factory=list, max_length=1000)


class MoveRoiBody(Strict):
    roi_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    dx: float
    dy: float


class ReshapeRoiBody(Strict):
    roi_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    points: Points


class RoiLabelBody(Strict):
    roi_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    label: Label


class RoiMetadataBody(Strict):
    roi_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    metadata: Metadata


class RoiIdBody(Strict):
    roi_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)


class EmptyBody(Strict):
    pass


class FrameLabelBody(Strict):
    label: Label


class FrameMetadataBody(Strict):
    metadata: Metadata


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
    expected_version: StreamVersion
    idempotency_key: str = Field(default="", max_length=200)
    task_id: Id = ""
    commands: list[CommandBody] = Field(min_length=1, max_length=1000)


class RevertBody(Strict):
    to_version: StreamVersion
    expected_version: StreamVersion
    task_id: Id = ""


class UndoRedoBody(Strict):
    task_id: Id = ""


class RenameDatasetBody(Strict):
    name: str = Field(min_length=1, max_length=200)


class RoiRuleBody(Strict):
    kind: Literal["include", "exclude"] = "include"
    label_expression: str = ""
    min_count: UInt32 | None = None
    max_count: UInt32 | None = None
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
