"""The editor's layout in Debian's Chromium: the page is exactly the window (it never scrolls), the frame is
scaled to fit the space below the header and toolbars, the objects list scrolls on its own, and pointer
positions still map to the right image points, also after the window is resized."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, annotated_dataset, center, drag, new_page, ok, stage_point, wait_until_annotatable

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 640, 480  # the frame's image
SELECTED = re.compile(r"\bselected\b")


def _rois() -> list[dict[str, Any]]:
    """24 rectangles r00 … r23 (60 by 40, six a row) in the top-left part of the frame: a list longer than the panel."""
    rois = []
    for i in range(24):
        x, y = 20 + (i % 6) * 70, 20 + (i // 6) * 50
        rois.append({"roi_id": f"r{i:02d}", "type": "rectangle", "points": [[x, y], [x + 60, y + 40]], "labels": []})
    return rois


def _corner(i: int) -> tuple[float, float]:
    """The top-left corner of ROI `i` in image coordinates."""
    return 20 + (i % 6) * 70, 20 + (i // 6) * 50


def _fits_the_window(page: Page) -> None:
    """The page does not scroll; the stage fills the window below the toolbars and shows the whole frame."""
    m = page.evaluate(
        """() => {
            const d = document.documentElement, svg = document.querySelector('#stage-svg');
            const side = document.querySelector('aside.side');
            const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
            return {
                scroll: [d.scrollWidth, d.scrollHeight], window: [innerWidth, innerHeight],
                stage: r(svg), side: r(side), list: [side.scrollHeight, side.clientHeight],
                scale: svg.getScreenCTM().a,
            };
        }"""
    )
    width, height = m["window"]
    assert m["scroll"][0] <= width and m["scroll"][1] <= height, m  # the page itself never scrolls
    left, top, right, bottom = m["stage"]
    assert left >= 0 and top > 0 and right <= width, m
    assert bottom == pytest.approx(height, abs=1), m  # the stage takes the space left below the toolbars
    assert m["side"][3] == pytest.approx(height, abs=1), m
    assert m["list"][0] > m["list"][1], m  # the long list scrolls inside the panel
    fit = min((right - left) / WIDTH, (bottom - top) / HEIGHT)  # the frame scaled to fit, aspect ratio kept
    assert m["scale"] == pytest.approx(fit, rel=1e-3), m


HANDLE = '#stage-handles circle.handle[data-handle="0"]'
HANDLE_PX = "document.querySelector('#stage-handles circle.handle').getBoundingClientRect().width"


def _handle_on_corner(page: Page, i: int) -> None:
    """The selected ROI `i` shows its top-left vertex handle on its corner, 10 screen pixels wide whatever the
    frame's scale (redrawn when the stage is resized)."""
    x, y = _corner(i)
    expect(page.locator(HANDLE)).to_have_attribute("cx", str(x))
    page.wait_for_function(f"Math.abs({HANDLE_PX} - 10) < 1")
    assert center(page, HANDLE) == pytest.approx(stage_point(page, x, y), abs=1)


def _selects_by_clicking(page: Page, i: int) -> None:
    """Click the centre of ROI `i` (from its image coordinates and the stage's box): it is selected."""
    x, y = _corner(i)
    page.mouse.click(*stage_point(page, x + 30, y + 20))
    expect(page.locator(f'.roi-item[data-roi-id="r{i:02d}"]')).to_have_class(SELECTED)
    expect(page.locator(f'g.roi.selected[data-roi-id="r{i:02d}"]')).to_have_count(1)
    _handle_on_corner(page, i)


@pytest.mark.parametrize(
    ("first", "then"),
    [((1400, 860), (1200, 700)), ((1200, 700), (1400, 860))],
    ids=["large-then-small", "small-then-large"],
)
def test_the_editor_fills_the_window_without_page_scroll_and_maps_clicks_and_drawing_after_a_resize(
    browser: Browser, system: LocalStack, unique: str, first: tuple[int, int], then: tuple[int, int]
) -> None:
    user = f"lay-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    src = {"id": "cam", "uri": SCENE, "width": WIDTH, "height": HEIGHT}
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [src], "rois": _rois()}])
    body = {"name": f"layout {unique}", "dataset_version_id": published["version_id"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    frame0 = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    wait_until_annotatable(api, task, 1)
    page = new_page(browser, system.url, user)
    page.set_viewport_size({"width": first[0], "height": first[1]})
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#stage-svg")).to_have_attribute("data-image", "loaded")
    expect(page.locator("g.roi")).to_have_count(24)

    _fits_the_window(page)
    _selects_by_clicking(page, 7)

    page.set_viewport_size({"width": then[0], "height": then[1]})  # the window is resized
    page.wait_for_function(f"innerWidth === {then[0]} && innerHeight === {then[1]}")
    _fits_the_window(page)
    _handle_on_corner(page, 7)  # still selected, its handles follow the new scale
    _selects_by_clicking(page, 22)

    page.click("#mode-rectangle")
    drag(page, (480, 300), (600, 440))
    expect(page.locator("g.roi")).to_have_count(25)
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    listed = {r["roi_id"] for r in _rois()}
    drawn = [r for r in ok(api.get(frame0))["rois"] if r["roi_id"] not in listed]
    assert len(drawn) == 1
    (x1, y1), (x2, y2) = drawn[0]["points"]
    assert [x1, y1, x2, y2] == pytest.approx([480, 300, 600, 440], abs=1.5)  # where it was drawn, in image pixels
    _fits_the_window(page)
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
