"""Dense frames in the editor, in Debian's Chromium: on a frame of 2,000 ROIs (and one of 10,000), selecting by a
click, moving, reshaping, drawing, deleting and undoing save exactly the right ROIs; a click picks the topmost
shape that is really under the pointer (not just its box), also zoomed; the objects list shows the selected ROI
and, after "Show all", renders only the rows in view."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import (
    SCENE,
    annotated_dataset,
    center,
    drag,
    drag_page,
    new_page,
    ok,
    stage_point,
    wait_until_annotatable,
)

pytestmark = pytest.mark.e2e
SELECTED = re.compile(r"\bselected\b")
COLS, ROWS = 50, 40  # 2,000 cells of 12.8 x 12 image pixels over the 640 x 480 frame


def _grid(n: int, cols: int = COLS, rows: int = ROWS, top: float = 0, height: float = 480) -> list[dict[str, Any]]:
    """`n` small rectangles r0000 …, row by row, each inside its own cell of the given band of the frame."""
    w, h = 640 / cols, height / rows
    return [
        {
            "roi_id": f"r{i:04d}",
            "type": "rectangle",
            "points": [
                [(i % cols) * w + 2, top + (i // cols) * h + 2],
                [(i % cols + 1) * w - 2, top + (i // cols + 1) * h - 2],
            ],
            "labels": ["cell"],
        }
        for i in range(n)
    ]


def _centre(roi: dict[str, Any]) -> tuple[float, float]:
    (x1, y1), (x2, y2) = roi["points"][:2]
    return (x1 + x2) / 2, (y1 + y2) / 2


def _open(
    browser: Browser, system: LocalStack, user: str, rois: list[dict[str, Any]]
) -> tuple[Page, httpx.Client, str]:
    """An editor on a task over one frame holding `rois`; returns the page, an API client and the frame's URL."""
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=60)
    src = {"id": "cam", "uri": SCENE, "width": 640, "height": 480}
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [src], "rois": rois}])
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"dense {user}", "dataset_version_id": published["version_id"]}), 201
    )
    wait_until_annotatable(api, task, 1)
    page = new_page(browser, system.url, user)
    page.set_default_timeout(30_000)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    # bounds on waiting, not speed checks: a 10,000-ROI frame opens in ≈ 2 s here, longer on a loaded machine
    expect(page.locator("#frame-id")).to_have_text("f0", timeout=30_000)
    expect(page.locator("#stage-canvas")).to_have_attribute("data-rois", str(len(rois)), timeout=30_000)  # painted
    expect(page.locator("#stage-svg g.roi")).to_have_count(len(rois), timeout=30_000)
    return page, api, f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"


def _select(page: Page, at: tuple[float, float], roi_id: str | None) -> None:
    """Click the image point `at`: `roi_id` is selected in the frame and in the list (None: nothing is)."""
    page.mouse.click(*stage_point(page, *at))
    if roi_id is None:
        expect(page.locator("#stage-svg g.roi.selected")).to_have_count(0)
        expect(page.locator(".roi-item.selected")).to_have_count(0)
    else:
        expect(page.locator(f'#stage-svg g.roi.selected[data-roi-id="{roi_id}"]')).to_have_count(1)
        expect(page.locator(f'.roi-item[data-roi-id="{roi_id}"]')).to_have_class(SELECTED)
        expect(page.locator(f'.roi-item[data-roi-id="{roi_id}"]')).to_be_in_viewport()


def _flat(points: list[list[float]], dx: float = 0, dy: float = 0) -> list[float]:
    """x1, y1, x2, y2 … of points moved by (dx, dy)."""
    return [v for x, y in points for v in (x + dx, y + dy)]


def _attr_above(page: Page, roi_id: str, attr: str, value: float) -> None:
    """Wait until the rectangle of ROI `roi_id` has `attr` above `value` (the editor took the change)."""
    js = "([id, a, v]) => parseFloat(document.querySelector(`g.roi[data-roi-id='${id}'] rect`).getAttribute(a)) > v"
    page.wait_for_function(js, arg=[roi_id, attr, value])


