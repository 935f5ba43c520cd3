"""Frame editor controls of the product reference in Debian's Chromium: key points finished with the ✓ button,
the Default ROI Label(s) list, COPY ALL pasted on the same frame, deleting the ROI clicked in the frame with the
Delete key, autosave on every navigation control (→, next / previous annotated, jumps), hidden or locked ROIs
that cannot be modified, and closing the editor with unsaved edits (keep editing, or discard)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, drag, new_page, ok, stage_point, wait_until_annotatable

pytestmark = pytest.mark.e2e
SELECTED = re.compile(r"\bselected\b")


def _task(api: httpx.Client, name: str, frames: list[dict[str, Any]]) -> dict[str, Any]:
    """A task on a Draft version holding `frames` (annotated in place), ready to annotate."""
    ds = ok(api.post("/api/v1/datasets", json={"name": f"ctl-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}), 201)
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    task = ok(api.post("/api/v1/tasks", json={"name": name, "dataset_version_id": v["version_id"]}), 201)
    wait_until_annotatable(api, task, len(frames))
    return task


def _frames(n: int, rois: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    src = [{"id": "cam", "uri": SCENE, "width": 640, "height": 480}]
    return [
        {"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src, "rois": rois.get(i, [])} for i in range(n)
    ]


def _image_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of a point of the frame's image (the stage scales the image to fit)."""
    js = """([x, y]) => {
        const p = new DOMPoint(x, y).matrixTransform(document.querySelector('#stage-svg').getScreenCTM());
        return [p.x, p.y];
    }"""
    px, py = page.evaluate(js, [x, y])
    return px, py


def _frame_label(page: Page, label: str) -> None:
    page.locator(".frame-label-input").fill(label)
    page.locator(".frame-label-input").press("Enter")
    page.locator("#editor-title").click()  # keys go to the editor, not the label box


