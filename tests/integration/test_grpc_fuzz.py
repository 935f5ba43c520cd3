"""Hypothesis-generated request messages (and raw bytes) against every gRPC method of the real services: every
answer is a result or a deliberate status, never INTERNAL or UNKNOWN. Bounded: derandomized (a fixed seed per
test) and a few examples per method."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annostream_cli.stack import LocalStack
from annostream_kernel.limits import GRPC_MESSAGE_OPTIONS
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as wh

from ..conftest import service_addr

USER = (("x-annostream-user", "fuzzer"), ("x-annostream-role", "admin"))  # an admin of team "default"
DESTRUCTIVE = {"PublishVersion", "DeleteVersion", "DeleteDataset", "DeleteTask", "CompleteTask", "DeleteWebhook"}
World = tuple[dict[str, grpc.Channel], dict[str, list[str]]]
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
SERVICES = {
    "annotation": ann.DESCRIPTOR.services_by_name["AnnotationService"],
    "datasets": ds.DESCRIPTOR.services_by_name["DatasetsService"],
    "tasks": tk.DESCRIPTOR.services_by_name["TasksService"],
    "iterator": it.DESCRIPTOR.services_by_name["IteratorService"],
    "webhooks": wh.DESCRIPTOR.services_by_name["WebhooksService"],
}
METHODS = [(component, m) for component, s in SERVICES.items() for m in s.methods]
INTS = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
}
storable = st.characters(codec="utf-8")  # protobuf strings hold no lone surrogates


# Which real id a string field of this name most likely wants (so generated requests reach past the lookups).
KNOWN = {
    "dataset_id": 0,
    "version_id": 1,
    "dataset_version_id": 1,
    "frame_id": 2,
    "source_id": 3,
    "task_id": 4,
    "webhook_id": 6,
}


def strings(ids: list[str], name: str = "") -> st.SearchStrategy[str]:
    wild = strings_wild(ids)
    return st.one_of(st.just(ids[KNOWN[name]]), wild) if name in KNOWN else wild


def strings_wild(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ids),
        st.text(storable, max_size=12),
        st.text(storable, max_size=4).map(lambda s: s + "\x00"),
        st.sampled_from(["", " ", "x" * 600, '{"n": 9007199254740993}', "meta.n:1", "NaN", "{", "[1]"]),
    )


def json_values(depth: int) -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), st.floats(), st.text(storable, max_size=5))
    if depth <= 0:
        return leaves
    return st.one_of(
        leaves,
        st.dictionaries(st.text(storable, max_size=4), json_values(depth - 1), max_size=2),
        st.lists(json_values(depth - 1), max_size=2),
    )


def message(desc: Any, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Messages of a type: every field maybe set, with wild values (NUL, NaN, huge numbers, real ids)."""
    cls = message_factory.GetMessageClass(desc)
    if desc.full_name == "google.protobuf.Struct":
        return st.dictionaries(st.text(storable, max_size=4), json_values(2), max_size=3).map(_struct(cls))
    if desc.full_name in ("google.protobuf.Value", "google.protobuf.ListValue") or depth > 3:
        return st.just(cls())

    @st.composite
    def build(draw: Any) -> Any:
        msg = cls()
        chosen_oneofs: set[str] = set()
        for field in desc.fields:
            if field.containing_oneof is not None:
                if field.containing_oneof.name in chosen_oneofs or not draw(st.booleans()):
                    continue
                chosen_oneofs.add(field.containing_oneof.name)
            elif not draw(st.booleans()):
                continue
            _set(msg, field, draw, ids, depth)
        return msg

    return build()


def _struct(cls: Any) -> Any:
    def make(d: dict[str, Any]) -> Any:
        s = cls()
        s.update(d)
        return s

    return make


