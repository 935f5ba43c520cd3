"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser

from annostream_cli.stack import LocalStack

from .gateways import extra_gateway
from .web_browser import chromium


class _SharedChromium:
    """One Chromium for consecutive browser tests, also across modules (a launch and its close take ≈ 2 s).

    Closed as soon as the next test needs no browser: while Playwright's sync API runs, no asyncio test can."""

    def __init__(self) -> None:
        self._stack: ExitStack | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        """The running browser, launched when there is none."""
        if self._browser is None:
            self._stack = ExitStack()
            self._browser = self._stack.enter_context(chromium())
        return self._browser

    def close(self) -> None:
        """Stop the browser (and Playwright), if running."""
        stack, self._stack, self._browser = self._stack, None, None
        if stack is not None:
            stack.close()


_CHROMIUM = _SharedChromium()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium for one test module (browser tests only): what the module opened is closed after it."""
    b = _CHROMIUM.get()
    try:
        yield b
    finally:
        for context in b.contexts:
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a test's teardown: stop the shared Chromium unless the next test uses it too."""
    try:
        return (yield)
    finally:
        if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
            _CHROMIUM.close()


@pytest.fixture(scope="session")
def proxy_gateway(system: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a second gateway on the session's services with ANNOSTREAM_DEV_AUTH=false: identity only from the
    authenticating proxy's headers (X-Auth-Request-User, X-Auth-Request-Groups)."""
    with extra_gateway(system, tmp_path_factory.mktemp("proxy-gateway"), ANNOSTREAM_DEV_AUTH="false") as url:
        yield url
