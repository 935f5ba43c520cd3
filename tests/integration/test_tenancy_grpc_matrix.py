"""The tenancy matrix at the gRPC level: every method of the authorization policy, called on each service directly
(as a caller inside the cluster would, bypassing the gateway) by the owner of team a's objects, a same-team
annotator, reviewer and admin, a member and an admin of another team, and a call without identity. Each cell's
answer comes from the policy tables (kernel GRPC_METHODS and GRANTS; tests/tenancy.py). Refused calls run first on
the shared objects and store nothing (the owner's reads before and after are equal); allowed calls must pass
authorization. Also: every method a service serves is classified, none is classified that nobody serves, and a
service refuses a method nobody classified."""

from __future__ import annotations

import importlib
import json
import pkgutil
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.json_format import MessageToJson, Parse
from grpc import aio
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

import annostream_protos
from annostream_cli.stack import LocalStack
from annostream_kernel.authz import member, service_principal, to_metadata
from annostream_kernel.grpc_errors import ERROR_DETAILS_KEY, DomainErrorInterceptor
from annostream_kernel.policy import GRPC_METHODS, Permission, Role, Target
from annostream_protos.annotation.v1 import annotation_service_pb2 as an

from ..conftest import service_addr
from ..tenancy import BY_KEY, CALLERS, Answer, Expect, expect, sees_a
from .tenancy_grpc import SERVICES, World, build_world, channels
from .tenancy_methods import CASES, Outcome, channel_of, invoke

PASSED = {"OK", "FAILED_PRECONDITION", "ABORTED", "ALREADY_EXISTS"}  # authorization let the call through
CODES = {Answer.UNAUTHENTICATED: "UNAUTHENTICATED", Answer.NOT_FOUND: "NOT_FOUND", Answer.DENIED: "PERMISSION_DENIED"}
EXPECTED: dict[tuple[str, str], Expect] = {
    (m, c.key): expect(rule, c, refs=CASES[m].refs if m in CASES else ())
    for m, rule in GRPC_METHODS.items()
    for c in CALLERS
}
REFUSED = [cell for cell, e in EXPECTED.items() if e.answer is not Answer.OK]
ALLOWED = [cell for cell, e in EXPECTED.items() if e.answer is Answer.OK]


def cell_id(cell: tuple[str, str]) -> str:
    return f"{cell[0].rsplit('.', 1)[-1]} as {cell[1]}"


@pytest.fixture(scope="module")
def world(system: LocalStack) -> Iterator[World]:
    with channels({name: service_addr(system, name) for name in SERVICES}) as chans:
        yield build_world(chans, uuid.uuid4().hex[:8])


def call(w: World, method: str, who: str, request: Any) -> list[Outcome]:
    """The method called by `who`: on its service; a public method (health, reflection) on every service."""
    md = w.metadata(BY_KEY[who])
    if GRPC_METHODS[method].target is Target.PUBLIC:
        return [invoke(w.chans[name], method, request, md) for name in SERVICES]
    return [invoke(channel_of(w, method), method, request, md)]


def check(w: World, method: str, who: str, got: Outcome) -> None:
    """The outcome is the policy's answer (a listing method leaves team a's objects out instead of refusing)."""
    want, where = EXPECTED[(method, who)], f"{cell_id((method, who))}: expected {EXPECTED[(method, who)]}, got {got}"
    listed = CASES[method].filters
    if listed is not None and want.answer in (Answer.NOT_FOUND, Answer.OK):
        assert got.code == "OK", where
        ids = listed(got.responses[0]) & set(w.ids.values())
        assert bool(ids) is sees_a(BY_KEY[who]), (where, ids)  # team a's objects only for who may see them
    elif want.answer is Answer.OK:
        assert got.code in PASSED, where
    else:
        assert got.code == CODES[want.answer], where
        if want.permission is not None:
            assert got.details.get("permission") == want.permission.value, where
        if want.answer is Answer.DENIED and want.permission is None:  # an internal-only method
            assert got.details.get("field") == "method", where


def with_unknown_ids(w: World, request: Any) -> tuple[Any, dict[str, str]]:
    """The request with every id of team a's objects replaced by an unknown one; and fake → real."""
    real = {v: f"{v}-unknown" for v in (*w.ids.values(), w.lease)}

    def swap(message: Any) -> Any:
        text = MessageToJson(message)
        for r, fake in real.items():
            text = text.replace(r, fake)
        return Parse(text, type(message)())

    swapped = [swap(r) for r in request] if isinstance(request, list) else swap(request)
    return swapped, {fake: r for r, fake in real.items()}


