"""Shared helpers of the browser tests: Debian's Chromium via Playwright, and datasets made through the API."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Where to write the README screenshots (`ANNOSTREAM_SCREENSHOTS=docs/screenshots make e2e`); unset: none.
SCREENSHOTS = os.environ.get("ANNOSTREAM_SCREENSHOTS")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, base_url: str, user: str) -> Page:
    """A fresh context signed in (dev mode) as `user`, failing fast on page errors."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 860})
    ctx.add_init_script(f"localStorage.setItem('annostream.user', {user!r})")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name))


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


def published_dataset(api: httpx.Client, frames: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dataset with one Published version of `frames` blank 640x480 frames (local media: drawn blank)."""
    ds = ok(api.post("/api/v1/datasets", json={"name": f"web-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    src = [{"id": "cam", "uri": "file:///media/x.jpg", "width": 640, "height": 480}]
    body = {"frames": [{"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src} for i in range(frames)]}
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json=body))
    return ds, ok(api.post(f"/api/v1/versions/{v['version_id']}/publish"))
