"""Answers of the task, iterator, export and webhook routes as typed models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .models import FrameRef, Model, VersionStatus


class Iteration(Model):
    order: Literal["sequential", "random"]
    random_seed: int
    limit: int
    clip_length: int


class RoiRule(Model):
    kind: Literal["include", "exclude"]
    label_expression: str
    min_count: int | None = None
    max_count: int | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None


class FrameFilter(Model):
    roi_rules: list[RoiRule]
    frame_query: str
    source_query: str


class Selection(Model):
    mode: Literal["all", "empty", "custom"]
    filters: list[FrameFilter]


class Progress(Model):
    """Frames done / total of a task; `known` is false while the iterator cannot tell."""

    done: int
    total: int
    known: bool
    plan_pending: bool = False
    in_review: int = 0
    accepted: int = 0


class Task(Model):
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
    label_colors: dict[str, str]
    selection: Selection
    status: Literal["active", "completed", "unknown"]
    created_at: str | None
    updated_at: str | None
    completed_at: str | None


class TaskListItem(Task):
    source_version_name: str | None
    annotated_version_name: str | None
    progress: Progress


class TaskPage(Model):
    tasks: list[TaskListItem]
    next_page_token: str | None
    total: int


class VersionSummary(Model):
    version_id: str
    name: str
    status: VersionStatus
    frame_count: int
    parent_version_id: str | None


class TaskInfo(Task):
    source_version: VersionSummary | None
    annotated_version: VersionSummary | None
    progress: Progress


class Lease(Model):
    """The leased frame (None when none is free; `exhausted`: every frame is done)."""

    frame: FrameRef | None
    lease_id: str | None
    lease_expires_at: str | None
    position: int
    total: int
    clip: list[FrameRef]
    exhausted: bool
    trail_index: int


class Heartbeat(Model):
    lease_id: str
    lease_expires_at: str | None


class Released(Model):
    lease_id: str
    released: bool
    done: bool


class Navigation(Model):
    frame: FrameRef | None
    position: int
    total: int
    trail_index: int
    state: Literal["open", "leased", "done"] | None
    annotator: str | None


class AnnotatorProgress(Model):
    annotator: str
    done: int
    leased: int
    trail_length: int


class TaskProgress(Model):
    task_id: str
    status: str
    done: int
    total: int
    leased: int
    annotators: list[AnnotatorProgress]


class ExportReport(Model):
    """What an export wrote and the ROIs its format could not hold, by `<type>: <reason>`."""

    format: str
    frames: int
    images: int = 0
    rois: int
    exported_rois: int
    skipped_rois: int
    skipped: dict[str, int] = Field(default_factory=dict)


class Webhook(Model):
    webhook_id: str
    team: str
    url: str
    description: str
    event_types: list[str]
    subject_filter: str
    enabled: bool
    created_by: str
    created_at: str | None
    updated_at: str | None
    secret_hint: str


class CreatedWebhook(Webhook):
    secret: str = Field(description="The signing secret: answered only when the webhook is created.")


class WebhookPage(Model):
    webhooks: list[Webhook]
    next_page_token: str | None


class Delivery(Model):
    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: str
    subject: str
    stream_id: str
    stream_version: int
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    last_status: int | None
    last_error: str
    created_at: str | None
    last_attempt_at: str | None
    next_attempt_at: str | None
    completed_at: str | None


class DeliveryPage(Model):
    deliveries: list[Delivery]
    next_page_token: str | None
