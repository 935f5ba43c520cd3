"""The annotator's day in Chromium (issue 16): the NEW ANNOTATION dialog picks the Published source, forms and the
editor speak in sentences, ▶ after a jump goes on from there, popups close on Esc and outside clicks, Ctrl+C /
Ctrl+V copy ROIs with a toast, unsaved changes come back after a reload, and common labels get distinct colours."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from annostream_cli.stack import LocalStack

from .web_browser import annotated_dataset, new_page, ok, published_dataset, wait_until_annotatable

pytestmark = pytest.mark.e2e

SRC = [{"id": "cam", "uri": "file:///none.jpg", "width": 640, "height": 480}]


def _client(system: LocalStack, user: str) -> httpx.Client:
    return httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)


def _task(api: httpx.Client, name: str, frames: list[dict[str, Any]]) -> dict[str, Any]:
    _, published = annotated_dataset(api, frames)
    task = ok(api.post("/api/v1/tasks", json={"name": name, "dataset_version_id": published["version_id"]}), 201)
    wait_until_annotatable(api, task, len(frames))
    return task


def _frames(n: int, rois: dict[int, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    return [
        {"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": SRC, "rois": (rois or {}).get(i, [])}
        for i in range(n)
    ]


def _rect(roi_id: str, x: int, label: str) -> dict[str, Any]:
    return {"roi_id": roi_id, "type": "rectangle", "points": [[x, 10], [x + 80, 90]], "labels": [label]}


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement?.id || document.activeElement?.className || ''"))


def test_new_annotation_preselects_the_published_source_not_another_tasks_draft_child(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    api = _client(system, f"pre-{unique}")
    ds, published = published_dataset(api)
    # another task on the same source leaves a Draft child version (the newest version of the dataset)
    other = ok(
        api.post("/api/v1/tasks", json={"name": f"other {unique}", "dataset_version_id": published["version_id"]}), 201
    )
    assert other["annotated_version_id"] != published["version_id"]
    ok(api.delete(f"/api/v1/tasks/{other['task_id']}"), 204)
    assert api.get(f"/api/v1/versions/{other['annotated_version_id']}").status_code == 200  # created synchronously
    page = new_page(browser, system.url, f"pre-{unique}")
    page.goto("/")
    page.click("#new-annotation")
    page.select_option("#task-dataset", ds["dataset_id"])
    expect(page.locator(f'#task-version option[value="{other["annotated_version_id"]}"]')).to_have_count(1)
    expect(page.locator("#task-version")).to_have_value(published["version_id"])
    expect(page.locator("#version-hint")).to_have_attribute("data-status", "published")
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_new_task_form_says_what_is_wrong_in_sentences_before_sending(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    api = _client(system, f"val-{unique}")
    published_dataset(api)
    page = new_page(browser, system.url, f"val-{unique}")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/tasks") else None)
    page.goto("/")
    page.click("#new-annotation")
    page.click("#new-task-create")
    expect(page.locator('.field-error[data-field="name"]')).to_have_text("Give the task a name.")
    page.fill("#task-name", f"seed {unique}")
    page.select_option("#task-order", "random")
    page.fill("#task-seed", "4.5")
    page.click("#new-task-create")
    seed_error = page.locator('.field-error[data-field="iteration.random_seed"]')
    expect(seed_error).to_contain_text("whole number")
    page.fill("#task-clip-length", "two")
    page.click("#new-task-create")
    expect(page.locator('.field-error[data-field="iteration.clip_length"]')).to_contain_text("whole number")
    assert posts == []  # nothing was sent while the form had mistakes
    text = page.locator("#new-task-modal").inner_text()
    assert "should" not in text and "Input" not in text  # no validator wording
    assert page.errors == []  # type: ignore[attr-defined]


def test_next_after_a_jump_continues_forward_from_the_frame_on_screen(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"jmp-{unique}"
    api = _client(system, user)
    task = _task(api, f"jump {unique}", _frames(20, {12: [_rect("a", 10, "car")]}))
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    frame_id, position = page.locator("#frame-id"), page.locator("#frame-position")
    expect(frame_id).to_have_text("f0")
    page.click("#next-annotated")
    expect(position).to_have_text("13/20")
    page.click("#next-frame")  # not back to the next unclaimed frame (f1): on from 13
    expect(frame_id).to_have_text("f13")
    expect(position).to_have_text("14/20")
    page.click("#jump-forward")
    expect(position).to_have_text("20/20")
    page.click("#prev-frame")
    expect(frame_id).to_have_text("f18")
    page.reload()  # the URL keeps that the frame was reached by a jump
    expect(frame_id).to_have_text("f18")
    page.click("#next-frame")
    expect(frame_id).to_have_text("f19")
    assert page.locator("#next-annotated").get_attribute("title") == "Next frame that has annotations"
    expect(page.locator("#prev-annotated")).to_have_text("◀ Annotated")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_frame_opened_from_a_link_shows_its_position_in_the_task_not_zero_of_zero(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"lnk-{unique}"
    api = _client(system, user)
    task = _task(api, f"link {unique}", _frames(4))
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate?version={task['annotated_version_id']}&frame=f2")
    expect(page.locator("#frame-id")).to_have_text("f2")
    expect(page.locator("#frame-position")).to_have_text("3/4")  # located in the plan
    assert "0/0" not in page.locator("header.top").inner_text()
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_same_roi_conflict_names_the_label_and_the_other_annotator_not_internal_ids(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    bob_name, alice_name = f"bob-{unique}", f"alice-{unique}"
    bob_api, alice = _client(system, bob_name), _client(system, alice_name)
    task = _task(bob_api, f"conf {unique}", _frames(1, {0: [_rect("roi-internal-7", 10, "car")]}))
    page = new_page(browser, system.url, bob_name)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    row = page.locator('.roi-item[data-roi-id="roi-internal-7"]')
    row.click()
    page.locator("#editor-title").click()
    page.keyboard.press("Delete")
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    frame_url = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    version = ok(alice.get(frame_url))["version"]
    move = {"move_roi": {"roi_id": "roi-internal-7", "dx": 5, "dy": 5}}
    ok(
        alice.post(
            f"{frame_url}/save", json={"expected_version": version, "task_id": task["task_id"], "commands": [move]}
        )
    )
    page.click("#save")
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text(alice_name)
    expect(conflict).to_contain_text("“car”")
    shown = conflict.inner_text() + page.locator("#save-status").inner_text()
    assert "roi-internal-7" not in shown and "RoiMoved" not in shown and "version" not in shown.lower()
    assert page.errors == []  # type: ignore[attr-defined]


def test_popups_close_on_escape_and_outside_clicks_and_the_focus_returns(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"esc-{unique}"
    api = _client(system, user)
    task = _task(api, f"popups {unique}", _frames(1))
    page = new_page(browser, system.url, user)
    page.goto("/")
    card = page.locator(f'.task-card[data-task-id="{task["task_id"]}"]')
    menu_button = card.locator(".task-menu-button")
    menu_button.click()
    expect(card.locator(".menu")).to_be_visible()
    page.mouse.click(5, 300)  # outside the menu
    expect(card.locator(".menu")).to_have_count(0)
    menu_button.click()
    page.keyboard.press("Escape")
    expect(card.locator(".menu")).to_have_count(0)
    assert page.evaluate("() => document.activeElement.classList.contains('task-menu-button')")

    page.locator("#new-annotation").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#new-task-modal")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#new-task-modal")).to_have_count(0)
    assert _focused(page) == "new-annotation"

    menu_button.click()
    card.locator(".menu-info").click()
    expect(page.locator("#task-info")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#task-info")).to_have_count(0)
    assert page.evaluate("() => document.activeElement.classList.contains('task-menu-button')")

    card.click()
    expect(page.locator("#frame-id")).to_have_text("f0")
    page.locator("#help").click()
    expect(page.locator("#help-overlay")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help-overlay")).to_have_count(0)
    assert _focused(page) == "help"
    assert page.errors == []  # type: ignore[attr-defined]


def test_ctrl_c_and_ctrl_v_copy_and_paste_the_selected_roi_with_a_toast(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"cv-{unique}"
    api = _client(system, user)
    task = _task(api, f"copy {unique}", _frames(2, {0: [_rect("a", 10, "car")]}))
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    page.locator('.roi-item[data-roi-id="a"]').click()
    page.keyboard.press("Control+c")
    expect(page.locator("#toast")).to_contain_text("Copied 1 ROI")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#frame-id")).to_have_text("f1")
    page.keyboard.press("Control+v")
    expect(page.locator("#toast")).to_contain_text("Pasted 1 ROI")
    expect(page.locator(".roi-item")).to_have_count(1)
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_have_text("Saved")
    rois = ok(api.get(f"/api/v1/versions/{task['annotated_version_id']}/frames/f1"))["rois"]
    assert [(r["labels"], r["points"]) for r in rois] == [(["car"], [[10, 10], [90, 90]])]
    assert page.errors == []  # type: ignore[attr-defined]


def test_unsaved_changes_are_offered_back_after_a_reload_and_can_be_restored_or_discarded(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"dr-{unique}"
    api = _client(system, user)
    task = _task(api, f"draft {unique}", _frames(1, {0: [_rect("a", 10, "car")]}))
    page = new_page(browser, system.url, user)
    page.on("dialog", lambda d: d.accept())  # the browser's "leave the page?" before a reload
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("#frame-id")).to_have_text("f0")
    page.locator(".frame-label-input").fill("night")
    page.locator(".frame-label-input").press("Enter")
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    page.reload()
    expect(page.locator("#draft-offer")).to_contain_text("1 unsaved change(s)")
    expect(page.locator(".chip.frame-label")).to_have_count(0)  # nothing applied until asked
    page.click("#draft-restore")
    expect(page.locator('.chip.frame-label[data-label="night"]')).to_be_visible()
    expect(page.locator("#save-status")).to_have_text("1 unsaved change(s)")
    page.click("#save")
    expect(page.locator("#save-status")).to_have_text("Saved")
    frame_url = f"/api/v1/versions/{task['annotated_version_id']}/frames/f0"
    assert ok(api.get(frame_url))["frame_labels"] == ["night"]
    page.reload()
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#draft-offer")).to_have_count(0)  # a saved batch is not offered again

    page.locator(".frame-label-input").fill("rain")
    page.locator(".frame-label-input").press("Enter")
    page.reload()
    page.click("#draft-discard")
    expect(page.locator("#draft-offer")).to_have_count(0)
    page.reload()
    expect(page.locator("#frame-id")).to_have_text("f0")
    expect(page.locator("#draft-offer")).to_have_count(0)
    assert ok(api.get(frame_url))["frame_labels"] == ["night"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_common_labels_get_distinct_automatic_colours_and_a_bigger_colour_dot(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"col-{unique}"
    api = _client(system, user)
    labels = ["car", "vehicle", "person", "traffic-sign"]
    rois = [_rect(f"r{i}", 10 + 120 * i, label) for i, label in enumerate(labels)]
    task = _task(api, f"colours {unique}", _frames(1, {0: rois}))
    page = new_page(browser, system.url, user)
    page.goto(f"/tasks/{task['task_id']}/annotate")
    expect(page.locator("g.roi")).to_have_count(4)
    colours = {
        label: page.locator(f'.roi-item .roi-label[data-label="{label}"] .label-color').input_value()
        for label in labels
    }
    assert len(set(colours.values())) == 4, colours
    dot = page.locator('.roi-item .roi-label[data-label="car"] .dot').bounding_box()
    assert dot is not None and dot["width"] >= 14
    page.reload()  # stable: the same label, the same colour
    expect(page.locator('.roi-item .roi-label[data-label="car"] .label-color')).to_have_value(colours["car"])
    assert page.errors == []  # type: ignore[attr-defined]
