"""A concrete, valid request for every gRPC method of the authorization policy, against team a's objects, and a
generic way to call any method by its full name (the descriptor says its message types and streaming).

Like the HTTP matrix: `fresh` (an allowed cell of a destructive method) consumes a new object of the owner; refused
cells aim at the shared objects. Methods that list several objects (`filters`) leave out what the caller may not
read instead of refusing: their "not found" is an answer without team a's objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from annostream_kernel.grpc_errors import ERROR_DETAILS_KEY
from annostream_kernel.policy import Permission
from annostream_protos.annotation.v1 import annotation_service_pb2 as an
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import filters_pb2 as flt
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as wh

from ..tenancy import Caller, closed_url
from .tenancy_grpc import SERVICES, World, frame, ref
from .tenancy_review import review_cases

Build = Callable[[World, Caller, bool], Any]


@dataclass(frozen=True)
class Case:
    """How to call a method; `refs`: what a team-target request also needs on the team a object it names;
    `filters`: the ids of team a's objects the answer holds (for methods that leave out what the caller may not
    read)."""

    build: Build
    refs: tuple[Permission, ...] = ()
    destructive: bool = False
    filters: Callable[[Any], set[str]] | None = None


@dataclass(frozen=True)
class Outcome:
    """A call's status code name (a per-item error of a streaming save counts as the call's), its error details,
    and its responses."""

    code: str
    details: dict[str, Any]
    responses: list[Any]


def rule_path(full: str) -> str:
    """ "/pkg.Service/Method" → "pkg.Service.Method" (the descriptor pool's name)."""
    return full.lstrip("/").replace("/", ".")


def channel_of(w: World, full: str) -> grpc.Channel:
    """The channel of the service that serves `full` (health and reflection: the datasets service's)."""
    for name in SERVICES:
        if full.startswith(f"/annostream.{name}.v1."):
            return w.chans[name]
    return w.chans["datasets"]


def invoke(channel: grpc.Channel, full: str, request: Any, metadata: tuple[Any, ...]) -> Outcome:
    """Call any method by its full name with `request` (a list of requests for a client stream)."""
    method = descriptor_pool.Default().FindMethodByName(rule_path(full))
    reply = message_factory.GetMessageClass(method.output_type)
    kw: dict[str, Any] = {
        "request_serializer": lambda m: m.SerializeToString(),
        "response_deserializer": reply.FromString,
    }
    try:
        if method.client_streaming:
            responses = list(channel.stream_stream(full, **kw)(iter(request), metadata=metadata, timeout=30))
        elif method.server_streaming:
            call = channel.unary_stream(full, **kw)(request, metadata=metadata, timeout=30)
            responses = [next(call)]
            call.cancel()
        else:
            responses = [channel.unary_unary(full, **kw)(request, metadata=metadata, timeout=30)]
    except grpc.RpcError as err:
        trailers = dict(err.trailing_metadata() or ())  # type: ignore[attr-defined]
        details = json.loads(trailers.get(ERROR_DETAILS_KEY, b"{}"))
        return Outcome(err.code().name, {**details, "message": err.details()}, [])  # type: ignore[attr-defined]
    for r in responses:
        if isinstance(r, an.SaveFramesResponse) and r.HasField("error"):
            details = {**MessageToDict(r.error.details), "field": r.error.field, "message": r.error.message}
            return Outcome(r.error.code, details, responses)
    return Outcome("OK", {}, responses)


def _name() -> str:
    return f"n-{uuid.uuid4().hex[:8]}"


def _save(w: World, _c: Caller, _f: bool) -> an.SaveFrameRequest:
    cmd = an.Command(add_frame_label=an.AddFrameLabel(label="x"))
    return an.SaveFrameRequest(
        frame=ref(w.ids["child"]), expected_version=w.frame_version(w.ids["child"]), commands=[cmd]
    )


def _release(w: World, c: Caller, fresh: bool) -> it.ReleaseFrameRequest:
    lease = w.lease
    if fresh:  # the caller's own lease (the owner gets the shared one back)
        req = it.NextFrameRequest(task_id=w.ids["task"], annotator=c.user(w.suffix))
        got = w.stub("iterator").NextFrame(req, metadata=w.metadata(c))
        lease = got.lease_id
    return it.ReleaseFrameRequest(task_id=w.ids["task"], lease_id=lease, annotator=c.user(w.suffix))


def _task(message: Any, *, completed: bool = False) -> Build:
    return lambda w, _c, fresh: message(task_id=w.fresh_task(completed=completed) if fresh else w.ids["task"])


def _dataset(message: Any, **fields: Any) -> Build:
    return lambda w, _c, fresh: message(dataset_id=w.fresh_dataset() if fresh else w.ids["dataset"], **fields)


def _draft(message: Any) -> Build:
    return lambda w, _c, fresh: message(version_id=w.fresh_draft() if fresh else w.ids["draft"])


def _webhook(message: Any, **fields: Any) -> Build:
    return lambda w, _c, fresh: message(webhook_id=w.fresh_webhook() if fresh else w.ids["webhook"], **fields)


DS, TK, IT, AN, WH = (
    "/annostream.datasets.v1.DatasetsService/",
    "/annostream.tasks.v1.TasksService/",
    "/annostream.iterator.v1.IteratorService/",
    "/annostream.annotation.v1.AnnotationService/",
    "/annostream.webhooks.v1.WebhooksService/",
)
CASES: dict[str, Case] = {
    DS + "CreateDataset": Case(lambda _w, _c, _f: ds.CreateDatasetRequest(name=_name())),
    DS + "GetDataset": Case(lambda w, _c, _f: ds.GetDatasetRequest(dataset_id=w.ids["dataset"])),
    DS + "ListDatasets": Case(
        lambda _w, _c, _f: ds.ListDatasetsRequest(page_size=500),
        filters=lambda r: {d.dataset_id for d in r.datasets},
    ),
    DS + "RenameDataset": Case(_dataset(ds.RenameDatasetRequest, name="renamed"), destructive=True),
    DS + "DeleteDataset": Case(_dataset(ds.DeleteDatasetRequest), destructive=True),
    DS + "SetDatasetSharing": Case(
        lambda w, _c, fresh: ds.SetDatasetSharingRequest(
            dataset_id=w.fresh_dataset() if fresh else w.ids["dataset"], teams=[w.team_b]
        ),
        destructive=True,
    ),
    DS + "CreateVersion": Case(lambda w, _c, _f: ds.CreateVersionRequest(dataset_id=w.ids["dataset"], name=_name())),
    DS + "GetVersion": Case(lambda w, _c, _f: ds.GetVersionRequest(version_id=w.ids["child"])),
    DS + "BatchGetVersions": Case(
        lambda w, _c, _f: ds.BatchGetVersionsRequest(version_ids=[w.ids[v] for v in ("published", "draft", "child")]),
        filters=lambda r: {v.version_id for v in r.versions},
    ),
    DS + "ImportFrames": Case(lambda w, _c, _f: ds.ImportFramesRequest(version_id=w.ids["draft"], frames=[frame("i")])),
    DS + "ImportFramesStream": Case(
        lambda w, _c, _f: [ds.ImportFramesStreamRequest(version_id=w.ids["draft"], frames=[frame("s")])]
    ),
    DS + "PublishVersion": Case(_draft(ds.PublishVersionRequest), destructive=True),
    DS + "ListVersions": Case(lambda w, _c, _f: ds.ListVersionsRequest(dataset_id=w.ids["dataset"])),
    DS + "DeleteVersion": Case(_draft(ds.DeleteVersionRequest), destructive=True),
    DS + "ListFrames": Case(lambda w, _c, _f: ds.ListFramesRequest(version_id=w.ids["published"])),
    DS + "GetVersionStats": Case(lambda w, _c, _f: ds.GetVersionStatsRequest(version_id=w.ids["child"])),
    DS + "GetPublishedPosition": Case(lambda _w, _c, _f: ds.GetPublishedPositionRequest()),
    TK + "CreateTask": Case(
        lambda w, _c, _f: tk.CreateTaskRequest(name=_name(), dataset_version_id=w.ids["published"]),
        refs=(Permission.READ,),
    ),
    TK + "GetTask": Case(lambda w, _c, _f: tk.GetTaskRequest(task_id=w.ids["task"])),
    TK + "ListTasks": Case(
        lambda _w, _c, _f: tk.ListTasksRequest(page_size=500), filters=lambda r: {x.task_id for x in r.tasks}
    ),
    TK + "CompleteTask": Case(_task(tk.CompleteTaskRequest), destructive=True),
    TK + "ReopenTask": Case(_task(tk.ReopenTaskRequest, completed=True), destructive=True),
    TK + "DeleteTask": Case(_task(tk.DeleteTaskRequest), destructive=True),
    TK + "SetLabelColor": Case(
        lambda w, _c, _f: tk.SetLabelColorRequest(task_id=w.ids["task"], label="car", color="#123456")
    ),
    TK + "GetPublishedPosition": Case(lambda _w, _c, _f: tk.GetPublishedPositionRequest()),
    IT + "NextFrame": Case(lambda w, c, _f: it.NextFrameRequest(task_id=w.ids["task"], annotator=c.user(w.suffix))),
    IT + "Heartbeat": Case(
        lambda w, c, _f: it.HeartbeatRequest(task_id=w.ids["task"], lease_id=w.lease, annotator=c.user(w.suffix))
    ),
    IT + "ReleaseFrame": Case(_release, destructive=True),
    IT + "Navigate": Case(
        lambda w, c, _f: it.NavigateRequest(
            task_id=w.ids["task"], annotator=c.user(w.suffix), action=it.NAVIGATE_ACTION_JUMP, steps=1
        )
    ),
    IT + "ValidateSelection": Case(
        lambda _w, _c, _f: it.ValidateSelectionRequest(selection=flt.FrameSelection(mode=flt.FILTER_MODE_ALL))
    ),
    IT + "GetProgress": Case(lambda w, _c, _f: it.GetProgressRequest(task_id=w.ids["task"])),
    IT + "ListProgress": Case(
        lambda w, _c, _f: it.ListProgressRequest(task_ids=[w.ids["task"]]),
        filters=lambda r: {p.task_id for p in r.tasks},
    ),
    AN + "SaveFrame": Case(_save),
    AN + "SaveFrames": Case(lambda w, c, f: [an.SaveFramesRequest(save=_save(w, c, f))]),
    AN + "GetFrame": Case(lambda w, _c, _f: an.GetFrameRequest(frame=ref(w.ids["child"]))),
    AN + "ListFrameEvents": Case(lambda w, _c, _f: an.ListFrameEventsRequest(frame=ref(w.ids["child"]))),
    AN + "GetFrameAt": Case(lambda w, _c, _f: an.GetFrameAtRequest(frame=ref(w.ids["child"]), version=1)),
    AN + "RevertFrame": Case(
        lambda w, _c, _f: an.RevertFrameRequest(
            frame=ref(w.ids["child"]), to_version=0, expected_version=w.frame_version(w.ids["child"])
        )
    ),
    AN + "UndoSave": Case(lambda w, _c, _f: an.UndoSaveRequest(frame=ref(w.ids["child"]))),
    AN + "RedoSave": Case(lambda w, _c, _f: an.RedoSaveRequest(frame=ref(w.ids["child"]))),
    AN + "GetVersionStatus": Case(lambda w, _c, _f: an.GetVersionStatusRequest(version_id=w.ids["child"])),
    AN + "SealVersion": Case(
        lambda w, _c, _f: an.SealVersionRequest(version_id=w.ids["child"], dataset_id=w.ids["dataset"])
    ),
    AN + "SealDeletedVersions": Case(
        lambda w, _c, _f: an.SealDeletedVersionsRequest(dataset_id=w.ids["dataset"], version_ids=[w.ids["child"]])
    ),
    AN + "GetPublishedPosition": Case(lambda _w, _c, _f: an.GetPublishedPositionRequest()),
    AN + "ExportFrames": Case(lambda w, _c, _f: an.ExportFramesRequest(version_id=w.ids["child"], page_size=2)),
    IT + "ListPlanFrames": Case(lambda w, _c, _f: it.ListPlanFramesRequest(task_id=w.ids["task"], page_size=2)),
    IT + "SelectFrames": Case(
        lambda w, _c, _f: it.SelectFramesRequest(
            version_id=w.ids["child"], selection=flt.FrameSelection(mode=flt.FILTER_MODE_ALL)
        )
    ),
    IT + "SetTaskStatus": Case(
        lambda w, _c, _f: it.SetTaskStatusRequest(task_id=w.ids["task"], status=it.TASK_GATE_COMPLETED, revision=1)
    ),
    IT + "SealVersion": Case(lambda w, _c, _f: it.SealVersionRequest(version_id=w.ids["child"])),
    WH + "CreateWebhook": Case(
        lambda _w, _c, _f: wh.CreateWebhookRequest(url=closed_url(), event_types=["DatasetRenamed"])
    ),
    WH + "ListWebhooks": Case(
        lambda _w, _c, _f: wh.ListWebhooksRequest(page_size=500), filters=lambda r: {x.webhook_id for x in r.webhooks}
    ),
    WH + "GetWebhook": Case(_webhook(wh.GetWebhookRequest)),
    WH + "UpdateWebhook": Case(_webhook(wh.UpdateWebhookRequest, description="changed"), destructive=True),
    WH + "DeleteWebhook": Case(_webhook(wh.DeleteWebhookRequest), destructive=True),
    WH + "ListDeliveries": Case(_webhook(wh.ListDeliveriesRequest)),
    WH + "ResendDelivery": Case(
        lambda w, _c, _f: wh.ResendDeliveryRequest(webhook_id=w.ids["webhook"], delivery_id=w.ids["delivery"])
    ),
    "/grpc.health.v1.Health/Check": Case(lambda _w, _c, _f: health_pb2.HealthCheckRequest()),
    "/grpc.health.v1.Health/Watch": Case(lambda _w, _c, _f: health_pb2.HealthCheckRequest()),
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": Case(
        lambda _w, _c, _f: [reflection_pb2.ServerReflectionRequest(list_services="")]
    ),
}
CASES.update(review_cases(Case))
"""Full gRPC method name → how the matrix calls it."""
