"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from annostream_cli.stack import LocalStack

from .gateways import extra_gateway
from .web_browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium for one test module (browser tests only)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def proxy_gateway(system: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a second gateway on the session's services with ANNOSTREAM_DEV_AUTH=false: identity only from the
    authenticating proxy's headers (X-Auth-Request-User, X-Auth-Request-Groups)."""
    with extra_gateway(system, tmp_path_factory.mktemp("proxy-gateway"), ANNOSTREAM_DEV_AUTH="false") as url:
        yield url
