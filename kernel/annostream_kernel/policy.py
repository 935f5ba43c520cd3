"""The authorization policy as tables: what each role may do, and what each gRPC method needs.

Every gRPC method a service serves must appear in `GRPC_METHODS`; the kernel's interceptor refuses a method
nobody classified, and a test fails when one is missing. The gateway's routes are classified in
`annostream_gateway.policy` against these rules. docs/architecture.md ("Authorization") shows the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A user's role in a team (a user may hold several, in several teams)."""

    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Permission(StrEnum):
    """What a role allows on a team's objects."""

    READ = "read"  # see datasets, versions, frames, events, statistics, tasks, progress
    ANNOTATE = "annotate"  # edit frames, take and return leases, pick label colours
    REVIEW = "review"  # accept / reject annotated frames (the review stage)
    MANAGE = "manage"  # create datasets, versions, imports, publish, delete drafts, create tasks, close own tasks
    ADMINISTER = "administer"  # delete datasets, share them, close or delete anyone's tasks


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ANNOTATOR: frozenset({Permission.READ, Permission.ANNOTATE, Permission.MANAGE}),
    Role.REVIEWER: frozenset({Permission.READ, Permission.ANNOTATE, Permission.REVIEW}),
    Role.ADMIN: frozenset(Permission),
}
"""Role → permissions. A team a dataset is shared with gets READ on it (and its owner team's versions) only."""


class Target(StrEnum):
    """What a method's permission is checked against."""

    NONE = "none"  # no object: any identified caller (the handler checks nothing else)
    TEAM = "team"  # the caller's acting team (lists, creating objects)
    DATASET = "dataset"
    VERSION = "version"  # a version, its frames, their events and statistics
    TASK = "task"  # a task, its plan, leases and progress
    WEBHOOK = "webhook"  # a webhook and its deliveries
    SERVICE = "service"  # internal callers only
    PUBLIC = "public"  # no identity needed (health, reflection)


@dataclass(frozen=True)
class Rule:
    """What a gRPC method needs: a permission on a target; `owner_or` = the permission that replaces owning
    the object (e.g. completing someone else's task needs ADMINISTER, one's own MANAGE)."""

    permission: Permission | None
    target: Target
    owner_or: Permission | None = None


R, A, V, M, D = Permission.READ, Permission.ANNOTATE, Permission.REVIEW, Permission.MANAGE, Permission.ADMINISTER
_DS, _TK, _IT, _AN, _WH = (
    "/annostream.datasets.v1.DatasetsService/",
    "/annostream.tasks.v1.TasksService/",
    "/annostream.iterator.v1.IteratorService/",
    "/annostream.annotation.v1.AnnotationService/",
    "/annostream.webhooks.v1.WebhooksService/",
)
_RV = "/annostream.iterator.v1.ReviewService/"  # the review stage, served by the iterator

