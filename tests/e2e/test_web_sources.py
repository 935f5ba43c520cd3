"""Multi-source frames in Debian's Chromium: the sources side by side (each ROI over its own source, a new ROI
belongs to the source it is drawn on), a toggle back to tabs that the browser remembers, and a source's masks
as a semi-transparent overlay that can be hidden."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, annotated_dataset, drag, new_page, ok, wait_until_annotatable

pytestmark = pytest.mark.e2e

MASK_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='640' height='480'><rect width='640' height='480' fill='black'/>"
    "<rect x='230' y='290' width='190' height='110' fill='#ff3333'/></svg>"
)


def test_sources_side_by_side_with_their_own_rois_masks_overlay_and_tabs_toggle(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"src-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    mask_file = Path(system.env["ANNOSTREAM_MEDIA_ROOTS"]) / f"mask-{unique}.svg"
    mask_file.write_text(MASK_SVG)  # a local mask, served through the gateway's media roots
    masks = [
        {"id": "cars", "uri": f"file://{mask_file}"},
        {"id": "sky", "uri": "data:image/svg+xml," + quote(MASK_SVG)},
    ]
    left = {"id": "left", "uri": SCENE, "width": 640, "height": 480, "masks": masks}
    right = {"id": "right", "uri": SCENE, "width": 640, "height": 480}
    rois = [
        {
            "roi_id": "l1",
            "type": "rectangle",
            "points": [[230, 290], [420, 400]],
            "labels": ["car"],
            "source_id": "left",
        },
        {
            "roi_id": "r1",
            "type": "rectangle",
            "points": [[20, 120], [140, 300]],
            "labels": ["house"],
            "source_id": "right",
        },
        {
            "roi_id": "r2",
            "type": "ellipse",
            "points": [[470, 100], [620, 300]],
            "labels": ["house"],
            "source_id": "right",
        },
    ]
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [left, right], "rois": rois}])
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"src {unique}", "dataset_version_id": published["version_id"]}), 201
    )
    frame0 = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    wait_until_annotatable(api, task, 1)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")

    area = page.locator("#stage-area")
    expect(area).to_have_attribute("data-layout", "grid")  # side by side by default
    left_cell, right_cell = (page.locator(f'.stage-cell[data-source-id="{s}"]') for s in ("left", "right"))
    expect(page.locator(".stage-cell")).to_have_count(2)
    expect(left_cell.locator("g.roi")).to_have_count(1)
    expect(left_cell.locator('g.roi[data-roi-id="l1"]')).to_have_count(1)
    expect(right_cell.locator("g.roi")).to_have_count(2)
    expect(page.locator(".roi-item")).to_have_count(3)  # the list has every source's ROIs
    for cell in (left_cell, right_cell):
        expect(cell.locator("svg.stage-svg")).to_have_attribute("data-image", "loaded")

    # masks: the left source's two, drawn under its ROIs, none on the right source
    left_svg = left_cell.locator("svg.stage-svg")
    expect(left_svg).to_have_attribute("data-masks", "shown")
    expect(left_cell.locator("image.stage-mask")).to_have_count(2)
    expect(left_cell.locator('image.stage-mask[data-mask-id="cars"]')).to_have_attribute("data-state", "loaded")
    expect(left_cell.locator('image.stage-mask[data-mask-id="sky"]')).to_have_attribute("data-state", "loaded")
    expect(right_cell.locator("svg.stage-svg")).to_have_attribute("data-masks", "none")
    assert left_cell.evaluate("c => getComputedStyle(c.querySelector('.stage-masks')).opacity") == "0.5"
    page.click("#masks-toggle")
    expect(left_svg).to_have_attribute("data-masks", "hidden")
    expect(left_cell.locator("image.stage-mask").first).to_be_hidden()
    page.click("#masks-toggle")
    expect(left_svg).to_have_attribute("data-masks", "shown")
    expect(left_cell.locator("image.stage-mask").first).to_be_visible()

    # a ROI drawn on the right source belongs to it
    right_svg = '.stage-cell[data-source-id="right"] svg.stage-svg'
    page.click("#mode-rectangle")
    drag(page, (200, 200), (320, 300), svg=right_svg)
    expect(right_cell.locator("g.roi")).to_have_count(3)
    expect(left_cell.locator("g.roi")).to_have_count(1)
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    by_source = sorted((r["source_id"], r["roi_id"] in ("l1", "r1", "r2")) for r in ok(api.get(frame0))["rois"])
    assert by_source == [("left", True), ("right", False), ("right", True), ("right", True)]

    # back to tabs: one source at a time, remembered by the browser after a reload
    page.click("#source-layout-tabs")
    expect(area).to_have_attribute("data-layout", "tabs")
    expect(page.locator(".stage-cell")).to_have_count(1)
    expect(page.locator("#stage-svg g.roi")).to_have_count(1)  # the left source's car
    expect(page.locator("#stage-svg")).to_have_attribute("data-masks", "shown")
    page.click('.source-tab[data-source-id="right"]')
    expect(page.locator("#stage-svg g.roi")).to_have_count(3)
    expect(page.locator(".roi-item")).to_have_count(3)
    page.reload()
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(area).to_have_attribute("data-layout", "tabs")
    page.click("#source-layout-grid")
    expect(page.locator(".stage-cell")).to_have_count(2)
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