@pytest.mark.parametrize(("method", "who"), REFUSED, ids=list(map(cell_id, REFUSED)))
def test_a_refused_call_gets_the_policy_answer_like_an_unknown_id_and_stores_nothing(
    world: World, method: str, who: str
) -> None:
    request = CASES[method].build(world, BY_KEY[who], False)
    write = GRPC_METHODS[method].permission is not Permission.READ
    before = (world.last_snapshot or world.snapshot()) if write else {}
    [got] = call(world, method, who, request)
    check(world, method, who, got)
    if got.code == "NOT_FOUND":  # another team's object answers exactly like an unknown id
        fake_request, to_real = with_unknown_ids(world, request)
        [fake] = call(world, method, who, fake_request)
        message = fake.details["message"]
        for fake_id, real_id in to_real.items():
            message = message.replace(fake_id, real_id)
        assert (fake.code, fake.details.get("field"), message) == (
            got.code,
            got.details.get("field"),
            got.details["message"],
        )
    if write:
        world.last_snapshot = after = world.snapshot()
        assert after == before, f"a refused {cell_id((method, who))} changed team a's objects"


@pytest.mark.parametrize(("method", "who"), ALLOWED, ids=list(map(cell_id, ALLOWED)))
def test_an_allowed_call_passes_authorization(world: World, method: str, who: str) -> None:
    case = CASES[method]
    for got in call(world, method, who, case.build(world, BY_KEY[who], case.destructive)):
        check(world, method, who, got)


def test_internal_methods_answer_the_service_identity_only(world: World) -> None:
    md = tuple(to_metadata(service_principal("datasets")))
    got = invoke(
        world.chans["annotation"],
        "/annostream.annotation.v1.AnnotationService/GetVersionStatus",
        an.GetVersionStatusRequest(version_id=world.ids["published"]),
        md,
    )
    assert got.code == "OK" and got.responses[0].known and got.responses[0].read_only, got


def methods_of(*modules: Any) -> set[str]:
    """Full names of every method of every service the generated modules describe."""
    return {
        f"/{service.full_name}/{m.name}"
        for mod in modules
        for service in mod.DESCRIPTOR.services_by_name.values()
        for m in service.methods
    }


def test_every_method_of_every_service_is_classified_and_no_classification_is_stale(world: World) -> None:
    names = pkgutil.walk_packages(annostream_protos.__path__, "annostream_protos.")
    ours = methods_of(*(importlib.import_module(i.name) for i in names if i.name.endswith("_service_pb2")))
    classified = {m for m in GRPC_METHODS if m.startswith("/annostream.")}
    assert not ours - classified, "methods nobody classified in annostream_kernel.policy.GRPC_METHODS"
    assert not classified - ours, "GRPC_METHODS classifies annostream methods that no longer exist"
    standard = set(GRPC_METHODS) - classified  # health and reflection, as the kernel serves them
    assert not standard - methods_of(health_pb2, reflection_pb2), "GRPC_METHODS classifies methods nobody serves"
    assert set(CASES) == set(GRPC_METHODS), "every classified method needs a request in tenancy_methods.CASES"
    pool = descriptor_pool.Default()
    for name in SERVICES:  # what each running server says it serves (reflection) is classified
        got = invoke(
            world.chans[name],
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            [reflection_pb2.ServerReflectionRequest(list_services="")],
            (),
        )
        listed = [s.name for s in got.responses[0].list_services_response.service]
        assert f"annostream.{name}.v1.{name.capitalize()}Service" in listed, listed
        for service in listed:
            methods = {f"/{service}/{m.name}" for m in pool.FindServiceByName(service).methods}
            assert methods <= set(GRPC_METHODS), (name, methods - set(GRPC_METHODS))


async def test_a_service_refuses_a_method_that_the_policy_does_not_classify() -> None:
    async def pong(_request: bytes, _context: Any) -> bytes:
        return b"pong"

    server = aio.server(interceptors=[DomainErrorInterceptor()])
    handler = grpc.unary_unary_rpc_method_handler(pong)
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler("annostream.probe.v1.ProbeService", {"Unlisted": handler}),
            grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": handler}),  # classified: public
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    admin = tuple(to_metadata(member("boss", "t", Role.ADMIN)))
    try:
        async with aio.insecure_channel(f"127.0.0.1:{port}") as ch:
            assert await ch.unary_unary("/grpc.health.v1.Health/Check")(b"ping", timeout=10) == b"pong"
            for md in (admin, tuple(to_metadata(service_principal("tasks"))), ()):
                with pytest.raises(aio.AioRpcError) as refused:
                    await ch.unary_unary("/annostream.probe.v1.ProbeService/Unlisted")(b"ping", metadata=md, timeout=10)
                assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
                assert "not classified" in (refused.value.details() or "")
                trailers = dict(refused.value.trailing_metadata() or ())
                assert json.loads(trailers[ERROR_DETAILS_KEY])["field"] == "method"
    finally:
        await server.stop(None)
