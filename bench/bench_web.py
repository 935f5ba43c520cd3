"""The frame editor in Debian's Chromium: open a frame with 2,000 polygons (time to interactive) and drag one
ROI (main-thread time per drag step), beside the same measures at 20 polygons (the baseline)."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

from .harness import BenchContext, Result, percentile

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
OPENS = 5
LIVE_SAVES = 20
STEPS = 60

# Per pointermove: capture listener (before the stage) → bubble listener (after it) that forces style and
# layout. Paint is not included (headless, no GPU); long animation frames are counted separately.
PROBE = """() => {
  window.__steps = []; window.__loaf = 0;
  let t0 = 0;
  window.addEventListener('pointermove', () => { t0 = performance.now(); }, true);
  window.addEventListener('pointermove', () => {
    document.querySelector('#stage-svg').getBoundingClientRect();
    document.body.offsetHeight;
    window.__steps.push(performance.now() - t0);
  });
  try {
    new PerformanceObserver((l) => { window.__loaf += l.getEntries().length; })
      .observe({ type: 'long-animation-frame', buffered: false });
  } catch (e) {}
}"""


def _polygons(n: int) -> list[dict[str, Any]]:
    cols = max(1, round((n * 4 / 3) ** 0.5))
    rows = -(-n // cols)
    w, h = 640 / cols, 480 / rows
    out = []
    for i in range(n):
        x, y = (i % cols) * w, (i // cols) * h
        pts = [
            [x + w * 0.5, y + h * 0.1],
            [x + w * 0.9, y + h * 0.5],
            [x + w * 0.5, y + h * 0.9],
            [x + w * 0.1, y + h * 0.5],
        ]
        out.append({"roi_id": f"p{i}", "type": "polygon", "points": pts, "labels": ["cell"]})
    return out


async def _frame_url(api: httpx.AsyncClient, n: int) -> str:
    ds = (await api.post("/api/v1/datasets", json={"name": f"bench-web-{uuid.uuid4().hex[:8]}"})).json()
    v = (await api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"})).json()
    src = [{"id": "cam", "uri": "file:///none.jpg", "width": 640, "height": 480}]
    frame = {"id": "f0", "sources": src}
    (await api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]})).raise_for_status()
    task = (await api.post("/api/v1/tasks", json={"name": f"bench {n}", "dataset_version_id": v["version_id"]})).json()
    url = f"/api/v1/versions/{v['version_id']}/frames/f0"
    deadline = time.monotonic() + 60
    while (r := await api.get(url)).status_code != 200:  # the annotation service learns the frame by event
        assert time.monotonic() < deadline, r.text
        await asyncio.sleep(0.1)
    version, rois = r.json()["version"], _polygons(n)
    for i in range(0, n, 1000):  # the save API takes up to 1,000 commands per batch
        cmds = [{"create_roi": {"roi": roi}} for roi in rois[i : i + 1000]]
        saved = await api.post(f"{url}/save", json={"expected_version": version, "commands": cmds})
        saved.raise_for_status()
        version = saved.json()["frame"]["version"]
    return f"/tasks/{task['task_id']}/annotate?version={v['version_id']}&frame=f0"


async def _measure(page: Page, url: str, n: int) -> tuple[float, float, dict[str, float]]:
    opens = []
    for _ in range(OPENS):
        start = time.perf_counter()
        await page.goto(url)
        await page.wait_for_function(f"document.querySelectorAll('g.roi').length === {n}", polling="raf")
        opens.append((time.perf_counter() - start) * 1000)
    await page.evaluate(PROBE)
    await page.click("#mode-select")
    box = await page.locator(f'g.roi[data-roi-id="p{n // 2}"]').bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.evaluate("() => { window.__steps = []; }")
    for i in range(STEPS):
        await page.mouse.move(x + i * 2, y + i)
    await page.mouse.up()
    steps: list[float] = await page.evaluate("window.__steps")
    loaf: float = await page.evaluate("window.__loaf")
    return statistics.median(opens), percentile(steps, 95), {"long_frames": loaf, "drag_steps": len(steps)}


async def _live(page: Page, api: httpx.AsyncClient, url: str, n: int) -> tuple[list[float], list[float]]:
    """Another annotator saves through the API; time until the open editor shows the new ROI (and the save's
    own round trip, the baseline)."""
    await page.goto(url)
    await page.wait_for_selector('#live-status[data-state="connected"]')
    frame_url = "/api/v1/versions/" + url.split("version=")[1].split("&")[0] + "/frames/f0"
    version = (await api.get(frame_url)).json()["version"]
    shown, saves = [], []
    for i in range(LIVE_SAVES):
        roi = {"roi_id": f"live{i}", "type": "rectangle", "points": [[5, 5], [60, 60]]}
        start = time.perf_counter()
        body = {"expected_version": version, "commands": [{"create_roi": {"roi": roi}}]}
        r = await api.post(f"{frame_url}/save", json=body)
        saves.append((time.perf_counter() - start) * 1000)
        version = r.json()["frame"]["version"]
        await page.wait_for_function(f"document.querySelectorAll('g.roi').length === {n + i + 1}", polling="raf")
        shown.append((time.perf_counter() - start) * 1000)
    return shown, saves


async def run(ctx: BenchContext) -> None:
    """2,000 vs 20 polygons: open to interactive (median of 5) and p95 drag-step time."""
    with ctx.system() as stack:
        async with httpx.AsyncClient(base_url=stack.url, timeout=120) as api:
            urls = {n: await _frame_url(api, n) for n in (20, 2000)}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page(base_url=stack.url, viewport={"width": 1400, "height": 860})
                figures = {n: await _measure(page, urls[n], n) for n in (20, 2000)}
                async with httpx.AsyncClient(base_url=stack.url, headers={"X-Annostream-User": "other"}) as api:
                    shown, saves = await _live(page, api, urls[20], 20)
            finally:
                await browser.close()
    (base_open, base_drag, _), (big_open, big_drag, extra) = figures[20], figures[2000]
    limited = "the browser main thread (SVG: one DOM node per ROI; open = GET frame + React render + SVG build)"
    ctx.add(Result("web", "open a frame with 2,000 polygons to interactive (median of 5)", big_open, "ms",
                   base_open, "same at 20 polygons", "< 500 ms", limited))  # fmt: skip
    ctx.add(Result("web", "drag one ROI among 2,000 polygons: p95 main-thread time per step", big_drag, "ms",
                   base_drag, "same at 20 polygons", "< 16 ms", limited, extra))  # fmt: skip
    ctx.add(Result("web", "live: another annotator's save visible in an open editor, p50 of 20", percentile(shown, 50),
                   "ms", percentile(saves, 50), "the save's own HTTP round trip", "< 200 ms",
                   "the relay's publish after commit, then one GET of the frame by the editor",
                   {"p95_ms": percentile(shown, 95)}))  # fmt: skip
