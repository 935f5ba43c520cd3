"""Review settings given with CreateTask hold from the task's first frame while the iterator's task events lag: the
iterator stores them in the transaction that records the task, so no frame can be leased (or finished) before them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc import aio

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_protos.events.v1 import tasks_pb2
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import review_service_pb2 as rv
from annostream_protos.iterator.v1 import review_service_pb2_grpc as rv_grpc
from annostream_protos.tasks.v1 import tasks_service_pb2 as tk

from ..conftest import service_addr
from ..integration.conftest import as_user
from ..integration.grpc_helpers import USER_MD
from .conftest import Loaded
from .test_guarantees_under_load import DEADLINE, draft


@pytest.fixture
async def review(loaded: LocalStack) -> AsyncIterator[rv_grpc.ReviewServiceStub]:
    """The loaded system's ReviewService."""
    ch = channel(service_addr(loaded, "iterator"))
    try:
        yield IdentityStub(rv_grpc.ReviewServiceStub(ch))  # type: ignore[no-untyped-call]
    finally:
        await ch.close()


async def test_a_task_created_with_review_sends_its_first_finished_frame_to_review_while_task_events_lag(
    sys_: Loaded, review: rv_grpc.ReviewServiceStub, unique: str
) -> None:
    s = sys_.stubs
    v = await draft(s, unique, 3)
    req = tk.CreateTaskRequest(
        name=f"r {unique}", dataset_version_id=v.version_id, review=tasks_pb2.TaskReview(mode="all")
    )
    task = (await s.tasks.CreateTask(req, metadata=USER_MD, timeout=DEADLINE)).task.task_id
    deadline = time.monotonic() + DEADLINE
    while True:  # the first lease the task ever gives, taken the moment the iterator knows the task
        try:
            first = await s.iterator.NextFrame(it.NextFrameRequest(task_id=task, annotator="ann"), timeout=DEADLINE)
            break
        except aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.005)
    done = it.NextFrameRequest(task_id=task, annotator="ann", complete_lease_id=first.lease_id)
    await s.iterator.NextFrame(done, timeout=DEADLINE)
    got = await review.NextReview(rv.NextReviewRequest(task_id=task), metadata=as_user("rex", role="reviewer"))
    assert (got.frame.frame_id, got.annotator, got.round) == (first.frame.frame_id, "ann", 1)
