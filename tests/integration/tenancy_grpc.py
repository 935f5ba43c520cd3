"""Team a's objects for the gRPC tenancy matrix, made by their owner by calling the services directly (no gateway),
the callers' metadata, and a snapshot of every read of those objects by the owner."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict

from annostream_kernel.authz import member, to_metadata
from annostream_kernel.limits import GRPC_MESSAGE_OPTIONS
from annostream_protos.annotation.v1 import annotation_service_pb2 as an
from annostream_protos.annotation.v1 import annotation_service_pb2_grpc as an_grpc
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.datasets.v1 import datasets_service_pb2_grpc as ds_grpc
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as it_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.tasks.v1 import tasks_service_pb2_grpc as tk_grpc
from annostream_protos.types.v1 import frames_pb2 as t
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as wh
from annostream_protos.webhooks.v1 import webhooks_service_pb2_grpc as wh_grpc

from ..tenancy import BY_KEY, Caller, closed_url

OWNER, ADMIN = BY_KEY["owner"], BY_KEY["admin"]  # a webhook is its team admins' (ADMINISTER)
FRAMES = 5
LEGACY = ("reviewer", "outsider_admin")  # columns that send the older user/team/role metadata keys
SERVICES = ("datasets", "tasks", "iterator", "annotation", "webhooks")
STUBS = {
    "datasets": ds_grpc.DatasetsServiceStub,
    "tasks": tk_grpc.TasksServiceStub,
    "iterator": it_grpc.IteratorServiceStub,
    "annotation": an_grpc.AnnotationServiceStub,
    "webhooks": wh_grpc.WebhooksServiceStub,
}
Metadata = tuple[tuple[str, str | bytes], ...]


def frame(frame_id: str, *, roi: bool = False) -> t.Frame:
    """A 640x480 frame with one source (and one labelled rectangle with `roi`)."""
    f = t.Frame(frame_id=frame_id, sources=[t.Source(id="cam", uri=f"file:///{frame_id}.png", width=640, height=480)])
    if roi:
        points = [t.Point(x=10, y=10), t.Point(x=50, y=40)]
        f.rois.append(t.Roi(roi_id="r1", type=t.ROI_TYPE_RECTANGLE, points=points, labels=["car"]))
    return f


def ref(version_id: str, frame_id: str = "f000") -> t.FrameRef:
    return t.FrameRef(version_id=version_id, frame_id=frame_id)


@contextmanager
def channels(addrs: dict[str, str]) -> Iterator[dict[str, grpc.Channel]]:
    """One channel per service, closed afterwards."""
    chans = {name: grpc.insecure_channel(addrs[name], options=list(GRPC_MESSAGE_OPTIONS)) for name in SERVICES}
    try:
        yield chans
    finally:
        for ch in chans.values():
            ch.close()


@dataclass
class World:
    """Team a's dataset (a Published version with frames, f001 with a ROI; a root Draft), a task on the Published
    version whose child has an edited frame f000, the owner's lease, and a scratch dataset for fresh objects."""

    chans: dict[str, grpc.Channel]
    suffix: str
    ids: dict[str, str] = field(default_factory=dict)
    lease: str = ""
    last_snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def team_a(self) -> str:
        return f"a-{self.suffix}"

    @property
    def team_b(self) -> str:
        return f"b-{self.suffix}"

    def stub(self, service: str) -> Any:
        return STUBS[service](self.chans[service])

    def metadata(self, caller: Caller) -> Metadata:
        """The caller's identity as gRPC metadata (none for nobody; the older keys for the LEGACY columns)."""
        if caller.side is None or caller.role is None:
            return ()
        team, user = (self.team_a if caller.side == "a" else self.team_b), caller.user(self.suffix)
        if caller.key in LEGACY:
            return (("x-annostream-user", user), ("x-annostream-team", team), ("x-annostream-role", caller.role.value))
        return tuple(to_metadata(member(user, team, caller.role)))

    def owner(self, service: str, method: str, request: Any) -> Any:
        """Call as the owner."""
        return getattr(self.stub(service), method)(request, metadata=self.metadata(OWNER), timeout=30)

    def admin(self, service: str, method: str, request: Any) -> Any:
        """Call as team a's admin (webhooks are theirs)."""
        return getattr(self.stub(service), method)(request, metadata=self.metadata(ADMIN), timeout=30)

    # ---- fresh objects for allowed destructive calls -------------------------------------------------------

    def fresh_dataset(self) -> str:
        req = ds.CreateDatasetRequest(name=f"fresh-{uuid.uuid4().hex[:8]}")
        return str(self.owner("datasets", "CreateDataset", req).dataset.dataset_id)

    def fresh_draft(self) -> str:
        req = ds.CreateVersionRequest(dataset_id=self.ids["scratch"], name=f"d-{uuid.uuid4().hex[:8]}")
        return str(self.owner("datasets", "CreateVersion", req).version.version_id)

    def fresh_task(self, *, completed: bool = False) -> str:
        req = tk.CreateTaskRequest(name=f"t-{uuid.uuid4().hex[:8]}", dataset_version_id=self.ids["scratch_draft"])
        task_id = str(self.owner("tasks", "CreateTask", req).task.task_id)
        if completed:
            self.owner("tasks", "CompleteTask", tk.CompleteTaskRequest(task_id=task_id))
        return task_id

    def fresh_webhook(self) -> str:
        req = wh.CreateWebhookRequest(url=closed_url(), event_types=["DatasetRenamed"])
        return str(self.admin("webhooks", "CreateWebhook", req).webhook.webhook_id)

    def frame_version(self, version_id: str, frame_id: str = "f000") -> int:
        return int(
            self.owner("annotation", "GetFrame", an.GetFrameRequest(frame=ref(version_id, frame_id))).frame.version
        )

    # ---- what the owner reads ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every read of team a's objects as the owner (asked concurrently): call → response as a dict."""
        i = self.ids
        reads: list[tuple[str, str, Any]] = [
            ("datasets", "GetDataset", ds.GetDatasetRequest(dataset_id=i["dataset"])),
            ("datasets", "ListVersions", ds.ListVersionsRequest(dataset_id=i["dataset"])),
            ("datasets", "ListFrames", ds.ListFramesRequest(version_id=i["draft"])),
            ("datasets", "ListDatasets", ds.ListDatasetsRequest(page_size=500)),
            ("annotation", "GetFrame", an.GetFrameRequest(frame=ref(i["child"]))),
            ("annotation", "ListFrameEvents", an.ListFrameEventsRequest(frame=ref(i["child"]))),
            ("annotation", "GetFrame", an.GetFrameRequest(frame=ref(i["published"], "f001"))),
            ("tasks", "GetTask", tk.GetTaskRequest(task_id=i["task"])),
            ("tasks", "ListTasks", tk.ListTasksRequest(page_size=500)),
            ("iterator", "GetProgress", it.GetProgressRequest(task_id=i["task"])),
        ]
        for v in ("published", "draft", "child"):
            reads.append(("datasets", "GetVersion", ds.GetVersionRequest(version_id=i[v])))
            reads.append(("datasets", "GetVersionStats", ds.GetVersionStatsRequest(version_id=i[v])))
        admin_reads: list[tuple[str, str, Any]] = [
            ("webhooks", "GetWebhook", wh.GetWebhookRequest(webhook_id=i["webhook"])),
            ("webhooks", "ListWebhooks", wh.ListWebhooksRequest(page_size=500)),
            ("webhooks", "ListDeliveries", wh.ListDeliveriesRequest(webhook_id=i["webhook"])),
        ]
        md, admin_md = self.metadata(OWNER), self.metadata(ADMIN)
        futures = [getattr(self.stub(s), m).future(r, metadata=md, timeout=30) for s, m, r in reads]
        futures += [getattr(self.stub(s), m).future(r, metadata=admin_md, timeout=30) for s, m, r in admin_reads]
        return {
            f"{m}({MessageToDict(r)})": MessageToDict(f.result())
            for (_s, m, r), f in zip([*reads, *admin_reads], futures, strict=True)
        }


