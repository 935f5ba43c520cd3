"""Response bodies of the HTTP API (pydantic v2): the JSON serializers.py produces, as /openapi.json documents it
and the web UI's generated TypeScript types (web/src/generated/openapi.ts) read it. Timestamps are ISO 8601
strings (null when unset); ids are strings; counts are integers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Timestamp = str | None
VersionStatus = Literal["draft", "published", "unknown"]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    services: dict[str, str] = Field(description="service -> SERVING, NOT_SERVING or UNREACHABLE (CODE)")


class Membership(BaseModel):
    """A team the caller belongs to, with its roles and what they allow there."""

    team: str
    roles: list[str] = Field(description="annotator, reviewer, admin")
    permissions: list[str] = Field(description="read, annotate, review, manage, administer")


class Me(BaseModel):
    user: str
    team: str = Field(description="the acting team")
    role: Literal["admin", "reviewer", "annotator", ""] = Field(description="the highest role in the acting team")
    roles: list[str] = Field(description="every role in the acting team")
    teams: list[Membership]
    dev_auth: bool = Field(description="true: identity from dev headers; false: from the authenticating proxy")
    known_roles: list[str] = Field(description="every role the policy knows (the dev-mode role picker's choices)")


class Dataset(BaseModel):
    dataset_id: str
    name: str
    team: str
    created_at: Timestamp
    task_count: int
    shared_with: list[str] = Field(description="teams that may read the dataset (read-only sharing)")


class DatasetPage(BaseModel):
    datasets: list[Dataset]
    next_page_token: str | None
    total: int


class Version(BaseModel):
    version_id: str
    dataset_id: str
    name: str
    parent_version_id: str | None
    status: VersionStatus
    frame_count: int = Field(description="frames the version sees (its own and its ancestors')")
    own_frame_count: int
    created_at: Timestamp
    published_at: Timestamp
    team: str = Field(description="the owning team")


class VersionNode(Version):
    children: list[VersionNode]


class VersionTree(BaseModel):
    versions: list[VersionNode] = Field(description="the lineage roots, each with its children")
    total: int


class VersionStats(BaseModel):
    version_id: str
    frame_count: int
    annotated_frame_count: int
    roi_count: int
    roi_labels: dict[str, int] = Field(description="label -> ROIs carrying it")
    frame_labels: dict[str, int] = Field(description="label -> frames carrying it")
    rois_per_frame: dict[str, int] | None = Field(
        default=None, description="number of ROIs -> frames carrying that many (only with ?rois_per_frame=true)"
    )


class Mask(BaseModel):
    id: str
    uri: str


class Source(BaseModel):
    id: str
    uri: str
    width: int
    height: int
    timestamp: int
    preview_uri: str
    masks: list[Mask]


class BaseFrame(BaseModel):
    """A frame as imported (sources, metadata), without its annotations."""

    frame_id: str
    context_id: str
    timestamp: int
    sources: list[Source]
    metadata: dict[str, Any]


class FramePage(BaseModel):
    frames: list[BaseFrame]
    next_page_token: str | None
    total: int


class ImportResult(BaseModel):
    imported: int
    skipped: int = Field(description="frames already in the version (an import is idempotent by frame id)")


class Progress(BaseModel):
    """Frames done / total of a task; `known` is false while the iterator cannot tell."""

    done: int
    total: int
    known: bool
    plan_pending: bool = Field(description="the iterator waits for edits made before the task to build its plan")
    in_review: int = Field(default=0, description="frames waiting for review (the review stage)")
    accepted: int = Field(default=0, description="frames a reviewer accepted")


class Iteration(BaseModel):
    order: Literal["sequential", "random"]
    random_seed: int
    limit: int
    clip_length: int


class RoiRule(BaseModel):
    """A ROI rule of a filter; the bounds are present only when set."""

    kind: Literal["include", "exclude"]
    label_expression: str
    min_count: int | None = None
    max_count: int | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None


class FrameFilter(BaseModel):
    roi_rules: list[RoiRule]
    frame_query: str
    source_query: str


class Selection(BaseModel):
    mode: Literal["all", "empty", "custom"]
    filters: list[FrameFilter]


class Task(BaseModel):
    task_id: str
    name: str
    owner: str
    team: str
    dataset_id: str
    source_version_id: str
    annotated_version_id: str
    iteration: Iteration
    default_labels: list[str]
    label_set: list[str]
    label_colors: dict[str, str] = Field(description="label -> #rrggbb, shared by everyone annotating the task")
    selection: Selection
    status: Literal["active", "completed", "unknown"]
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp


class TaskListItem(Task):
    source_version_name: str | None = Field(description="null when the datasets service could not tell")
    annotated_version_name: str | None
    progress: Progress


class TaskPage(BaseModel):
    tasks: list[TaskListItem]
    next_page_token: str | None
    total: int


class VersionSummary(BaseModel):
    version_id: str
    name: str
    status: VersionStatus
    frame_count: int
    parent_version_id: str | None


class TaskInfo(Task):
    source_version: VersionSummary | None
    annotated_version: VersionSummary | None
    progress: Progress


class Roi(BaseModel):
    roi_id: str
    type: Literal["rectangle", "ellipse", "polygon", "keypoints", "unknown"]
    points: list[tuple[float, float]] = Field(description="[[x, y], ...] in the source's pixels")
    labels: list[str]
    confidence: float | None
    source_id: str
    metadata: dict[str, Any]
    locked: bool


class FrameRef(BaseModel):
    dataset_id: str | None
    version_id: str
    frame_id: str


class FrameState(FrameRef):
    """A frame with its annotations at a stream version."""

    version: int = Field(description="the frame's stream version (0: never edited)")
    base: BaseFrame
    rois: list[Roi]
    frame_labels: list[str]
    metadata: dict[str, Any]


class EditResult(BaseModel):
    """The answer of a save, revert, undo or redo: whenever it arrives, the change is stored."""

    frame: FrameState | None = Field(description="null when `frame_omitted` (read it with GET)")
    event_ids: list[str]
    version: int = Field(description="the frame's stream version after the change")
    frame_omitted: bool = Field(description="the frame was too large to carry in the answer")


class SaveResult(EditResult):
    rebased: bool = Field(description="newer edits of others were merged under this save")
    compact: bool = Field(
        default=False,
        description="`?answer=compact` was granted: `frame` is null and only what the save changed is answered"
        " (`rois`, `removed_roi_ids`, `frame_labels`, `metadata`); the rest of the frame is as the client sent it",
    )
    rois: list[Roi] | None = Field(default=None, description="compact: the ROIs the save's commands named, as stored")
    removed_roi_ids: list[str] | None = Field(default=None, description="compact: named ROIs the frame no longer has")
    frame_labels: list[str] | None = Field(default=None, description="compact: the frame's labels after the save")
    metadata: dict[str, Any] | None = Field(default=None, description="compact: the frame's effective metadata")


class FrameEvent(BaseModel):
    version: int
    event_id: str
    type: str
    actor: str
    occurred_at: Timestamp
    task_id: str | None
    roi_id: str | None
    data: dict[str, Any]
    data_omitted: bool = Field(description="the event is too large for a page: read it with /at?version=")


class FrameHistory(BaseModel):
    events: list[FrameEvent]
    current_version: int
    more: bool = Field(description="the page stopped before MAX_PAGE_BYTES: ask again after its last version")


class Lease(BaseModel):
    """The leased frame (null when none is free; `exhausted`: every frame is done)."""

    frame: FrameRef | None
    lease_id: str | None
    lease_expires_at: Timestamp
    position: int
    total: int
    clip: list[FrameRef]
    exhausted: bool
    trail_index: int


class Heartbeat(BaseModel):
    lease_id: str
    lease_expires_at: Timestamp


class Released(BaseModel):
    lease_id: str
    released: bool
    done: bool


class Navigation(BaseModel):
    frame: FrameRef | None
    position: int
    total: int
    trail_index: int
    state: Literal["open", "leased", "done"] | None
    annotator: str | None


class AnnotatorProgress(BaseModel):
    annotator: str
    done: int
    leased: int
    trail_length: int


class TaskProgress(BaseModel):
    task_id: str
    status: str = Field(
        description="active, pending (the plan waits for earlier edits), completed or invalid (the selection could"
        " not be planned)"
    )
    done: int
    total: int
    leased: int
    annotators: list[AnnotatorProgress]
