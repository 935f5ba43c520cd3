"""The editor's interactions as a user does them, each step timed in the page: from the input event's timestamp (the
browser's, so the driver's own round trips are not counted) until the end of the first animation frame that shows
its effect (a DOM condition checked at every frame, then the frame's rendering work). Inputs are real Chromium
input events (CDP), so hit testing, pointer capture and focus are the browser's.

The page's frame: `n` diamonds `p0 … p<n-1>` in a grid over a 640x480 image (see `polygons`), one label each."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Page

DRAFT = "() => document.querySelector('#stage-draft > *')"  # the shape being drawn is on screen
STEP_TIMEOUT_MS = int(__import__("os").environ.get("BENCH_WEB_STEP_TIMEOUT_MS", "120000"))

# Injected before the page's own scripts. `__arm(cond)` forgets the last input and starts watching; `__done()` is
# the promise of ms from the first input after `__arm` to the end of the first frame where `cond()` holds.
# `__expectRois(n)` (run at page start) makes `__opened` resolve when the frame's n ROIs are on screen (ms since
# navigation start). Long tasks (Performance
# API, ≥ 50 ms on the main thread) are collected with their start times.
PROBE = """(() => {
  let first = null;
  for (const t of ['pointerdown', 'pointermove', 'pointerup', 'wheel', 'keydown'])
    addEventListener(t, (e) => { if (first === null) first = e.timeStamp; }, true);
  window.__long = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]); })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) {}
  const afterFrame = (resolve, t0) => {
    const c = new MessageChannel();  // runs once the frame (rAF callbacks, style, layout, paint) is done
    c.port1.onmessage = () => resolve(performance.now() - t0);
    c.port2.postMessage(0);
  };
  const watch = (cond, since) => new Promise((resolve, reject) => {
    const start = performance.now();
    const tick = () => {
      let ok = false;
      try { ok = since() !== null && cond(); } catch (e) {}
      if (ok) return afterFrame(resolve, since());
      if (performance.now() - start > %(timeout)d) return reject(new Error('never true: ' + cond));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  window.__arm = (src) => {
    first = null;
    window.__pending = watch(eval(src), () => first);
    window.__pending.catch(() => {});
  };
  window.__done = () => window.__pending;
  window.__expectRois = (n) => {
    window.__opened = watch(() => document.querySelectorAll('.stage-svg g.roi').length === n
      && (document.querySelector('.stage-canvas')?.dataset.rois ?? String(n)) === String(n), () => 0);
  };
})()""" % {"timeout": STEP_TIMEOUT_MS}  # noqa: UP031 - JS braces


def polygons(n: int) -> list[dict[str, Any]]:
    """`n` diamonds in a grid covering a 640x480 image, labelled "cell"."""
    cols, w, h = _grid(n)
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


def _grid(n: int) -> tuple[int, float, float]:
    cols = max(1, round(math.sqrt(n * 4 / 3)))
    return cols, 640 / cols, 480 / -(-n // cols)


@dataclass
class Samples:
    """Step latencies (ms) of one interaction, the last step of each gesture apart, and the long tasks meanwhile."""

    steps: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)  # the release / Enter that commits a gesture
    long_tasks: list[float] = field(default_factory=list)


class Driver:
    """Runs the interactions on an open frame of `n` diamonds."""

    def __init__(self, page: Page, n: int) -> None:
        self.page, self.n = page, n
        self.cols, self.w, self.h = _grid(n)

    async def open(self, url: str) -> float:
        """Navigate to the frame; ms from navigation start until all its ROIs are on screen."""
        await self.page.goto(url)
        return float(await self.page.evaluate("window.__opened"))

    async def step(self, cond: str, action: Any, into: list[float]) -> None:
        """One input (`action`, awaited) and the wait for `cond` (JS function source) to show."""
        await self.page.evaluate("(c) => __arm(c)", cond)
        await action
        into.append(float(await self.page.evaluate("__done()")))

    async def point(self, x: float, y: float) -> tuple[float, float]:
        """Page coordinates of the image point (x, y) (the stage's box and viewBox, `xMidYMid meet`)."""
        js = """([x, y]) => {
            const s = document.querySelector('#stage-svg'), b = s.getBoundingClientRect();
            const [vx, vy, vw, vh] = s.getAttribute('viewBox').split(' ').map(Number);
            const k = Math.min(b.width / vw, b.height / vh);
            return [b.left + (b.width - vw * k) / 2 + (x - vx) * k, b.top + (b.height - vh * k) / 2 + (y - vy) * k];
        }"""
        px, py = await self.page.evaluate(js, [x, y])
        return px, py

    def centre(self, i: int) -> tuple[float, float]:
        return ((i % self.cols) + 0.5) * self.w, ((i // self.cols) + 0.5) * self.h

    async def count(self) -> int:
        return int(await self.page.evaluate("document.querySelectorAll('#stage-svg g.roi').length"))

    async def long_tasks_until(self, t1: float) -> list[float]:
        return [float(d) for s, d in await self.page.evaluate("window.__long") if s < t1]

    async def long_tasks_since(self, t0: float) -> list[float]:
        return [float(d) for s, d in await self.page.evaluate("window.__long") if s >= t0]

    async def now(self) -> float:
        return float(await self.page.evaluate("performance.now()"))

    async def selected_id(self) -> str | None:
        return await self.page.evaluate("document.querySelector('#stage-svg g.roi.selected')?.dataset.roiId ?? null")

    async def newly_selected(self) -> str:
        """JS condition: another ROI than the one selected now is selected, in the frame and in the side list (a
        click on ROI i selects it, or, on a build whose captions catch clicks, the ROI whose caption covers i)."""
        before = await self.selected_id()
        return (
            "() => { const g = document.querySelector('#stage-svg g.roi.selected'),"
            " r = document.querySelector('.roi-item.selected');"
            f" return g && r && g.dataset.roiId === r.dataset.roiId && g.dataset.roiId !== {before!r}; }}"
        ).replace("None", "null")

    async def select(self, i: int, into: list[float] | None = None) -> None:
        x, y = await self.point(*self.centre(i))
        await self.step(await self.newly_selected(), self.page.mouse.click(x, y), [] if into is None else into)

    def shape_of(self, roi_id: str) -> str:
        return f"document.querySelector('g.roi[data-roi-id=\"{roi_id}\"] polygon').getAttribute('points')"

    async def drag_roi(self, i: int, s: Samples, moves: int = 10) -> None:
        """Press on ROI i, move it in `moves` steps, release: it is stored where it was dropped."""
        x, y = await self.point(*self.centre(i))
        await self.page.mouse.move(x, y)
        await self.step(await self.newly_selected(), self.page.mouse.down(), s.steps)
        roi = await self.selected_id()
        for k in range(1, moves + 1):
            await self.step("() => true", self.page.mouse.move(x + 3 * k, y + 2 * k), s.steps)
        before = await self.page.evaluate(self.shape_of(roi or ""))
        moved = f"() => {self.shape_of(roi or '')} !== {before!r}"
        await self.step(moved, self.page.mouse.up(), s.ends)

    async def draw_rectangle(self, k: int, s: Samples, moves: int = 8) -> None:
        """Rectangle mode, press, drag, release: one ROI more."""
        await self.page.click("#mode-rectangle")
        x, y = await self.point(40 + 90 * k, 60 + 40 * k)
        n = await self.count()
        await self.page.mouse.move(x, y)
        await self.step("() => true", self.page.mouse.down(), s.steps)
        for j in range(1, moves + 1):
            await self.step(DRAFT, self.page.mouse.move(x + 8 * j, y + 5 * j), s.steps)
        more = f"() => document.querySelectorAll('#stage-svg g.roi').length === {n + 1}"
        await self.step(more, self.page.mouse.up(), s.ends)
        await self.page.click("#mode-select")

    async def reshape(self, i: int, s: Samples, moves: int = 8) -> None:
        """Select ROI i, drag its vertex handle 1 outwards, release: the ROI takes the new shape."""
        await self.select(i)
        handle = self.page.locator('#stage-handles circle.handle[data-handle="1"]')
        box = await handle.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await self.page.mouse.move(x, y)
        await self.step("() => true", self.page.mouse.down(), s.steps)
        for j in range(1, moves + 1):
            await self.step(DRAFT, self.page.mouse.move(x + 2 * j, y + j), s.steps)
        roi = await self.selected_id() or ""
        before = await self.page.evaluate(self.shape_of(roi))
        await self.step(f"() => {self.shape_of(roi)} !== {before!r}", self.page.mouse.up(), s.ends)

    async def type_label(self, i: int, k: int, s: Samples) -> None:
        """Select ROI i, type a new label in its row of the side panel and press Enter."""
        await self.select(i)
        field_ = ".roi-item.selected .roi-label-input"
        await self.page.click(field_)
        text = f"tag{k}"
        for j, ch in enumerate(text):
            typed = f"() => document.querySelector({field_!r}).value.length === {j + 1}"
            await self.step(typed, self.page.keyboard.press(ch), s.steps)
        shown = f"() => document.querySelector('.roi-item.selected .roi-label[data-label=\"{text}\"]')"
        await self.step(shown, self.page.keyboard.press("Enter"), s.ends)

    async def zoom_and_pan(self, s: Samples, wheels: int = 5, moves: int = 8) -> None:
        """Wheel in `wheels` times over the frame, drag the background to pan, wheel out again."""
        await self.page.mouse.move(*(await self.point(320, 240)))
        for _ in range(wheels):
            zoom = await self.page.evaluate("document.querySelector('#stage-svg').dataset.zoom")
            changed = f"() => document.querySelector('#stage-svg').dataset.zoom !== {zoom!r}"
            await self.step(changed, self.page.mouse.wheel(0, -100), s.steps)
        rows = -(-self.n // self.cols)
        x, y = await self.point(self.w * (self.cols // 2), self.h * (rows // 2))  # a grid corner: between diamonds
        await self.page.mouse.move(x, y)
        await self.step("() => true", self.page.mouse.down(), s.steps)
        for j in range(1, moves + 1):
            box = await self.page.evaluate("document.querySelector('#stage-svg').getAttribute('viewBox')")
            # (where captions catch clicks, as on main before issue 16, the press moves a ROI instead)
            panned = (
                f"() => document.querySelector('#stage-svg').getAttribute('viewBox') !== {box!r}"
                " || document.querySelector('#stage-svg g.roi[transform]')"
            )
            await self.step(panned, self.page.mouse.move(x - 6 * j, y - 4 * j), s.steps)
        await self.step("() => true", self.page.mouse.up(), s.steps)
        await self.page.mouse.move(*(await self.point(320, 240)))
        for _ in range(wheels):
            zoom = await self.page.evaluate("document.querySelector('#stage-svg').dataset.zoom")
            changed = f"() => document.querySelector('#stage-svg').dataset.zoom !== {zoom!r}"
            await self.step(changed, self.page.mouse.wheel(0, 100), s.steps)

    async def delete(self, i: int, s: Samples) -> None:
        """Select ROI i and press Delete: one ROI less."""
        await self.select(i)
        n = await self.count()
        fewer = f"() => document.querySelectorAll('#stage-svg g.roi').length === {n - 1}"
        await self.step(fewer, self.page.keyboard.press("Delete"), s.steps)

    async def undo(self, s: Samples) -> None:
        """Ctrl+Z after a delete: the ROI is back."""
        n = await self.count()
        more = f"() => document.querySelectorAll('#stage-svg g.roi').length === {n + 1}"
        await self.step(more, self.page.keyboard.press("Control+z"), s.steps)

    async def show_all(self, s: Samples) -> None:
        """'Show all N objects' in the side panel."""
        await self.step("() => !document.querySelector('#roi-list-more')", self.page.click("#roi-list-more"), s.steps)
