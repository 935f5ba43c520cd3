"""The frame editor in Debian's Chromium on dense frames: each interaction of an annotator (open, select by click,
drag-move, draw a rectangle, reshape by a vertex, type a label, wheel zoom + pan, delete, undo, "Show all") on
frames of 20, 2,000 and 10,000 polygons, p50/p95 per input step and long tasks (Performance API). Baselines from
the same run: the 20-polygon frame, and, with BENCH_WEB_BEFORE=<a web/dist of another build> (e.g. main before a
change), the same interactions on that build, served by a second gateway on the same services. Also: another
annotator's save showing up in an open editor."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx
from playwright.async_api import Browser, async_playwright

from annostream_cli.embedded import _set_pdeathsig, free_port
from annostream_cli.stack import LocalStack

from .harness import BenchContext, Result, percentile
from .web_interactions import PROBE, Driver, Samples, polygons

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
SIZES = [int(n) for n in os.environ.get("BENCH_WEB_SIZES", "20,2000,10000").split(",")]
BEFORE = os.environ.get("BENCH_WEB_BEFORE", "")  # a built web/dist to measure beside this checkout's
BEFORE_SIZES = [int(n) for n in os.environ.get("BENCH_WEB_BEFORE_SIZES", ",".join(map(str, SIZES))).split(",")]
OPENS = 5
LIVE_SAVES = 20
TARGETS = {2000: "p95 < 100 ms (open < 1 s)", 10000: "p95 < 300 ms"}


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
    version, rois = r.json()["version"], polygons(n)
    for i in range(0, n, 1000):  # the save API takes up to 1,000 commands per batch
        cmds = [{"create_roi": {"roi": roi}} for roi in rois[i : i + 1000]]
        saved = await api.post(f"{url}/save", json={"expected_version": version, "commands": cmds})
        saved.raise_for_status()
        version = saved.json()["frame"]["version"]
    return f"/tasks/{task['task_id']}/annotate?version={v['version_id']}&frame=f0"


class _Picker:
    """Distinct ROIs for the interactions (while there are enough), spread over the frame; `rows` limits the grid
    rows (fractions) so that moved ROIs never cover the ones clicked later."""

    def __init__(self, d: Driver) -> None:
        self.d, self.used, self.moved = d, set[int](), set[int]()
        self.order = random.Random(16).sample(range(d.n), d.n)

    def __call__(self, rows: tuple[float, float] = (0, 1), moves: bool = False) -> int:
        total = -(-self.d.n // self.d.cols)
        fits = [i for i in self.order if rows[0] <= (i // self.d.cols) / total < rows[1] and i not in self.moved]
        i = next((i for i in fits if i not in self.used), fits[len(self.used) % len(fits)])  # small frames: again
        self.used.add(i)
        if moves:
            self.moved.add(i)
        return i


async def _interactions(browser: Browser, base: str, url: str, n: int) -> dict[str, Samples]:
    """Every interaction on a fresh page of `url` (a frame of n diamonds); nothing is saved."""
    page = await browser.new_page(base_url=base, viewport={"width": 1400, "height": 860})
    await page.add_init_script(PROBE)
    await page.add_init_script(f"window.__expectRois({n})")
    page.set_default_timeout(180_000)
    d, out = Driver(page, n), {name: Samples() for name in INTERACTIONS}
    try:
        for _ in range(OPENS):
            opened = await d.open(url)
            out["open"].steps.append(opened)
            out["open"].long_tasks += await d.long_tasks_until(opened)
        pick = _Picker(d)
        for name, run in INTERACTIONS.items():
            if name == "open" or (name == "show all" and n <= 100):
                continue
            t0 = await d.now()
            try:
                await run(d, pick, out[name])
            except Exception:
                if os.environ.get("BENCH_WEB_SHOT"):
                    await page.screenshot(path=os.environ["BENCH_WEB_SHOT"])
                raise
            out[name].long_tasks = await d.long_tasks_since(t0)
    finally:
        await page.close()
    return out


async def _select(d: Driver, pick: _Picker, s: Samples) -> None:
    for _ in range(10):
        await d.select(pick(), s.steps)


async def _repeat(k: int, f: Callable[[int], Awaitable[None]]) -> None:
    for j in range(k):
        await f(j)


INTERACTIONS: dict[str, Callable[[Driver, _Picker, Samples], Awaitable[None]]] = {
    "open": lambda d, pick, s: asyncio.sleep(0),
    "select by click": _select,
    "type a label": lambda d, pick, s: _repeat(3, lambda k: d.type_label(pick(), k, s)),
    "wheel zoom + pan": lambda d, pick, s: d.zoom_and_pan(s),
    "delete": lambda d, pick, s: _repeat(5, lambda k: d.delete(pick(), s)),
    "undo": lambda d, pick, s: _repeat(5, lambda k: d.undo(s)),
    "drag-move": lambda d, pick, s: _repeat(3, lambda k: d.drag_roi(pick((0, 0.3), moves=True), s)),
    "reshape (vertex)": lambda d, pick, s: _repeat(3, lambda k: d.reshape(pick((0.7, 1), moves=True), s)),
    "draw a rectangle": lambda d, pick, s: _repeat(3, lambda k: d.draw_rectangle(k, s)),
    "show all": lambda d, pick, s: d.show_all(s),
}


def _extra(s: Samples, prefix: str = "") -> dict[str, float]:
    out = {f"{prefix}p50_ms": percentile(s.steps, 50), f"{prefix}p95_ms": percentile(s.steps, 95)}
    if s.ends:
        out[f"{prefix}commit_p95_ms"] = percentile(s.ends, 95)
    out[f"{prefix}long_tasks"] = len(s.long_tasks)
    out[f"{prefix}long_ms"] = sum(s.long_tasks)
    return out


def _worst(s: Samples) -> float:
    """The figure an interaction is judged by: p95 of its steps, or of its commits when those are slower."""
    return max(percentile(s.steps, 95), percentile(s.ends, 95) if s.ends else 0.0)


async def _live(
    browser: Browser, base: str, api: httpx.AsyncClient, url: str, n: int
) -> tuple[list[float], list[float]]:
    """Another annotator saves through the API; time until the open editor shows the new ROI (and the save's
    own round trip, the baseline)."""
    page = await browser.new_page(base_url=base, viewport={"width": 1400, "height": 860})
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
    await page.close()
    return shown, saves


@contextmanager
def _before_gateway(stack: LocalStack) -> Iterator[str]:
    """A second gateway on the same services serving the BEFORE build (its log beside the stack's), stopped after."""
    port = free_port()
    env = {**stack.env, "ANNOSTREAM_HTTP_PORT": str(port), "ANNOSTREAM_WEB_DIR": BEFORE}
    with open(stack.log_dir / "gateway-before.log", "ab") as log:
        cmd = [sys.executable, "-m", "annostream_cli.main", "serve", "gateway"]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, preexec_fn=_set_pdeathsig)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _ready(url):
            assert proc.poll() is None and time.monotonic() < deadline, "the BEFORE gateway did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def run(ctx: BenchContext) -> None:
    """Each interaction at 20 / 2,000 / 10,000 polygons (and on the BEFORE build), then the live update."""
    with ctx.system() as stack, ExitStack() as stop:
        async with httpx.AsyncClient(base_url=stack.url, timeout=300) as api:
            urls = {n: await _frame_url(api, n) for n in sorted({20, *SIZES})}
        before_url = stop.enter_context(_before_gateway(stack)) if BEFORE else ""
        figures: dict[tuple[str, int], dict[str, Samples]] = {}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                for n in sorted({20, *SIZES}):
                    figures["after", n] = await _interactions(browser, stack.url, urls[n], n)
                    if BEFORE and n in BEFORE_SIZES:
                        figures["before", n] = await _interactions(browser, before_url, urls[n], n)
                async with httpx.AsyncClient(base_url=stack.url, headers={"X-Annostream-User": "other"}) as other:
                    shown, saves = await _live(browser, stack.url, other, urls[20], 20)
            finally:
                await browser.close()
    _report(ctx, figures)
    ctx.add(Result("web", "live: another annotator's save visible in an open editor, p50 of 20", percentile(shown, 50),
                   "ms", percentile(saves, 50), "the save's own HTTP round trip", "< 200 ms",
                   "the relay's publish after commit, then one GET of the frame by the editor",
                   {"p95_ms": percentile(shown, 95)}))  # fmt: skip


