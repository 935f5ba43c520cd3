"""The iterator's waits behind exports end in a clear answer: `SelectFrames` refuses an annotation stream position
past the stream's end at once (INVALID_ARGUMENT naming annotation_stream_seq) and still answers one within it;
`ListPlanFrames` on a plan held pending answers NOT_FOUND plan_pending within the caller's deadline, or the caller
sees DEADLINE_EXCEEDED when its deadline runs out first, and the iterator logs no error for either."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import grpc
import pytest
from grpc import aio
from structlog.testing import capture_logs

from annostream_iterator.adapters.plans import PlanStore
from annostream_iterator.adapters.postgres import uow_factory
from annostream_iterator.domain.model import FrameOrder, TaskPlan
from annostream_iterator.entrypoints.grpc_api import IteratorServicer
from annostream_iterator.service_layer.handlers import IteratorHandlers
from annostream_kernel.grpc_client import service_metadata
from annostream_kernel.grpc_errors import DomainErrorInterceptor
from annostream_kernel.metrics import REGISTRY
from annostream_protos.annotation.v1 import annotation_service_pb2 as ann
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc as it_grpc
from annostream_protos.types.v1 import filters_pb2 as fl
from annostream_protos.types.v1 import frames_pb2 as t

from .annotation_helpers import known_frame, rect, save
from .conftest import Stubs, as_user, make_version
from .grpc_helpers import assert_status, details
from .iterator_helpers import iterator_pool

__all__ = ["iterator_pool"]
AS_ANNOTATION = service_metadata("annotation")  # SelectFrames is service-only: the annotation service's export
LIST_PLAN = "/annostream.iterator.v1.IteratorService/ListPlanFrames"


def _labelled(label: str) -> fl.FrameSelection:
    rule = fl.RoiRule(kind=fl.ROI_RULE_KIND_INCLUDE, label_expression=label)
    return fl.FrameSelection(mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(roi_rules=[rule])])


async def _ids(call: Any) -> list[str]:
    return [f async for page in call for f in page.frame_ids]


async def _refused(call: Any) -> aio.AioRpcError:
    try:
        await _ids(call)
    except aio.AioRpcError as err:
        return err
    raise AssertionError("the call answered but should have been refused")


async def test_select_frames_refuses_an_annotation_stream_seq_past_the_streams_end_well_within_a_second(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 3, publish=False)
    req = it.SelectFramesRequest(
        version_id=v.version_id, selection=fl.FrameSelection(mode=fl.FILTER_MODE_ALL), annotation_stream_seq=2**40
    )
    # Refused, not waited for: a wait would end at the deadline in UNAVAILABLE "retry" (as it did before).
    err = await _refused(stubs.iterator.SelectFrames(req, metadata=AS_ANNOTATION, timeout=10))
    assert_status(err, grpc.StatusCode.INVALID_ARGUMENT, "annotation_stream_seq")


async def test_select_frames_at_the_published_annotation_position_holds_the_edit_made_before_it(
    stubs: Stubs, unique: str
) -> None:
    v = await make_version(stubs, unique, 3, publish=False)
    await known_frame(stubs, v.version_id, "f001")
    label = f"needle-{unique}"
    await stubs.annotation.SaveFrame(save(t.FrameRef(version_id=v.version_id, frame_id="f001"), 0, rect(label)))
    seq = await stubs.annotation.GetPublishedPosition(ann.GetPublishedPositionRequest(), metadata=AS_ANNOTATION)
    assert seq.stream_seq > 0
    for at in (seq.stream_seq, 1):  # the stream's end as published, and a position long applied
        req = it.SelectFramesRequest(version_id=v.version_id, selection=_labelled(label), annotation_stream_seq=at)
        assert await _ids(stubs.iterator.SelectFrames(req, metadata=AS_ANNOTATION, timeout=10)) == ["f001"]


@pytest.fixture
async def pending_plan_server(iterator_pool: asyncpg.Pool) -> AsyncIterator[tuple[str, str]]:
    """A real gRPC server of the iterator's servicer on a private schema holding one task of team "default" whose
    plan waits for an annotation stream position no consumer reaches here (no planner runs either): (address,
    task id)."""
    task_id = f"task_{uuid.uuid4().hex[:8]}"
    plan = TaskPlan(task_id, "ver_x", FrameOrder.SEQUENTIAL, 0, 0, 0, team="default")
    async with iterator_pool.acquire() as conn:
        await PlanStore(conn).add_task(plan, fl.FrameSelection().SerializeToString(), awaits=10**9)
    handlers = IteratorHandlers(uow_factory(iterator_pool, "iterator_events"), timedelta(minutes=10))
    server = aio.server(interceptors=[DomainErrorInterceptor()])
    it_grpc.add_IteratorServiceServicer_to_server(IteratorServicer(handlers), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", task_id
    finally:
        await server.stop(None)


async def _plan_listing(addr: str, task_id: str, timeout: float) -> tuple[aio.AioRpcError, float]:
    async with aio.insecure_channel(addr) as ch:
        call = it_grpc.IteratorServiceStub(ch).ListPlanFrames(
            it.ListPlanFramesRequest(task_id=task_id),
            metadata=as_user("reader", "default", "annotator"),
            timeout=timeout,
        )
        started = time.monotonic()
        err = await _refused(call)
        return err, time.monotonic() - started


def _errors(logs: list[dict[str, Any]], caplog: pytest.LogCaptureFixture) -> list[Any]:
    logged = [e for e in logs if e.get("log_level") in ("error", "critical") or e.get("exc_info")]
    return logged + [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_plan_still_pending_at_the_callers_deadline_is_not_found_plan_pending_before_it(
    pending_plan_server: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    addr, task_id = pending_plan_server
    with capture_logs() as logs:
        err, took = await _plan_listing(addr, task_id, timeout=2.0)
    assert err.code() == grpc.StatusCode.NOT_FOUND, (err.code(), err.details())  # answered before the deadline
    assert details(err) == {"field": "task_id", "plan_pending": True}
    assert took > 1.5  # after waiting for the plan (until 0.2 s before the deadline), not at once
    assert [e["code"] for e in logs if e["event"] == "request_rejected"] == ["NOT_FOUND"]  # the logs are captured
    assert not _errors(logs, caplog)


async def test_a_caller_whose_deadline_runs_out_while_the_plan_is_pending_gets_deadline_exceeded_and_no_error_is_logged(
    pending_plan_server: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    addr, task_id = pending_plan_server
    before = {code: _handled(code) for code in ("CANCELLED", "INTERNAL", "UNKNOWN")}
    with capture_logs() as logs:
        # The iterator waits at least 0.1 s for a plan (kernel deadline_timeout): an 80 ms deadline runs out first.
        err, _ = await _plan_listing(addr, task_id, timeout=0.08)
        await _plan_listing(addr, task_id, timeout=0.5)  # the server went on serving; its cancelled wait logged nothing
    assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED, (err.code(), err.details())
    assert not _errors(logs, caplog)
    # The iterator's wait was cancelled with the call (counted CANCELLED), never turned into INTERNAL or UNKNOWN. On
    # a loaded machine the 80 ms can run out before the server starts the call: then nothing is counted at all.
    handled = {code: _handled(code) - n for code, n in before.items()}
    assert handled["INTERNAL"] == handled["UNKNOWN"] == 0 and handled["CANCELLED"] in (0, 1), handled


def _handled(code: str) -> float:
    value = REGISTRY.get_sample_value("annostream_grpc_server_handled_total", {"method": LIST_PLAN, "code": code})
    return value or 0.0
