"""Each class of bad input straight to gRPC: INVALID_ARGUMENT naming the field, and nothing stored (read back)."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc import aio

from annostream_cli.stack import LocalStack
from annostream_kernel.authz import member, to_metadata
from annostream_kernel.limits import (
    GRPC_MESSAGE_OPTIONS,
    MAX_FRAME_LABELS,
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_LABELS_PER_ROI,
    MAX_LABELS_PER_TASK,
    MAX_POINTS_PER_SHAPE,
    MAX_ROIS_PER_FRAME,
)
from annostream_kernel.policy import Role
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.datasets.v1 import datasets_service_pb2 as ds
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk
from annostream_protos.types.v1 import frames_pb2 as t
from annostream_protos.webhooks.v1 import webhooks_service_pb2 as wh
from annostream_protos.webhooks.v1 import webhooks_service_pb2_grpc as wh_grpc

from ..conftest import service_addr
from .annotation_helpers import current, known_frame, save
from .conftest import Stubs, make_version
from .grpc_helpers import USER_MD, assert_status, rpc_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def roi(points: list[tuple[float, float]] | None = None, **kw: Any) -> t.Roi:
    pts = points or [(10, 10), (60, 10), (35, 60)]
    return t.Roi(type=t.ROI_TYPE_POLYGON, points=[t.Point(x=x, y=y) for x, y in pts], **kw)


def create(r: t.Roi) -> ann.Command:
    return ann.Command(create_roi=ann.CreateRoi(roi=r))


def struct(d: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def frame_meta(text: str) -> ann.Command:
    return ann.Command(set_frame_metadata=ann.SetFrameMetadata(metadata_json=text))


NESTED = '{"a":' * 500 + "1" + "}" * 500
C = "commands[0]."
ROI = C + "create_roi.roi."
META = C + "set_frame_metadata.metadata_json"
MANY = [(i % 600, i % 400) for i in range(MAX_POINTS_PER_SHAPE + 1)]
PASTES = MAX_ROIS_PER_FRAME // 1000
SAVES: list[tuple[str, Callable[[], list[ann.Command]], dict[str, Any], str]] = [
    # (what is wrong, the commands (built when the test runs), other request fields, the field named)
    ("NUL in a label", lambda: [create(roi(labels=["ca\x00r"]))], {}, ROI + "labels[0]"),
    ("NUL in a roi_id", lambda: [create(roi(roi_id="a\x00"))], {}, ROI + "roi_id"),
    ("NUL in a metadata key", lambda: [create(roi(metadata=struct({"k\x00": 1})))], {}, ROI + "metadata"),
    ("NUL in JSON metadata", lambda: [frame_meta('{"k": "\\u0000"}')], {}, META + ".k"),
    ("NUL in the idempotency key", lambda: [create(roi())], {"idempotency_key": "k\x00"}, "idempotency_key"),
    ("NUL in the task id", lambda: [create(roi())], {"task_id": "t\x00"}, "task_id"),
    ("NaN in a point", lambda: [create(roi([(1, 1), (2, math.nan), (3, 1)]))], {}, ROI + "points[1].y"),
    ("Infinity as confidence", lambda: [create(roi(confidence=math.inf))], {}, ROI + "confidence"),
    ("NaN in Struct metadata", lambda: [create(roi(metadata=struct({"x": math.nan})))], {}, ROI + "metadata.x"),
    ("NaN in JSON metadata", lambda: [frame_meta('{"x": NaN}')], {}, META),
    ("Infinity in JSON metadata", lambda: [frame_meta('{"x": 1e400}')], {}, META + ".x"),
    ("an integer beyond 64 bits in metadata", lambda: [frame_meta('{"x": 99999999999999999999}')], {}, META + ".x"),
    ("metadata nested 500 levels", lambda: [frame_meta(NESTED)], {}, META + ".a" * 17),
    ("metadata over 64 KiB", lambda: [frame_meta(json.dumps({"b": "x" * 70_000}))], {}, META),
    ("expected_version beyond int64", lambda: [create(roi())], {"expected_version": 2**63}, "expected_version"),
    ("too many points", lambda: [create(roi(MANY))], {}, ROI + "points"),
    (
        "too many labels on a ROI",
        lambda: [create(roi(labels=[f"l{i}" for i in range(MAX_LABELS_PER_ROI + 1)]))],
        {},
        ROI + "labels",
    ),
    ("too long a label", lambda: [create(roi(labels=["x" * (MAX_LABEL_LENGTH + 1)]))], {}, ROI + "labels[0]"),
    ("too long a roi_id", lambda: [create(roi(roi_id="r" * (MAX_ID_LENGTH + 1)))], {}, ROI + "roi_id"),
    (
        "too many ROIs on a frame",
        lambda: [ann.Command(paste_rois=ann.PasteRois(rois=[roi()] * 1000)) for _ in range(PASTES)] + [create(roi())],
        {},
        f"commands[{PASTES}].create_roi.roi",
    ),
    (
        "a paste of 1000 ROIs x 1000 points (over the save size limit)",
        lambda: [ann.Command(paste_rois=ann.PasteRois(rois=[roi(MANY[:1000])] * 1000))],
        {},
        "commands",
    ),
]


@pytest.mark.parametrize(("what", "commands", "extra", "field"), SAVES, ids=[s[0] for s in SAVES])
async def test_a_bad_save_is_refused_naming_the_field_and_stores_nothing(
    stubs: Stubs, unique: str, what: str, commands: Callable[[], list[ann.Command]], extra: dict[str, Any], field: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    req = ann.SaveFrameRequest(frame=frame.frame, commands=commands(), **extra)
    assert_status(await rpc_error(stubs.annotation.SaveFrame(req)), INVALID, field)
    got = await current(stubs, frame.frame)
    assert (got.version, len(got.rois), got.metadata_json) == (0, 0, "{}"), what
    events = await stubs.annotation.ListFrameEvents(ann.ListFrameEventsRequest(frame=frame.frame))
    assert not events.events


async def test_a_frame_keeps_at_most_the_frame_label_limit(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    labels = [ann.Command(add_frame_label=ann.AddFrameLabel(label=f"l{i}")) for i in range(MAX_FRAME_LABELS)]
    await stubs.annotation.SaveFrame(save(frame.frame, 0, *labels))
    one_more = ann.Command(add_frame_label=ann.AddFrameLabel(label="over"))
    assert_status(
        await rpc_error(stubs.annotation.SaveFrame(save(frame.frame, 1, one_more))),
        INVALID,
        "commands[0].add_frame_label.label",
    )
    got = await current(stubs, frame.frame)
    assert got.version == MAX_FRAME_LABELS and len(got.frame_labels) == MAX_FRAME_LABELS


async def test_a_bad_save_on_a_stream_is_answered_in_the_stream_and_the_next_one_lands(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    saves = [
        ann.SaveFramesRequest(save=save(frame.frame, 0, create(roi(labels=["a\x00"])))),
        ann.SaveFramesRequest(save=save(frame.frame, 0, create(roi(labels=["ok"])))),
    ]
    answers = [a async for a in stubs.annotation.SaveFrames(iter(saves))]
    assert answers[0].error.code == "INVALID_ARGUMENT"
    assert answers[0].error.field == "save.commands[0].create_roi.roi.labels[0]"
    assert answers[1].saved.version == 1
    assert [list(r.labels) for r in (await current(stubs, frame.frame)).rois] == [["ok"]]


async def test_a_request_that_is_not_utf8_on_the_wire_is_invalid_argument_naming_the_field(
    system: LocalStack, stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    raw = save(frame.frame, 0, create(roi(labels=["QQ"]))).SerializeToString().replace(b"QQ", b"\xed\xa0")
    async with aio.insecure_channel(service_addr(system, "annotation")) as ch:
        call = ch.unary_unary("/annostream.annotation.v1.AnnotationService/SaveFrame")
        err = await rpc_error(call(raw, metadata=USER_MD))
        assert_status(err, INVALID, "commands[0].create_roi.roi.labels[0]")
        err = await rpc_error(call(b"\xff\xff\xff\xff", metadata=USER_MD))
        assert err.code() == INVALID
    assert (await current(stubs, frame.frame)).version == 0


async def test_a_bad_imported_frame_is_refused_by_datasets_at_import_time(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 0, publish=False)

    def frame(**kw: Any) -> t.Frame:
        source = kw.pop("source", t.Source(id="cam", uri="file:///a.jpg", width=640, height=480))
        return t.Frame(frame_id=kw.pop("frame_id", "f1"), sources=[source], **kw)

    cases = [
        (frame(frame_id="f\x00"), "frames[0].frame_id"),
        (frame(source=t.Source(uri="file:///a\x00.jpg", width=1, height=1)), "frames[0].sources[0].uri"),
        (frame(metadata_json='{"a": "\\u0000"}'), "frames[0].metadata_json.a"),
        (frame(metadata_json=NESTED), "frames[0].metadata_json." + ".".join("a" * 17)),
        (frame(rois=[roi(labels=[f"l{i}" for i in range(MAX_LABELS_PER_ROI + 1)])]), "frames[0].rois[0].labels"),
        (frame(rois=[roi([(i % 600, i % 400) for i in range(MAX_POINTS_PER_SHAPE + 1)])]), "frames[0].rois[0].points"),
        (frame(rois=[roi(metadata_json='{"x": 1e400}')]), "frames[0].rois[0].metadata_json.x"),
        (frame(frame_labels=[f"l{i}" for i in range(MAX_FRAME_LABELS + 1)]), "frames[0].frame_labels"),
    ]
    for bad, field in cases:
        err = await rpc_error(
            stubs.datasets.ImportFrames(ds.ImportFramesRequest(version_id=v.version_id, frames=[bad]))
        )
        assert_status(err, INVALID, field)
    listed = await stubs.datasets.ListFrames(ds.ListFramesRequest(version_id=v.version_id))
    assert (listed.total_size, list(listed.frames)) == (0, [])
    err = await rpc_error(
        stubs.annotation.GetFrame(ann.GetFrameRequest(frame=t.FrameRef(version_id=v.version_id, frame_id="f1")))
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND


async def test_bad_text_in_names_labels_and_page_tokens_is_refused_and_stores_nothing(
    stubs: Stubs, unique: str
) -> None:
    err = await rpc_error(
        stubs.datasets.CreateDataset(ds.CreateDatasetRequest(name=f"d\x00{unique}"), metadata=USER_MD)
    )
    assert_status(err, INVALID, "name")
    names = [
        d.name
        for d in (await stubs.datasets.ListDatasets(ds.ListDatasetsRequest(page_size=500), metadata=USER_MD)).datasets
    ]
    assert not [n for n in names if unique in n]
    nul_token = base64.urlsafe_b64encode(json.dumps(["\x00"]).encode()).decode()
    err = await rpc_error(stubs.datasets.ListDatasets(ds.ListDatasetsRequest(page_token=nul_token), metadata=USER_MD))
    assert_status(err, INVALID, "page_token")
    v = await make_version(stubs, unique, 1, publish=False)
    for req, field in [
        (tk.CreateTaskRequest(name=f"t\x00{unique}", dataset_version_id=v.version_id), "name"),
        (
            tk.CreateTaskRequest(name=unique, dataset_version_id=v.version_id, default_labels=["a", "\x00"]),
            "default_labels[1]",
        ),
        (
            tk.CreateTaskRequest(
                name=unique,
                dataset_version_id=v.version_id,
                label_set=[f"l{i}" for i in range(MAX_LABELS_PER_TASK + 1)],
            ),
            "label_set",
        ),
    ]:
        assert_status(await rpc_error(stubs.tasks.CreateTask(req, metadata=USER_MD)), INVALID, field)
    listed = await stubs.tasks.ListTasks(tk.ListTasksRequest(page_size=500, dataset_id=v.dataset_id), metadata=USER_MD)
    assert not listed.tasks
    token = base64.urlsafe_b64encode(json.dumps(["recent", "2020-01-01T00:00:00", "a\x00"]).encode()).decode()
    assert_status(
        await rpc_error(stubs.tasks.ListTasks(tk.ListTasksRequest(page_token=token), metadata=USER_MD)),
        INVALID,
        "page_token",
    )
    assert_status(
        await rpc_error(stubs.iterator.NextFrame(it.NextFrameRequest(task_id="t\x00"), metadata=USER_MD)),
        INVALID,
        "task_id",
    )


async def test_out_of_range_reads_are_refused_or_answered_never_an_internal_error(stubs: Stubs, unique: str) -> None:
    v = await make_version(stubs, unique, 1, publish=False)
    frame = await known_frame(stubs, v.version_id)
    at = ann.GetFrameAtRequest(frame=frame.frame)
    at.time.seconds = 2**62
    assert_status(await rpc_error(stubs.annotation.GetFrameAt(at)), INVALID, "time")
    near_max = ann.ListFrameEventsRequest(frame=frame.frame, after_version=2**63 - 1, page_size=1000)
    assert not (await stubs.annotation.ListFrameEvents(near_max)).events
    long_id = t.FrameRef(version_id="v" * 16_384, frame_id="f")
    assert_status(
        await rpc_error(stubs.annotation.GetFrame(ann.GetFrameRequest(frame=long_id))), INVALID, "frame.version_id"
    )
    err = await rpc_error(stubs.datasets.GetVersion(ds.GetVersionRequest(version_id="v" * 16_384)))
    assert err.code() == grpc.StatusCode.NOT_FOUND and len(err.details() or "") <= 1000


async def test_bad_webhook_requests_are_refused_naming_the_field_and_store_nothing(
    system: LocalStack, unique: str
) -> None:
    admin = tuple(to_metadata(member("lead", f"wh-{unique}", Role.ADMIN)))
    async with aio.insecure_channel(service_addr(system, "webhooks"), options=GRPC_MESSAGE_OPTIONS) as ch:
        hooks = wh_grpc.WebhooksServiceStub(ch)
        url = "http://127.0.0.1:9/hook"
        nul_token = base64.urlsafe_b64encode(b"wh_\x00").decode()
        for call, field in [
            (hooks.CreateWebhook(wh.CreateWebhookRequest(url=url + "\x00"), metadata=admin), "url"),
            (
                hooks.CreateWebhook(wh.CreateWebhookRequest(url=url, description="d" * 501), metadata=admin),
                "description",
            ),
            (hooks.CreateWebhook(wh.CreateWebhookRequest(url=url, secret="short"), metadata=admin), "secret"),
            (hooks.ListWebhooks(wh.ListWebhooksRequest(page_token=nul_token), metadata=admin), "page_token"),
            (hooks.GetWebhook(wh.GetWebhookRequest(webhook_id="w" * 16_384), metadata=admin), "webhook_id"),
            (hooks.ListDeliveries(wh.ListDeliveriesRequest(webhook_id="w\x00"), metadata=admin), "webhook_id"),
        ]:
            assert_status(await rpc_error(call), INVALID, field)
        assert not (await hooks.ListWebhooks(wh.ListWebhooksRequest(), metadata=admin)).webhooks
        made = (await hooks.CreateWebhook(wh.CreateWebhookRequest(url=url), metadata=admin)).webhook
        for req in (
            wh.ListDeliveriesRequest(webhook_id=made.webhook_id, page_token=nul_token),
            wh.ListDeliveriesRequest(webhook_id=made.webhook_id, page_token="abc"),
        ):
            assert_status(await rpc_error(hooks.ListDeliveries(req, metadata=admin)), INVALID, "page_token")
        long_delivery = wh.ResendDeliveryRequest(webhook_id=made.webhook_id, delivery_id="d" * 16_384)
        assert_status(await rpc_error(hooks.ResendDelivery(long_delivery, metadata=admin)), INVALID, "delivery_id")
