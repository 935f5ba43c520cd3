"""The SDK against the gateway's /openapi.json: every operation has an SDK method or a reason it has none (a new
route fails here until it gets one), every SDK route names a Client method, and the SDK's version is the API's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import annostream_sdk
from annostream_cli.stack import LocalStack
from annostream_sdk import Client
from annostream_sdk.routes import NOT_COVERED, ROUTES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def spec(system: LocalStack) -> dict[str, Any]:
    doc: dict[str, Any] = httpx.get(f"{system.url}/openapi.json", timeout=30).json()
    return doc


def _operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops if m in methods}


def test_every_api_operation_has_an_sdk_method_or_a_reason_it_has_none(spec: dict[str, Any]) -> None:
    ops = _operations(spec)
    covered = {(r.method, r.path) for r in ROUTES.values()}
    missing = sorted(ops - covered - set(NOT_COVERED))
    assert missing == [], f"add these to annostream_sdk (routes.ROUTES and a Client method) or NOT_COVERED: {missing}"
    assert set(NOT_COVERED) <= ops and all(reason.strip() for reason in NOT_COVERED.values())
    assert not set(NOT_COVERED) & covered


def test_every_sdk_route_is_called_by_a_client_method_of_its_name() -> None:
    for name in ROUTES:
        assert callable(getattr(Client, name, None)), f"routes.ROUTES[{name!r}] has no Client.{name}"
    assert len({(r.method, r.path) for r in ROUTES.values()}) == len(ROUTES)  # one method per operation


def test_the_sdk_calls_only_operations_of_the_api(spec: dict[str, Any]) -> None:
    unknown = {(r.method, r.path) for r in ROUTES.values()} - _operations(spec)
    assert unknown == set(), sorted(unknown)


def test_the_sdk_is_versioned_with_the_api(spec: dict[str, Any]) -> None:
    assert annostream_sdk.__version__ == spec["info"]["version"]
    api_paths = [r.path for r in ROUTES.values() if r.path not in ("/healthz", "/readyz")]
    assert all(p.startswith(annostream_sdk.API_PREFIX + "/") for p in api_paths)
