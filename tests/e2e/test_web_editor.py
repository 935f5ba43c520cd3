"""The frame editor in Debian's Chromium: every shape, move, lock, metadata, delete, copy/paste, frame labels
and metadata, undo/redo; then complete and delete the task from its card menu; reshaping a polygon by a vertex;
resizing an ellipse by a corner of its box."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

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
    published_dataset,
    stage_point,
    wait_until_annotatable,
)

pytestmark = pytest.mark.e2e


def _click(page: Page, x: float, y: float) -> None:
    page.mouse.click(*stage_point(page, x, y))


def _label(page: Page, roi_id: str, label: str) -> None:
    box = page.locator(f'.roi-item[data-roi-id="{roi_id}"] .roi-label-input')
    box.fill(label)
    box.press("Enter")


def _saved(page: Page) -> None:
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")


def test_shapes_edits_copy_paste_frame_labels_undo_then_complete_and_delete(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"ed-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    media = Path(system.env["ANNOSTREAM_MEDIA_ROOTS"]) / f"scene-{unique}.svg"
    media.write_text(unquote(SCENE.removeprefix("data:image/svg+xml,")))
    _ds, published = published_dataset(api, uris=[f"file://{media}", f"file://{media}"])
    body = {"name": f"shapes {unique}", "dataset_version_id": published["version_id"], "default_labels": ["obj"]}
    task = ok(api.post("/api/v1/tasks", json=body), 201)
    frame0 = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    wait_until_annotatable(api, task, 2)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#stage-svg")).to_have_attribute("data-image", "loaded")  # local media via the gateway

    page.click("#mode-rectangle")
    drag(page, (100, 100), (250, 200))
    page.click("#mode-ellipse")
    drag(page, (300, 100), (400, 180))
    page.click("#mode-polygon")
    for x, y in [(100, 300), (200, 300), (150, 380)]:
        _click(page, x, y)
    _click(page, 100, 300)  # the first vertex closes the polygon
    page.click("#mode-keypoints")
    _click(page, 450, 300)
    _click(page, 480, 330)
    page.keyboard.press("Enter")
    expect(page.locator("g.roi")).to_have_count(4)
    kinds = ["rectangle", "ellipse", "polygon", "keypoints"]
    for kind in kinds:
        expect(page.locator(f"g.roi.roi-{kind}")).to_have_count(1)
    ids = {k: page.locator(f"g.roi.roi-{k}").get_attribute("data-roi-id") or "" for k in kinds}
    _label(page, ids["polygon"], "tree")
    _saved(page)
    state = ok(api.get(frame0))
    assert sorted(r["type"] for r in state["rois"]) == sorted(kinds)
    assert all("obj" in r["labels"] for r in state["rois"])  # the task's default ROI label
    assert next(r for r in state["rois"] if r["type"] == "polygon")["labels"] == ["obj", "tree"]
    kp = next(r for r in state["rois"] if r["type"] == "keypoints")
    assert len(kp["points"]) == 2

    rect = ids["rectangle"]
    before = next(r for r in state["rois"] if r["roi_id"] == rect)["points"]
    page.click("#mode-select")
    drag(page, (175, 150), (215, 170))  # move by drag
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    handle = page.locator('#stage-handles circle.handle[data-handle="2"]')
    expect(handle).to_be_visible()
    corner = handle.bounding_box()
    assert corner is not None  # the selected ROI shows its vertices: drag one to resize
    page.mouse.move(corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2)
    page.mouse.down()
    page.mouse.move(corner["x"] + 30, corner["y"] + 20)
    page.mouse.move(corner["x"] + 60, corner["y"] + 40)
    page.mouse.up()
    page.locator(f'.roi-item[data-roi-id="{rect}"] .roi-lock').click()
    drag(page, (215, 170), (260, 230))  # locked: refused
    expect(page.locator("#save-status")).to_contain_text("is locked")
    _saved(page)
    moved = next(r for r in ok(api.get(frame0))["rois"] if r["roi_id"] == rect)
    assert moved["locked"] is True
    assert moved["points"][0][0] > before[0][0] and moved["points"][0][1] > before[0][1]
    width = lambda pts: pts[1][0] - pts[0][0]  # noqa: E731
    assert width(moved["points"]) > width(before) + 20
    page.locator(f'.roi-item[data-roi-id="{rect}"] .roi-lock').click()  # unlock again

    page.locator(f'.roi-item[data-roi-id="{ids["ellipse"]}"] .roi-metadata').click()
    page.fill("#json-text", "{not json")
    page.click("#json-save")
    expect(page.locator('#json-modal .field-error[data-field="metadata"]')).to_be_visible()
    page.fill("#json-text", '{"occluded": true}')
    page.click("#json-save")
    page.locator(f'.roi-item[data-roi-id="{ids["keypoints"]}"] .roi-delete').click()
    page.locator(".frame-label-input").fill("day")
    page.locator(".frame-label-input").press("Enter")
    page.click("#frame-metadata-edit")
    page.fill("#json-text", '{"weather": "rain"}')
    page.click("#json-save")
    expect(page.locator('.frame-label[data-label="day"]')).to_be_visible()
    page.click("#undo")
    expect(page.locator("#frame-metadata")).not_to_contain_text("rain")
    page.click("#redo")
    expect(page.locator("#frame-metadata")).to_contain_text("rain")
    page.locator("#editor-title").click()
    page.keyboard.press("Control+z")
    expect(page.locator("#frame-metadata")).not_to_contain_text("rain")
    page.keyboard.press("Control+y")
    _saved(page)
    state = ok(api.get(frame0))
    assert state["frame_labels"] == ["day"] and state["metadata"] == {"weather": "rain"}
    assert next(r for r in state["rois"] if r["roi_id"] == ids["ellipse"])["metadata"] == {"occluded": True}
    assert {r["type"] for r in state["rois"]} == {"rectangle", "ellipse", "polygon"}

    page.locator(f'.roi-item[data-roi-id="{ids["polygon"]}"] .roi-copy').click()
    page.click("#next-frame")
    expect(page.locator("#frame-id")).to_have_text("f1")
    page.click("#paste")
    page.click("#paste")  # repeatable
    expect(page.locator("g.roi.roi-polygon")).to_have_count(2)
    page.keyboard.press("ArrowLeft")  # autosaves f1, back to f0
    expect(page.locator("#frame-id")).to_have_text("f0")
    pasted = ok(api.get(frame0.replace("/f0", "/f1")))["rois"]
    assert [r["labels"] for r in pasted] == [["obj", "tree"], ["obj", "tree"]]
    assert pasted[0]["points"] == next(r for r in state["rois"] if r["type"] == "polygon")["points"]

    page.click("#close-editor")
    card = page.locator(f'.task-card[data-task-id="{task["task_id"]}"]')
    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    expect(page.locator("#task-info .info-annotated-version")).to_contain_text(f"shapes {unique}")
    page.click("#task-info-close")
    card.locator(".task-menu-button").click()
    card.locator(".menu-complete").click()
    expect(card).to_have_count(0)
    page.click("#status-toggle [data-value=completed]")
    expect(card.locator(".task-status")).to_have_text("completed")
    card.locator(".task-menu-button").click()
    card.locator(".menu-delete").click()
    page.click("#confirm-delete-yes")
    expect(card).to_have_count(0)
    assert api.get(f"/api/v1/tasks/{task['task_id']}").status_code == 404
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_dragging_a_vertex_of_a_selected_polygon_reshapes_it_and_the_shape_survives_a_reload(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"rs-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    triangle = [[100.0, 300.0], [300.0, 300.0], [200.0, 100.0]]
    roi = {"roi_id": "tri", "type": "polygon", "points": triangle, "labels": ["roof"]}
    src = {"id": "cam", "uri": SCENE, "width": 640, "height": 480}
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [src], "rois": [roi]}])
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"reshape {unique}", "dataset_version_id": published["version_id"]}),
        201,
    )
    frame0 = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    wait_until_annotatable(api, task, 1)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")

    page.locator('.roi-item[data-roi-id="tri"]').click()  # select: its vertices become handles
    handles = page.locator("#stage-handles circle.handle")
    expect(handles).to_have_count(3)
    apex = handles.nth(2)
    before = (float(apex.get_attribute("cx") or 0), float(apex.get_attribute("cy") or 0))
    assert before == (200.0, 100.0)
    start = center(page, '#stage-handles circle.handle[data-handle="2"]')
    scale = page.evaluate("() => document.querySelector('#stage-svg').getScreenCTM().a")  # screen px per image px
    drag_page(page, start, (start[0] + 60 * scale, start[1] - 40 * scale))  # apex 60 right, 40 up
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    _saved(page)
    saved = ok(api.get(frame0))["rois"][0]["points"]
    assert saved[:2] == triangle[:2]  # the other vertices stay
    assert saved[2] == pytest.approx([260.0, 60.0], abs=1.5)

    page.reload()
    expect(page.locator("#frame-id")).to_have_text("f0")
    polygon = page.locator('g.roi[data-roi-id="tri"] polygon')
    points = [tuple(float(v) for v in p.split(",")) for p in (polygon.get_attribute("points") or "").split()]
    assert points[:2] == [(100.0, 300.0), (300.0, 300.0)]
    assert points[2] == pytest.approx((260.0, 60.0), abs=1.5)
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_dragging_a_corner_handle_of_a_selected_ellipse_resizes_its_box_and_keeps_the_opposite_corner(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"el-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    roi = {"roi_id": "wheel", "type": "ellipse", "points": [[200.0, 150.0], [400.0, 250.0]], "labels": ["wheel"]}
    src = {"id": "cam", "uri": SCENE, "width": 640, "height": 480}
    _ds, published = annotated_dataset(api, [{"id": "f0", "sources": [src], "rois": [roi]}])
    task = ok(
        api.post("/api/v1/tasks", json={"name": f"ellipse {unique}", "dataset_version_id": published["version_id"]}),
        201,
    )
    frame0 = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    wait_until_annotatable(api, task, 1)
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")

    page.locator('.roi-item[data-roi-id="wheel"]').click()  # select: the four corners of its box become handles
    handles = page.locator("#stage-handles circle.handle")
    expect(handles).to_have_count(4)
    corner = handles.nth(0)
    assert (float(corner.get_attribute("cx") or 0), float(corner.get_attribute("cy") or 0)) == (200.0, 150.0)
    start = center(page, '#stage-handles circle.handle[data-handle="0"]')
    scale = page.evaluate("() => document.querySelector('#stage-svg').getScreenCTM().a")  # screen px per image px
    drag_page(page, start, (start[0] - 40 * scale, start[1] - 30 * scale))  # top-left corner 40 left, 30 up
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    _saved(page)
    saved = ok(api.get(frame0))["rois"][0]
    assert saved["type"] == "ellipse" and saved["labels"] == ["wheel"]
    assert saved["points"][0] == pytest.approx([160.0, 120.0], abs=1.5)
    assert saved["points"][1] == [400.0, 250.0]  # the opposite corner stays

    ellipse = page.locator('g.roi[data-roi-id="wheel"] ellipse')  # drawn in the resized box
    geometry = [float(ellipse.get_attribute(a) or 0) for a in ("cx", "cy", "rx", "ry")]
    assert geometry == pytest.approx([280.0, 185.0, 120.0, 65.0], abs=1)
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