def _report(ctx: BenchContext, figures: dict[tuple[str, int], dict[str, Samples]]) -> None:
    limited = "the browser main thread (one process, shared by page, React, the stage's canvas and SVG)"
    for name in INTERACTIONS:
        base = figures["after", 20][name]
        for n in SIZES:
            s = figures["after", n][name]
            if not s.steps:
                continue
            extra = _extra(s)
            if ("before", n) in figures and figures["before", n][name].steps:
                extra |= _extra(figures["before", n][name], "before_")
            unit = "ms from navigation" if name == "open" else "ms p95 per step"
            baseline = _worst(base) if base.steps else None
            ctx.add(Result("web", f"{name}, {n:,} polygons", _worst(s), unit, baseline, "same at 20 polygons",
                           TARGETS.get(n, ""), limited, extra))  # fmt: skip
    _table(figures)


def _table(figures: dict[tuple[str, int], dict[str, Samples]]) -> None:
    """The figures as a Markdown table (bench/README.md): p50 / p95 (commit p95) · long tasks, per build."""

    def cell(s: Samples | None) -> str:
        if s is None or not s.steps:
            return "—"
        commit = f" ({percentile(s.ends, 95):.0f})" if s.ends else ""
        long = f"{len(s.long_tasks)} / {sum(s.long_tasks):.0f} ms"
        return f"{percentile(s.steps, 50):.0f} / {percentile(s.steps, 95):.0f}{commit} · {long}"

    print("\n| interaction | ROIs | this build: p50 / p95 ms (commit p95) · long tasks | before |\n|---|---|---|---|")
    for name in INTERACTIONS:
        for n in sorted({20, *SIZES}):
            now, before = figures["after", n].get(name), figures.get(("before", n), {}).get(name)
            if now is not None and now.steps:
                print(f"| {name} | {n:,} | {cell(now)} | {cell(before)} |")