GRPC_METHODS: dict[str, Rule] = {
    _DS + "CreateDataset": Rule(M, Target.TEAM),
    _DS + "GetDataset": Rule(R, Target.DATASET),
    _DS + "ListDatasets": Rule(R, Target.TEAM),
    _DS + "RenameDataset": Rule(M, Target.DATASET),
    _DS + "DeleteDataset": Rule(D, Target.DATASET),
    _DS + "SetDatasetSharing": Rule(D, Target.DATASET),
    _DS + "CreateVersion": Rule(M, Target.DATASET),  # a child: READ on the parent + MANAGE in the acting team
    _DS + "GetVersion": Rule(R, Target.VERSION),
    _DS + "BatchGetVersions": Rule(R, Target.VERSION),  # versions the caller cannot read are left out
    _DS + "ImportFrames": Rule(M, Target.VERSION),
    _DS + "ImportFramesStream": Rule(M, Target.VERSION),
    _DS + "PublishVersion": Rule(M, Target.VERSION),
    _DS + "ListVersions": Rule(R, Target.DATASET),
    _DS + "DeleteVersion": Rule(M, Target.VERSION),
    _DS + "ListFrames": Rule(R, Target.VERSION),
    _DS + "GetVersionStats": Rule(R, Target.VERSION),
    _DS + "GetPublishedPosition": Rule(None, Target.SERVICE),  # annotation, on a version or frame it lacks
    _TK + "CreateTask": Rule(M, Target.TEAM),  # and READ on the source version (a Draft: ANNOTATE, own team)
    _TK + "GetTask": Rule(R, Target.TASK),
    _TK + "ListTasks": Rule(R, Target.TEAM),
    _TK + "CompleteTask": Rule(M, Target.TASK, owner_or=D),
    _TK + "ReopenTask": Rule(M, Target.TASK, owner_or=D),
    _TK + "DeleteTask": Rule(M, Target.TASK, owner_or=D),
    _TK + "SetLabelColor": Rule(A, Target.TASK),
    _TK + "GetPublishedPosition": Rule(None, Target.SERVICE),  # the iterator, on a task it lacks
    _IT + "NextFrame": Rule(A, Target.TASK),
    _IT + "Heartbeat": Rule(A, Target.TASK),
    _IT + "ReleaseFrame": Rule(A, Target.TASK),
    _IT + "Navigate": Rule(A, Target.TASK),
    _IT + "ValidateSelection": Rule(None, Target.NONE),
    _IT + "GetProgress": Rule(R, Target.TASK),
    _IT + "ListProgress": Rule(R, Target.TASK),  # tasks the caller cannot read are left out
    _IT + "ListPlanFrames": Rule(R, Target.TASK),
    _IT + "SelectFrames": Rule(None, Target.SERVICE),  # the annotation service checks READ on the version first
    _RV + "SetReviewSettings": Rule(M, Target.TASK),
    _RV + "GetReviewSettings": Rule(R, Target.TASK),
    _RV + "NextReview": Rule(V, Target.TASK),
    _RV + "AcceptFrame": Rule(V, Target.TASK),
    _RV + "RejectFrame": Rule(V, Target.TASK),
    _RV + "ReleaseReview": Rule(V, Target.TASK),
    _RV + "UndoDecision": Rule(V, Target.TASK),  # the caller's own decision only (checked by the iterator)
    _RV + "GetFrameReview": Rule(R, Target.TASK),
    _RV + "AddComment": Rule(A, Target.TASK),
    _RV + "ResolveComment": Rule(A, Target.TASK),
    _RV + "ReopenComment": Rule(A, Target.TASK),
    _RV + "GetReviewQuality": Rule(R, Target.TASK),
    _RV + "ListReviewTasks": Rule(R, Target.TEAM),  # the acting team's tasks with the caller's review work
    _AN + "SaveFrame": Rule(A, Target.VERSION),
    _AN + "SaveFrames": Rule(A, Target.VERSION),
    _AN + "GetFrame": Rule(R, Target.VERSION),
    _AN + "ListFrameEvents": Rule(R, Target.VERSION),
    _AN + "GetFrameAt": Rule(R, Target.VERSION),
    _AN + "RevertFrame": Rule(A, Target.VERSION),
    _AN + "UndoSave": Rule(A, Target.VERSION),
    _AN + "RedoSave": Rule(A, Target.VERSION),
    _AN + "GetVersionStatus": Rule(None, Target.SERVICE),
    _AN + "SealVersion": Rule(None, Target.SERVICE),  # datasets, inside PublishVersion
    _AN + "SealDeletedVersions": Rule(None, Target.SERVICE),  # datasets, inside DeleteVersion and DeleteDataset
    _AN + "GetPublishedPosition": Rule(None, Target.SERVICE),  # tasks (CreateTask); iterator (a comment ROI miss)
    _IT + "SetTaskStatus": Rule(None, Target.SERVICE),  # tasks, inside Complete/Reopen/DeleteTask
    _IT + "SealVersion": Rule(None, Target.SERVICE),  # datasets, inside PublishVersion
    _AN + "ExportFrames": Rule(R, Target.VERSION),  # with a task: READ on the task too (checked by the iterator)
    # A webhook sends every event its team may read to a URL outside annostream (like sharing a dataset, and its
    # URL may hold a credential): team admins only, reading included.
    _WH + "CreateWebhook": Rule(D, Target.TEAM),
    _WH + "ListWebhooks": Rule(D, Target.TEAM),
    _WH + "GetWebhook": Rule(D, Target.WEBHOOK),
    _WH + "UpdateWebhook": Rule(D, Target.WEBHOOK),
    _WH + "DeleteWebhook": Rule(D, Target.WEBHOOK),
    _WH + "ListDeliveries": Rule(D, Target.WEBHOOK),
    _WH + "ResendDelivery": Rule(D, Target.WEBHOOK),
    "/grpc.health.v1.Health/Check": Rule(None, Target.PUBLIC),
    "/grpc.health.v1.Health/Watch": Rule(None, Target.PUBLIC),
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": Rule(None, Target.PUBLIC),
}
