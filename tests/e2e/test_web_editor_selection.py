"""Selecting in the frame editor's frame, in Debian's Chromium: on a frame with many ROIs, clicking a ROI in the
frame scrolls its row of the objects list into view, also a row past the first 100 that the list shows until
"Show all"."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, new_page, ok, wait_until_annotatable

pytestmark = pytest.mark.e2e
SELECTED = re.compile(r"\bselected\b")
COLUMNS, ROWS = 15, 10  # 150 ROIs in a grid over the upper part of the 640x480 frame (on screen without scrolling)
CELL_W, CELL_H = 640 / COLUMNS, 320 / ROWS


def _grid_rois() -> list[dict[str, Any]]:
    """150 small rectangles r000 … r149, row by row, each inside its own cell of the frame."""
    rois = []
    for i in range(COLUMNS * ROWS):
        x, y = (i % COLUMNS) * CELL_W, (i // COLUMNS) * CELL_H
        points = [[x + 4, y + 4], [x + CELL_W - 4, y + CELL_H - 4]]
        rois.append({"roi_id": f"r{i:03d}", "type": "rectangle", "points": points, "labels": []})
    return rois


def _click_roi(page: Page, i: int) -> None:
    """Click the centre of ROI number `i` in the frame (image coordinates through the stage's transform)."""
    x, y = (i % COLUMNS + 0.5) * CELL_W, (i // COLUMNS + 0.5) * CELL_H
    js = """([x, y]) => {
        const p = new DOMPoint(x, y).matrixTransform(document.querySelector('#stage-svg').getScreenCTM());
        return [p.x, p.y];
    }"""
    px, py = page.evaluate(js, [x, y])
    page.mouse.click(px, py)


def test_clicking_a_roi_in_the_frame_scrolls_its_row_into_view_even_past_the_first_100_rows(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"sel-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds = ok(api.post("/api/v1/datasets", json={"name": f"sel-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}), 201)
    src = [{"id": "cam", "uri": SCENE, "width": 640, "height": 480}]
    frame = {"id": "f0", "context_id": "c", "timestamp": 0, "sources": src, "rois": _grid_rois()}
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}))
    task = ok(api.post("/api/v1/tasks", json={"name": f"select {unique}", "dataset_version_id": v["version_id"]}), 201)
    wait_until_annotatable(api, task, 1)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("g.roi")).to_have_count(150)
    expect(page.locator(".roi-item")).to_have_count(100)  # the first 100 rows until "Show all"
    expect(page.locator("#roi-list-more")).to_have_text("Show all 150 objects")

    row = page.locator('.roi-item[data-roi-id="r090"]')  # listed, far below the panel's fold
    expect(row).not_to_be_in_viewport()
    stage = page.locator("#stage-svg").bounding_box()
    _click_roi(page, 90)
    expect(row).to_have_class(SELECTED)
    expect(row).to_be_in_viewport()
    expect(page.locator('.roi-item[data-roi-id="r000"]')).not_to_be_in_viewport()  # the list scrolled down
    assert page.locator("#stage-svg").bounding_box() == stage  # only the list: the frame stays where it was

    _click_roi(page, 3)  # back near the top of the list
    expect(page.locator('.roi-item[data-roi-id="r003"]')).to_be_in_viewport()
    expect(row).not_to_be_in_viewport()

    far = page.locator('.roi-item[data-roi-id="r140"]')  # past the first 100 rows: not rendered yet
    expect(far).to_have_count(0)
    _click_roi(page, 140)
    expect(far).to_have_class(SELECTED)  # the selected row is rendered too, after the first 100
    expect(far).to_be_in_viewport()
    expect(page.locator(".roi-item")).to_have_count(101)
    expect(page.locator("#roi-list-more")).to_be_visible()  # the others wait for "Show all"
    assert page.locator("#stage-svg").bounding_box() == stage
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