def _value(field: Any, ids: list[str], depth: int) -> st.SearchStrategy[Any]:
    if field.type == F.TYPE_STRING:
        return strings(ids, field.name)
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=8)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return st.floats(width=64 if field.type == F.TYPE_DOUBLE else 32)
    if field.type == F.TYPE_ENUM:
        return st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), st.integers(-5, 99))
    if field.type == F.TYPE_MESSAGE:
        return message(field.message_type, ids, depth + 1)
    lo, hi = INTS[field.type]
    return st.one_of(st.integers(lo, hi), st.sampled_from([0, 1, max(lo, -1), hi]))


def _set(msg: Any, field: Any, draw: Any, ids: list[str], depth: int) -> None:
    if field.type == F.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
        entries = draw(st.dictionaries(_value(key, ids, depth), _value(value, ids, depth), max_size=2))
        target = getattr(msg, field.name)
        for k, v in entries.items():
            if value.type == F.TYPE_MESSAGE:
                target[k].CopyFrom(v)
            else:
                target[k] = v
        return
    values = _value(field, ids, depth)
    if field.is_repeated:
        getattr(msg, field.name).extend(draw(st.lists(values, max_size=3)))
    elif field.type == F.TYPE_MESSAGE:
        getattr(msg, field.name).CopyFrom(draw(values))
    else:
        setattr(msg, field.name, draw(values))


@pytest.fixture(scope="module")
def world(system: LocalStack) -> Iterator[World]:
    """Synchronous channels to the services and the ids of a real dataset, version, frame and task."""
    channels = {c: grpc.insecure_channel(service_addr(system, c), options=GRPC_MESSAGE_OPTIONS) for c in SERVICES}
    call = lambda c, m, req, resp: channels[c].unary_unary(m, req.SerializeToString, resp.FromString)  # noqa: E731
    d = call(
        "datasets",
        "/annostream.datasets.v1.DatasetsService/CreateDataset",
        ds.CreateDatasetRequest,
        ds.CreateDatasetResponse,
    )
    dataset = d(ds.CreateDatasetRequest(name="fuzz"), metadata=USER).dataset
    cv = call(
        "datasets",
        "/annostream.datasets.v1.DatasetsService/CreateVersion",
        ds.CreateVersionRequest,
        ds.CreateVersionResponse,
    )
    version = cv(ds.CreateVersionRequest(dataset_id=dataset.dataset_id, name="v"), metadata=USER).version
    source = t.Source(id="cam", uri="file:///f.jpg", width=640, height=480)
    imp = call(
        "datasets",
        "/annostream.datasets.v1.DatasetsService/ImportFrames",
        ds.ImportFramesRequest,
        ds.ImportFramesResponse,
    )
    imp(
        ds.ImportFramesRequest(version_id=version.version_id, frames=[t.Frame(frame_id="f000", sources=[source])]),
        metadata=USER,
    )
    ct = call("tasks", "/annostream.tasks.v1.TasksService/CreateTask", tk.CreateTaskRequest, tk.CreateTaskResponse)
    task = ct(tk.CreateTaskRequest(name="fuzz", dataset_version_id=version.version_id), metadata=USER).task
    spare = d(ds.CreateDatasetRequest(name="fuzz-spare"), metadata=USER).dataset
    spare_version = cv(ds.CreateVersionRequest(dataset_id=spare.dataset_id, name="v"), metadata=USER).version
    spare_task = ct(tk.CreateTaskRequest(name="spare", dataset_version_id=spare_version.version_id), metadata=USER).task
    cw = call(
        "webhooks",
        "/annostream.webhooks.v1.WebhooksService/CreateWebhook",
        wh.CreateWebhookRequest,
        wh.CreateWebhookResponse,
    )
    req = wh.CreateWebhookRequest(url="http://127.0.0.1:9/fuzz", event_types=["DatasetRenamed"])  # never sent
    webhook, spare_webhook = (cw(req, metadata=USER).webhook.webhook_id for _ in range(2))
    try:
        yield (
            channels,
            {
                "": [dataset.dataset_id, version.version_id, "f000", "cam", task.task_id, "fuzzer", webhook],
                # Publishing and deleting get other ids: the real frame stays editable for the other methods.
                "spare": [
                    *(spare.dataset_id, spare_version.version_id, "f000", "cam", spare_task.task_id, "fuzzer"),
                    spare_webhook,
                ],
            },
        )
    finally:
        for ch in channels.values():
            ch.close()