def test_check_button_default_labels_copy_all_on_the_same_frame_delete_key_and_autosave_on_every_control(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"ctl-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    car = {"roi_id": "car", "type": "rectangle", "points": [[10, 10], [100, 100]], "labels": ["car"]}
    task = _task(api, f"controls {unique}", _frames(5, {3: [car]}))
    url = f"/api/v1/versions/{task['annotated_version_id']}/frames"
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    frame_id = page.locator("#frame-id")
    expect(frame_id).to_have_text("f0")

    page.locator(".default-label-input").fill("tree")  # the Default ROI Label(s) list
    page.locator(".default-label-input").press("Enter")
    expect(page.locator('.default-label[data-label="tree"]')).to_be_visible()
    page.click("#mode-keypoints")
    page.mouse.click(*stage_point(page, 450, 300))
    page.mouse.click(*stage_point(page, 480, 330))
    page.click("#commit-shape")  # ✓ finishes the key points
    page.click("#mode-rectangle")
    drag(page, (100, 100), (250, 200))
    expect(page.locator("g.roi")).to_have_count(2)
    expect(page.locator('.roi-item .roi-label[data-label="tree"]')).to_have_count(2)
    page.click("#copy-all")
    expect(page.locator("#paste")).to_have_attribute("title", "Paste 2 ROI(s) copied from frame f0")
    page.click("#paste")  # onto the same frame
    expect(page.locator("g.roi")).to_have_count(4)
    page.click("#mode-select")
    rect = page.locator("g.roi.roi-rectangle").first.get_attribute("data-roi-id")
    page.mouse.click(*stage_point(page, 175, 150))  # the pasted rectangle lies on top of the copied one
    selected = page.locator(".roi-item.selected")
    expect(selected).not_to_have_attribute("data-roi-id", rect or "")  # the drawn one was selected until now
    pasted = selected.get_attribute("data-roi-id")
    assert pasted and page.locator(f'g.roi.roi-rectangle[data-roi-id="{pasted}"]').count() == 1
    page.keyboard.press("Delete")  # a ROI pasted in this batch: the paste is saved without it
    expect(page.locator("g.roi")).to_have_count(3)
    copy = page.locator(".roi-item").nth(2)  # the pasted key points, labelled before the paste is saved
    expect(copy.locator(".roi-lock")).to_be_disabled()  # locking waits for the saved paste's ids
    copy.locator(".roi-label-input").fill("copy")
    copy.locator(".roi-label-input").press("Enter")
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    rois = ok(api.get(f"{url}/f0"))["rois"]
    assert sorted((r["type"], tuple(r["labels"])) for r in rois) == [
        ("keypoints", ("tree",)),
        ("keypoints", ("tree", "copy")),
        ("rectangle", ("tree",)),
    ]
    assert pasted not in {r["roi_id"] for r in rois}
    history = ok(api.get(f"{url}/f0/events"))["events"]
    assert [e["data"]["copied_from"]["frame_id"] for e in history if "copied_from" in e["data"]] == ["f0"]

    # every navigation control saves the frame first
    _frame_label(page, "a")
    page.keyboard.press("ArrowRight")
    expect(frame_id).to_have_text("f1")
    _frame_label(page, "b")
    page.click("#next-annotated")
    expect(frame_id).to_have_text("f3")
    _frame_label(page, "c")
    page.click("#jump-back")
    expect(frame_id).to_have_text("f0")
    _frame_label(page, "d")
    page.click("#jump-forward")
    expect(frame_id).to_have_text("f4")
    _frame_label(page, "e")
    page.click("#prev-annotated")
    expect(frame_id).to_have_text("f3")
    saved = {f: ok(api.get(f"{url}/{f}"))["frame_labels"] for f in ("f0", "f1", "f3", "f4")}
    assert saved == {"f0": ["a", "d"], "f1": ["b"], "f3": ["c"], "f4": ["e"]}
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_hidden_or_locked_rois_refuse_metadata_delete_and_lock_all(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"lk-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    a = {"roi_id": "a", "type": "rectangle", "points": [[10, 10], [100, 100]], "labels": ["car"]}
    b = {"roi_id": "b", "type": "rectangle", "points": [[300, 300], [400, 400]], "labels": ["bus"]}
    task = _task(api, f"locks {unique}", _frames(1, {0: [a, b]}))
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    row_a, row_b = page.locator('.roi-item[data-roi-id="a"]'), page.locator('.roi-item[data-roi-id="b"]')

    row_a.locator(".roi-lock").click()
    expect(row_a.locator(".roi-metadata")).to_be_disabled()
    expect(row_a.locator(".roi-delete")).to_be_disabled()
    page.mouse.click(*_image_point(page, 50, 50))  # select the locked ROI in the frame
    expect(row_a).to_have_class(SELECTED)
    page.keyboard.press("Delete")
    expect(page.locator("#save-status")).to_have_text("The ROI “car” is locked: unlock it to delete it")
    expect(page.locator("g.roi")).to_have_count(2)

    page.mouse.click(*_image_point(page, 350, 350))
    expect(row_b).to_have_class(SELECTED)
    page.click("#hide-all")
    for control in ("#lock-all", "#unlock-all"):
        expect(page.locator(control)).to_be_disabled()
    for control in (".roi-metadata", ".roi-lock", ".roi-delete"):
        expect(row_b.locator(control)).to_be_disabled()
    page.locator("#editor-title").click()
    page.keyboard.press("Delete")
    expect(page.locator("#save-status")).to_have_text("The ROI “bus” is hidden: show it to delete it")
    page.click("#hide-all")
    expect(row_b.locator(".roi-metadata")).to_be_enabled()
    page.click("#save")  # only the lock was pending
    expect(page.locator("#save-status")).to_have_text("Saved")
    rois = ok(api.get(f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"))["rois"]
    assert [(r["roi_id"], r["locked"]) for r in rois] == [("a", True), ("b", False)]
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_closing_with_unsaved_edits_can_keep_editing_or_discard_them(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"cl-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    task = _task(api, f"close {unique}", _frames(1, {}))
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    _frame_label(page, "night")
    answers: list[bool] = []  # "Save them before closing?", then "Discard your unsaved changes?"

    def answer(d: Dialog) -> None:
        d.accept() if answers.pop(0) else d.dismiss()

    page.on("dialog", answer)
    answers[:] = [False, False]  # don't save, don't discard: keep editing
    page.click("#close-editor")
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    assert answers == []
    answers[:] = [False, True]  # don't save, discard
    page.click("#close-editor")
    expect(page.locator("#new-annotation")).to_be_visible()
    assert ok(api.get(f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"))["frame_labels"] == []
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
