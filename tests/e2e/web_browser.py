"""Shared helpers of the browser tests: Debian's Chromium via Playwright, and datasets made through the API."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

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


def new_page(browser: Browser, base_url: str, user: str, team: str = "") -> Page:
    """A fresh context signed in (dev mode) as `user` (in `team`, else the default team), failing fast on page
    errors."""
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 860})
    ctx.add_init_script(f"localStorage.setItem('annostream.user', {user!r})")
    if team:
        ctx.add_init_script(f"localStorage.setItem('annostream.team', {team!r})")
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


# A street scene as an image URI the browser loads directly (like an http(s) source; no network needed).
SCENE = "data:image/svg+xml," + quote(
    "<svg xmlns='http://www.w3.org/2000/svg' width='640' height='480'>"
    "<rect width='640' height='300' fill='#8fb8de'/><rect y='300' width='640' height='180' fill='#555'/>"
    "<rect x='20' y='120' width='120' height='180' fill='#b9a58c'/><rect x='160' y='60' width='150' height='240'"
    " fill='#9c8f80'/><rect x='470' y='100' width='150' height='200' fill='#c7b299'/>"
    "<rect y='385' width='640' height='6' fill='#eee'/><rect x='230' y='320' width='190' height='70' rx='14'"
    " fill='#c0392b'/><rect x='265' y='290' width='120' height='40' rx='10' fill='#a93226'/>"
    "<circle cx='270' cy='392' r='18' fill='#222'/><circle cx='380' cy='392' r='18' fill='#222'/></svg>"
)


def published_dataset(
    api: httpx.Client, frames: int = 3, uris: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dataset with one Published version of 640x480 frames f0.. (default local media, drawn blank)."""
    ds = ok(api.post("/api/v1/datasets", json={"name": f"web-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    uris = uris or ["file:///media/x.jpg"] * frames
    body = {
        "frames": [
            {
                "id": f"f{i}",
                "context_id": "c",
                "timestamp": i,
                "sources": [{"id": "cam", "uri": uri, "width": 640, "height": 480}],
            }
            for i, uri in enumerate(uris)
        ]
    }
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json=body))
    return ds, ok(api.post(f"/api/v1/versions/{v['version_id']}/publish"))


def stage_point(page: Page, x: float, y: float, svg: str = "#stage-svg") -> tuple[float, float]:
    """Page coordinates of the point (x, y) of the frame's image (image pixels) on a drawing stage (the only one,
    unless `svg` selects another), from the stage's on-screen box and its viewBox (the visible part of the image,
    scaled to fit the box and centred: SVG's `xMidYMid meet`)."""
    stage = page.locator(svg)
    box = stage.bounding_box()
    assert box is not None
    vx, vy, vw, vh = (float(v) for v in (stage.get_attribute("viewBox") or "").split())
    scale = min(box["width"] / vw, box["height"] / vh)
    left = box["x"] + (box["width"] - vw * scale) / 2
    top = box["y"] + (box["height"] - vh * scale) / 2
    return left + (x - vx) * scale, top + (y - vy) * scale


def drag(page: Page, start: tuple[float, float], end: tuple[float, float], svg: str = "#stage-svg") -> None:
    """Press at `start`, move through the midpoint to `end` and release (image coordinates, see stage_point)."""
    # both mapped before pressing: a drag on the background of a zoomed stage pans it (moves its viewBox)
    drag_page(page, stage_point(page, *start, svg=svg), stage_point(page, *end, svg=svg))


def drag_page(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at page point `start`, move in two steps to `end` and release (e.g. a vertex handle)."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    page.mouse.move(*end)
    page.mouse.up()


def center(page: Page, selector: str) -> tuple[float, float]:
    """Page coordinates of the centre of an element."""
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def annotated_dataset(api: httpx.Client, frames: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dataset with one Published version holding `frames` (import bodies: sources, metadata, rois …)."""
    ds = ok(api.post("/api/v1/datasets", json={"name": f"web-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    return ds, ok(api.post(f"/api/v1/versions/{v['version_id']}/publish"))


def wait_until_annotatable(api: httpx.Client, task: dict[str, Any], frames: int) -> None:
    """Wait until the iterator has the task's plan and the annotation service its first frame (both learn
    them from events), so the editor's first request finds them even on a busy machine."""
    version = task["annotated_version_id"]
    for _ in range(300):
        progress = api.get(f"/api/v1/tasks/{task['task_id']}/progress")
        planned = progress.status_code == 200 and progress.json()["total"] >= frames
        if planned and api.get(f"/api/v1/versions/{version}/frames/f0").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"task {task['task_id']} never became annotatable")