def eventually(fn: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Retry `fn` until it returns a truthy value without a gRPC error (events propagate asynchronously)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            if last := fn():
                return last
        except grpc.RpcError as err:
            last = err
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def build_world(chans: dict[str, grpc.Channel], suffix: str) -> World:
    """Make team a's objects as the owner and wait until every service knows them."""
    w = World(chans, suffix)
    o = w.owner
    dataset = o("datasets", "CreateDataset", ds.CreateDatasetRequest(name=f"tenancy-{suffix}")).dataset.dataset_id
    pub = o("datasets", "CreateVersion", ds.CreateVersionRequest(dataset_id=dataset, name="pub")).version.version_id
    frames = [frame(f"f{n:03d}", roi=n == 1) for n in range(FRAMES)]
    o("datasets", "ImportFrames", ds.ImportFramesRequest(version_id=pub, frames=frames))
    o("datasets", "PublishVersion", ds.PublishVersionRequest(version_id=pub))
    draft = o("datasets", "CreateVersion", ds.CreateVersionRequest(dataset_id=dataset, name="draft")).version.version_id
    o("datasets", "ImportFrames", ds.ImportFramesRequest(version_id=draft, frames=[frame("d000")]))
    scratch = o("datasets", "CreateDataset", ds.CreateDatasetRequest(name=f"scratch-{suffix}")).dataset.dataset_id
    sdraft = o("datasets", "CreateVersion", ds.CreateVersionRequest(dataset_id=scratch, name="s")).version.version_id
    req = tk.CreateTaskRequest(name=f"task-{suffix}", dataset_version_id=pub, label_set=["car", "person"])
    task = o("tasks", "CreateTask", req).task
    w.ids.update(dataset=dataset, published=pub, draft=draft, scratch=scratch, scratch_draft=sdraft)
    w.ids.update(task=task.task_id, child=task.annotated_version_id)
    child, tid = task.annotated_version_id, task.task_id
    # A webhook of team a for the frame label the save below adds: one delivery, dead-lettered (nobody listens).
    hook = wh.CreateWebhookRequest(url=closed_url(), event_types=["FrameLabelAdded"])
    w.ids["webhook"] = w.admin("webhooks", "CreateWebhook", hook).webhook.webhook_id
    eventually(lambda: w.frame_version(child) >= 0, "the annotation service knowing the child")
    edit = an.Command(add_frame_label=an.AddFrameLabel(label="edited"))
    save = an.SaveFrameRequest(frame=ref(child), expected_version=w.frame_version(child), commands=[edit])
    o("annotation", "SaveFrame", save)
    eventually(lambda: o("iterator", "GetProgress", it.GetProgressRequest(task_id=tid)).total == FRAMES, "the plan")
    w.lease = o("iterator", "NextFrame", it.NextFrameRequest(task_id=tid, annotator=OWNER.user(suffix))).lease_id
    settled: list[Callable[[], bool]] = [
        lambda: o("datasets", "GetDataset", ds.GetDatasetRequest(dataset_id=dataset)).dataset.task_count == 1,
        lambda: _stats(o("datasets", "GetVersionStats", ds.GetVersionStatsRequest(version_id=child)).stats),
        lambda: o("tasks", "GetTask", tk.GetTaskRequest(task_id=tid)).progress.known,
        lambda: w.frame_version(draft, "d000") >= 0,
    ]
    for n, done in enumerate(settled):
        eventually(done, f"settled condition {n}")

    def delivery_finished() -> str:
        req = wh.ListDeliveriesRequest(webhook_id=w.ids["webhook"])
        found = w.admin("webhooks", "ListDeliveries", req).deliveries
        return found[0].delivery_id if found and found[0].state != wh.DELIVERY_STATE_PENDING else ""

    w.ids["delivery"] = eventually(delivery_finished, "the webhook's delivery dead-lettered")
    return w


def _stats(s: ds.VersionStats) -> bool:
    return s.roi_count == 1 and any(c.label == "edited" and c.count == 1 for c in s.frame_labels)
