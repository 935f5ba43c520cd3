"""The editor and the task Info at the window sizes annotators use (1024x768, 1366x768, 1920x1080) in Chromium:
the toolbar stays one row from 1366 px (also at 1400), navigation and Save share a line at 1024, captions of the
selected ROI stay readable with two sources side by side, the default-label placeholder is not cut, and the
label statistics show as bars. Screenshots go to the test's tmp dir (and to $ANNOSTREAM_SCREENSHOTS when set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, annotated_dataset, new_page, ok, screenshot, wait_until_annotatable

pytestmark = pytest.mark.e2e

SIZES = [(1024, 768), (1366, 768), (1400, 860), (1920, 1080)]


@pytest.fixture(scope="module")
def two_source_task(system: LocalStack) -> tuple[str, dict[str, Any]]:
    user = "layout-sizes"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    sources = [{"id": s, "uri": SCENE, "width": 640, "height": 480} for s in ("front", "rear")]
    rois = [
        {"roi_id": f"{s}-{i}", "type": "rectangle", "source_id": s, "labels": [label]}
        | {"points": [[30 + 150 * i, 60], [130 + 150 * i, 200]]}
        for s in ("front", "rear")
        for i, label in enumerate(["car", "person", "traffic-sign"])
    ]
    frames = [{"id": "f0", "context_id": "c", "timestamp": 0, "sources": sources, "rois": rois}]
    _, published = annotated_dataset(api, frames)
    body = {"name": "layout sizes", "dataset_version_id": published["version_id"], "default_labels": ["pedestrian"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    wait_until_annotatable(api, task, 1)
    return user, task


def _rows(page: Page, selector: str) -> set[int]:
    """The distinct rounded tops of the visible elements matching `selector` (one value: one row)."""
    tops = page.eval_on_selector_all(
        selector, "els => els.filter(e => e.offsetParent).map(e => Math.round(e.getBoundingClientRect().top))"
    )
    return set(tops)


def _shot(page: Page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name))
    assert (tmp_path / name).stat().st_size > 0
    screenshot(page, name)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_editor_fits_the_window_with_navigation_and_save_on_one_line_and_readable_captions(
    browser: Browser,
    system: LocalStack,
    two_source_task: tuple[str, dict[str, Any]],
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    user, task = two_source_task
    page = new_page(browser, system.url, user)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator(".stage-svg")).to_have_count(2)  # two sources side by side

    nav_and_save = "#prev-frame, #prev-annotated, #jump-back, #jump-forward, #next-annotated, #next-frame, #undo, #save"
    assert len(_rows(page, nav_and_save)) == 1, f"navigation and Save split at {width}px"
    if width >= 1366:
        assert len(_rows(page, ".canvas-wrap > .tools:first-child button")) == 1, f"the toolbar wraps at {width}px"
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert scroll[0] <= width and scroll[1] <= height  # the page itself never scrolls

    # the default-label input shows its whole placeholder
    fits = page.eval_on_selector(
        ".default-label-input",
        """e => { const c = document.createElement('canvas').getContext('2d'); const s = getComputedStyle(e);
                  c.font = `${s.fontSize} ${s.fontFamily}`;
                  return c.measureText(e.placeholder).width <= e.clientWidth - parseFloat(s.paddingLeft)
                      - parseFloat(s.paddingRight) + 1; }""",
    )
    assert fits, f"the default-label placeholder is cut at {width}px"

    # a selected ROI's caption keeps a readable screen size although each source is drawn small
    page.locator('.roi-item[data-roi-id="rear-1"]').click()
    caption = page.locator(".stage-selected .roi-caption")
    expect(caption).to_have_count(1)
    box = caption.bounding_box()
    assert box is not None and box["height"] >= 11, box
    _shot(page, tmp_path, f"editor-{width}x{height}.png")
    assert page.errors == []  # type: ignore[attr-defined]


def test_task_info_and_the_version_in_new_annotation_chart_rois_per_label(
    browser: Browser, system: LocalStack, two_source_task: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    user, task = two_source_task
    page = new_page(browser, system.url, user)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/")
    card = page.locator(f'.task-card[data-task-id="{task["task_id"]}"]')
    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    chart = page.locator("#task-stats #chart-roi-labels")
    expect(chart.locator("g.bar")).to_have_count(3)
    counts = {bar.get_attribute("data-label"): bar.get_attribute("data-count") for bar in chart.locator("g.bar").all()}
    assert counts == {"car": "2", "person": "2", "traffic-sign": "2"}
    frames = page.locator("#task-stats #chart-frames g.bar")
    expect(frames.first).to_have_attribute("data-count", "1")  # the one frame is annotated
    per_frame = page.locator('#task-stats #chart-rois-per-frame g.bar[data-label="6\u201310 ROIs"]')
    expect(per_frame).to_have_attribute("data-count", "1")  # its six ROIs
    _shot(page, tmp_path, "task-info-stats.png")
    page.keyboard.press("Escape")

    page.click("#new-annotation")
    page.select_option("#task-dataset", task["dataset_id"])
    expect(page.locator("#task-version")).to_have_value(task["source_version_id"])  # the Published source
    page.click("#version-stats-toggle")
    expect(page.locator("#version-stats #chart-roi-labels g.bar")).not_to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]