def _call(channel: grpc.Channel, method: Any, request: Any, many: list[Any] | None = None) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    out = message_factory.GetMessageClass(method.output_type)
    serialize = (lambda m: m) if isinstance(request, bytes) else (lambda m: m.SerializeToString())
    status: tuple[Any, ...] = (grpc.StatusCode.OK,)
    try:
        if method.client_streaming:
            stub = channel.stream_stream(path, serialize, out.FromString)
            for _ in stub(iter(many or [request]), metadata=USER, timeout=30):
                pass
        elif method.server_streaming:  # exports and frame lists: every page is read
            for _ in channel.unary_stream(path, serialize, out.FromString)(request, metadata=USER, timeout=30):
                pass
        else:
            channel.unary_unary(path, serialize, out.FromString)(request, metadata=USER, timeout=30)
    except grpc.RpcError as err:
        status = (err.code(), err.details())
    assert status[0] not in NEVER, (path, status, request)


SETTINGS = settings(
    max_examples=int(os.environ.get("ANNOSTREAM_FUZZ_EXAMPLES", "8")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(("component", "method"), METHODS, ids=[m.full_name for _, m in METHODS])
def test_generated_requests_never_get_an_internal_or_unknown_status(world: World, component: str, method: Any) -> None:
    channels, ids = world
    requests = message(method.input_type, ids["spare" if method.name in DESTRUCTIVE else ""])

    @SETTINGS
    @given(st.lists(requests, min_size=1, max_size=3))
    def run(batch: list[Any]) -> None:
        _call(channels[component], method, batch[0], batch)

    run()


@pytest.mark.parametrize(("component", "method"), METHODS, ids=[m.full_name for _, m in METHODS])
def test_random_bytes_as_a_request_never_get_an_internal_or_unknown_status(
    world: World, component: str, method: Any
) -> None:
    channels, _ = world

    @SETTINGS
    @given(st.binary(max_size=64))
    def run(raw: bytes) -> None:
        _call(channels[component], method, raw)

    run()


def test_consumers_still_follow_after_the_fuzzing(world: World) -> None:
    """Whatever the fuzzing stored flowed through the event consumers without blocking them."""
    channels, _ = world
    ch = channels["datasets"]
    d = ch.unary_unary(
        "/annostream.datasets.v1.DatasetsService/CreateDataset", _ser, ds.CreateDatasetResponse.FromString
    )
    dataset = d(ds.CreateDatasetRequest(name="after-fuzz"), metadata=USER).dataset
    cv = ch.unary_unary(
        "/annostream.datasets.v1.DatasetsService/CreateVersion", _ser, ds.CreateVersionResponse.FromString
    )
    version = cv(ds.CreateVersionRequest(dataset_id=dataset.dataset_id, name="v"), metadata=USER).version
    imp = ch.unary_unary(
        "/annostream.datasets.v1.DatasetsService/ImportFrames", _ser, ds.ImportFramesResponse.FromString
    )
    frame = t.Frame(frame_id="after", sources=[t.Source(uri="file:///a.jpg", width=4, height=4)])
    imp(ds.ImportFramesRequest(version_id=version.version_id, frames=[frame]), metadata=USER)
    get = channels["annotation"].unary_unary(
        "/annostream.annotation.v1.AnnotationService/GetFrame", _ser, ann.GetFrameResponse.FromString
    )
    ref = t.FrameRef(version_id=version.version_id, frame_id="after")
    deadline, seen = time.monotonic() + 30, None
    while seen is None and time.monotonic() < deadline:
        try:
            seen = get(ann.GetFrameRequest(frame=ref), metadata=USER).frame.frame.frame_id
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
            time.sleep(0.2)
    assert seen == "after"


def _ser(m: Any) -> bytes:
    return bytes(m.SerializeToString())
