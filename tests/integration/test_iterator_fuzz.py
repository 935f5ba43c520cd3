"""Fuzzed selections never reach PostgreSQL as an error: they are refused naming the field, or they run."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import grpc
import pytest
from grpc import aio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annostream_cli.grpc_identity import IdentityStub, channel
from annostream_cli.stack import LocalStack
from annostream_iterator import wire
from annostream_iterator.adapters.index import IndexStore
from annostream_iterator.adapters.plans import PlanStore
from annostream_iterator.domain.model import FrameOrder, TaskPlan
from annostream_kernel.db import migrate
from annostream_kernel.errors import InvalidArgument
from annostream_protos.iterator.v1 import iterator_service_pb2 as it
from annostream_protos.iterator.v1 import iterator_service_pb2_grpc
from annostream_protos.types.v1 import filters_pb2 as fl

from ..conftest import service_addr
from .iterator_helpers import copy_indexed, frame

PIECES = [
    "meta.city",
    "meta.speed",
    'meta."a\\"b"',
    "meta.tags",
    "source.id",
    "source.width",
    "source.uri",
    ":",
    '"x*y"',
    '"\\\\"',
    "[",
    "]",
    "{",
    "}",
    "TO",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "*",
    "b*",
    "%_",
    ">",
    ">=",
    "<",
    "<=",
    "10",
    "-2.5",
    "1e308",
    "99999999999999999999999",
    "true",
    "null",
    "car",
    '"parked car"',
    "'",
    ";",
    "$1",
    "é",
]
pieces = st.lists(st.sampled_from(PIECES), max_size=10).map(" ".join)
nasty = st.text(st.sampled_from("ab *%_\\\"'$;.()[]{}:é\n"), max_size=8)


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


numbers = st.one_of(st.integers(-(10**25), 10**25), st.floats(allow_nan=False, allow_infinity=False)).map(repr)
values = st.one_of(nasty.map(quote), numbers, st.sampled_from(["true", "false", "null", "b*", "x"]))
meta_key = st.one_of(
    st.sampled_from(["meta.city", "meta.speed", "meta.tags", "meta.a.b"]), nasty.map(lambda k: "meta." + quote(k))
)
meta_leaf = st.one_of(
    st.tuples(meta_key, values).map(lambda t: f"{t[0]}:{t[1]}"),
    st.tuples(meta_key, st.sampled_from([">", ">=", "<", "<="]), numbers).map("".join),
    st.tuples(meta_key, numbers, numbers).map(lambda t: f"{t[0]}:[{t[1]} TO {t[2]}}}"),
    meta_key.map(lambda k: k + ":*"),
)
source_leaf = st.one_of(
    st.tuples(st.sampled_from(["source.id", "source.uri"]), values).map(lambda t: f"{t[0]}:{t[1]}"),
    st.tuples(st.sampled_from(["source.width", "source.height"]), numbers).map(lambda t: f"{t[0]} >= {t[1]}"),
)
label_leaf = st.one_of(nasty.filter(lambda s: s.strip() != "").map(quote), st.sampled_from(["car", "*", "c*r"]))


def boolean(leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda x: f"NOT {x}"),
        ),
        max_leaves=4,
    )


def texts(valid: st.SearchStrategy[str], wild: bool) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), valid, pieces, st.text(max_size=30)) if wild else st.one_of(st.just(""), valid)


def selection_strategy(wild: bool) -> st.SearchStrategy[fl.FrameSelection]:
    rules = st.builds(
        fl.RoiRule,
        kind=st.sampled_from([1, 2, 0] if wild else [1, 2]),
        label_expression=texts(boolean(label_leaf), False).filter(bool)
        if not wild
        else texts(boolean(label_leaf), True),
        min_count=st.one_of(st.none(), st.integers(0, 5)) if wild else st.none(),
        max_confidence=st.one_of(st.none(), st.floats(allow_nan=True))
        if wild
        else st.one_of(st.none(), st.floats(0, 1)),
    )
    filters = st.builds(
        fl.FrameFilter,
        roi_rules=st.lists(rules, min_size=0 if wild else 1, max_size=2),
        frame_query=texts(boolean(meta_leaf), wild),
        source_query=texts(boolean(source_leaf), wild),
    )
    modes = [3, 1, 2, 9] if wild else [3]
    return st.builds(fl.FrameSelection, mode=st.sampled_from(modes), filters=st.lists(filters, min_size=1, max_size=2))


selections = st.one_of(selection_strategy(False), selection_strategy(True))


@pytest.fixture
def loop_and_conn(postgres_dsn: str):  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    schema = f"fz_{uuid.uuid4().hex[:10]}"

    async def setup() -> asyncpg.Pool:
        pool = await asyncpg.create_pool(postgres_dsn, min_size=1, max_size=2, server_settings={"search_path": schema})
        await migrate(pool, schema, ["annostream_iterator.migrations"])
        async with pool.acquire() as conn:
            store = IndexStore(conn)
            await store.upsert_version("v1", "ds", None)
            await copy_indexed(conn, "v1", [frame("a", meta={"city": "bremen", "speed": 3, "tags": ["x"]}), frame("b")])
        return pool

    pool = loop.run_until_complete(setup())
    yield loop, pool
    loop.run_until_complete(pool.execute(f"DROP SCHEMA {schema} CASCADE"))
    loop.run_until_complete(pool.close())
    loop.close()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(selections)
def test_fuzzed_selections_are_refused_with_a_field_or_run_without_sql_errors(loop_and_conn, sel) -> None:  # type: ignore[no-untyped-def]
    loop, pool = loop_and_conn
    try:
        parsed = wire.selection(sel)
    except InvalidArgument as err:
        field = err.field
        parsed = None
    if parsed is None:
        assert field and field.startswith("selection")
        return

    async def run() -> None:
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            try:
                plan = TaskPlan("t", "v1", FrameOrder.RANDOM, 1, 0, 0)
                await PlanStore(conn).materialise(plan, parsed, ["v1"], None)
            finally:
                await tx.rollback()

    loop.run_until_complete(run())


async def test_validate_selection_over_grpc_answers_invalid_argument_with_position(system: LocalStack) -> None:
    async with channel(service_addr(system, "iterator")) as ch:
        stub = IdentityStub(iterator_service_pb2_grpc.IteratorServiceStub(ch))
        bad = fl.FrameSelection(mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(frame_query="meta.speed:[10 50]")])
        with pytest.raises(aio.AioRpcError) as exc:
            await stub.ValidateSelection(it.ValidateSelectionRequest(selection=bad))
        assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "selection.filters[0].frame_query" in (exc.value.details() or "")
        assert "position 15" in (exc.value.details() or "")
        ok = fl.FrameSelection(
            mode=fl.FILTER_MODE_CUSTOM, filters=[fl.FrameFilter(frame_query="meta.speed:[10 TO 50]")]
        )
        await stub.ValidateSelection(it.ValidateSelectionRequest(selection=ok))