def _save(page: Page, api: httpx.Client, frame: str) -> dict[str, list[list[float]]]:
    page.click("#save")
    # a bound on waiting, not a speed check: the answer carries the whole frame back (10,000 ROIs on a busy machine)
    expect(page.locator("#save-status")).to_have_text("Saved", timeout=30_000)
    return {r["roi_id"]: r["points"] for r in ok(api.get(frame))["rois"]}


def test_select_move_reshape_draw_delete_and_undo_on_2000_rois_save_exactly_those_changes(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    rois = _grid(2000)
    page, api, frame = _open(browser, system, f"dense-{unique}", rois)
    by_id = {r["roi_id"]: r for r in rois}

    _select(page, _centre(by_id["r1234"]), "r1234")  # far past the first 100 rows of the list

    (mx, my) = _centre(by_id["r0105"])
    drag(page, (mx, my), (mx + 30, my + 20))  # press on an unselected ROI and move it
    expect(page.locator('.roi-item[data-roi-id="r0105"]')).to_have_class(SELECTED)
    _attr_above(page, "r0105", "x", by_id["r0105"]["points"][0][0] + 29)

    _select(page, _centre(by_id["r1800"]), "r1800")
    corner = center(page, '#stage-handles circle.handle[data-handle="2"]')  # bottom-right: the top-left stays
    (x1, y1), (x2, y2) = by_id["r1800"]["points"]
    drag_page(page, corner, stage_point(page, x2 + 8, y2 + 6))
    _attr_above(page, "r1800", "width", x2 - x1 + 7)

    page.click("#mode-rectangle")
    drag(page, (300.5, 200.5), (360.5, 250.5))  # over other ROIs: a new one, on top
    expect(page.locator("#stage-svg g.roi")).to_have_count(2001)
    page.click("#mode-select")

    _select(page, _centre(by_id["r0500"]), "r0500")
    page.keyboard.press("Delete")
    expect(page.locator("#stage-svg g.roi")).to_have_count(2000)
    _select(page, _centre(by_id["r0600"]), "r0600")
    page.keyboard.press("Delete")
    expect(page.locator('g.roi[data-roi-id="r0600"]')).to_have_count(0)
    page.keyboard.press("Control+z")  # the delete is undone
    expect(page.locator('g.roi[data-roi-id="r0600"]')).to_have_count(1)

    saved = _save(page, api, frame)
    drawn = set(saved) - set(by_id)
    assert len(drawn) == 1 and _flat(saved[drawn.pop()]) == pytest.approx([300.5, 200.5, 360.5, 250.5], abs=0.5)
    assert "r0500" not in saved
    assert _flat(saved["r0105"]) == pytest.approx(_flat(by_id["r0105"]["points"], 30, 20), abs=0.5)
    assert _flat(saved["r1800"]) == pytest.approx([x1, y1, x2 + 8, y2 + 6], abs=0.5)
    changed = {"r0105", "r1800", "r0500"}
    assert {k: v for k, v in saved.items() if k in by_id and k not in changed} == {
        k: r["points"] for k, r in by_id.items() if k not in changed
    }  # every other ROI, r0600 too, exactly as it was
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_a_click_selects_the_topmost_shape_really_under_the_pointer_among_2000_also_zoomed(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    shapes = [
        {"roi_id": "under", "type": "rectangle", "points": [[100, 40], [300, 160]]},
        {"roi_id": "over", "type": "polygon", "points": [[150, 60], [280, 60], [215, 150]]},  # drawn after: on top
        {"roi_id": "ring", "type": "ellipse", "points": [[340, 40], [460, 160]]},
        {
            "roi_id": "notch",
            "type": "polygon",
            "points": [[500, 40], [620, 40], [620, 160], [500, 160], [500, 130], [590, 130], [590, 70], [500, 70]],
        },
        {"roi_id": "kp", "type": "keypoints", "points": [[40, 100]]},
    ]
    below = _grid(1995, cols=57, rows=35, top=200, height=280)  # the rest of the 2,000, under the test shapes
    page, api, _frame = _open(browser, system, f"hit-{unique}", [*below, *shapes])

    _select(page, (215, 100), "over")  # inside both: the later one
    _select(page, (110, 50), "under")  # inside the rectangle only
    _select(page, (345, 45), None)  # inside the ellipse's box, outside the ellipse: nothing there
    _select(page, (400, 100), "ring")
    _select(page, (540, 100), None)  # in the polygon's notch: outside it
    _select(page, (610, 100), "notch")
    _select(page, (40, 100), "kp")  # a key point
    _select(page, _centre(below[1000]), below[1000]["roi_id"])

    page.mouse.move(*stage_point(page, 215, 100))
    for _ in range(6):
        page.mouse.wheel(0, -100)  # zoom in around the pointer
    expect(page.locator("#stage-svg")).not_to_have_attribute("data-zoom", "1.00")
    _select(page, (200, 70), "over")
    _select(page, (290, 150), "under")
    _select(page, (150, 150), "under")  # below the triangle's edge
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_after_show_all_the_list_of_2000_renders_the_rows_in_view_and_follows_the_selection(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    rois = _grid(2000)
    page, api, frame = _open(browser, system, f"list-{unique}", rois)
    expect(page.locator(".roi-item")).to_have_count(100)
    page.click("#roi-list-more")
    expect(page.locator("#roi-list-more")).to_have_count(0)
    expect(page.locator("#roi-list.virtual")).to_be_visible()
    assert 0 < page.locator(".roi-item").count() < 60  # only the rows in (and near) the panel's view

    _select(page, _centre(rois[1500]), "r1500")  # far down the list: scrolled to and rendered
    row = page.locator('.roi-item[data-roi-id="r1501"]')
    row.locator(".kind").click()  # a click on a row (scrolled to) selects its ROI in the frame
    expect(page.locator('#stage-svg g.roi.selected[data-roi-id="r1501"]')).to_have_count(1)
    row.locator(".roi-label-input").fill("car")
    row.locator(".roi-label-input").press("Enter")
    expect(row.locator('.roi-label[data-label="car"]')).to_have_count(1)
    page.locator('.roi-item[data-roi-id="r1500"] .roi-delete').click()
    expect(page.locator('#stage-svg g.roi[data-roi-id="r1500"]')).to_have_count(0)
    expect(page.locator("aside.side h4").nth(1)).to_contain_text("Objects (1999)")

    page.evaluate("(() => { const s = document.querySelector('aside.side'); s.scrollTop = s.scrollHeight; })()")
    expect(page.locator('.roi-item[data-roi-id="r1999"]')).to_be_in_viewport()  # the list's end, rendered on scroll
    saved = _save(page, api, frame)
    assert len(saved) == 1999 and "r1500" not in saved
    labels = {r["roi_id"]: r["labels"] for r in ok(api.get(frame))["rois"]}
    assert labels["r1501"] == ["cell", "car"] and labels["r1502"] == ["cell"]
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_a_frame_of_10000_rois_opens_and_a_clicked_roi_is_moved_and_saved(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    rois = _grid(10_000, cols=125, rows=80)  # 5.1 x 6 image pixels each
    page, api, frame = _open(browser, system, f"big-{unique}", rois)
    target = rois[6789]
    _select(page, _centre(rois[1234]), "r1234")
    cx, cy = _centre(target)
    drag(page, (cx, cy), (cx + 20, cy + 10))  # press on another (tiny) ROI: it is selected and moved
    expect(page.locator('#stage-svg g.roi.selected[data-roi-id="r6789"]')).to_have_count(1)
    _attr_above(page, "r6789", "x", target["points"][0][0] + 19)
    saved = _save(page, api, frame)
    assert len(saved) == 10_000
    assert _flat(saved["r6789"]) == pytest.approx(_flat(target["points"], 20, 10), abs=0.5)
    assert saved["r6790"] == rois[6790]["points"]
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
