"""The Annotations page in Debian's Chromium, as the product reference describes it: Team / My work with a
teammate's task, the card menu's Annotate, Info (versions, filters, iteration), Complete and Reopen (refused, saying
what to do, once the version is published), and a task made in the + NEW ANNOTATION modal on a Draft version with
Empty Frames, random order and clips."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import new_page, ok, published_dataset

pytestmark = pytest.mark.e2e


def test_team_work_lists_a_teammates_task_my_work_hides_it_and_the_card_menu_annotates_it(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    me, mate = f"me-{unique}", f"mate-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": me}, timeout=30)
    teammate = httpx.Client(base_url=system.url, headers={"X-Annostream-User": mate}, timeout=30)
    ds, published = published_dataset(api, frames=1)
    body = {"dataset_version_id": published["version_id"]}
    mine = ok(api.post("/api/v1/tasks", json={**body, "name": f"mine {unique}"}), 201)
    theirs = ok(teammate.post("/api/v1/tasks", json={**body, "name": f"theirs {unique}"}), 201)
    page = new_page(browser, system.url, me)
    page.goto("/")
    page.select_option("#dataset-filter", ds["dataset_id"])
    names = page.locator(".task-card .task-name")
    expect(names).to_have_text([f"theirs {unique}", f"mine {unique}"])  # Team work (the default), RECENT
    expect(page.locator(f'.task-card[data-task-id="{theirs["task_id"]}"] .task-owner')).to_have_text(mate)
    page.click("#scope-toggle [data-value=mine]")
    expect(names).to_have_text([f"mine {unique}"])
    expect(page.locator(".task-card")).to_have_attribute("data-task-id", mine["task_id"])
    page.click("#scope-toggle [data-value=team]")
    card = page.locator(f'.task-card[data-task-id="{theirs["task_id"]}"]')
    card.locator(".task-menu-button").click()
    card.locator(".menu-annotate").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{theirs['task_id']}/annotate\b"))
    expect(page.locator("#editor-title")).to_have_text(f"theirs {unique}")
    expect(page.locator("#frame-id")).to_have_text("f0")
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
    teammate.close()


def test_a_modal_task_on_a_draft_version_with_empty_frames_and_clips_annotates_it_in_place_and_info_shows_it(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"draft-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds = ok(api.post("/api/v1/datasets", json={"name": f"draft-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": f"draft {unique}"}), 201)
    src = [{"id": "cam", "uri": "file:///none.jpg", "width": 640, "height": 480}]
    roi = {"type": "rectangle", "points": [[10, 10], [100, 100]], "labels": ["car"]}
    frames = [
        {"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src, "rois": [roi] if i == 1 else []}
        for i in range(4)
    ]
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    page = new_page(browser, system.url, user)
    page.goto("/")
    page.click("#new-annotation")
    page.fill("#task-name", f"empties {unique}")
    page.select_option("#task-dataset", ds["dataset_id"])
    page.select_option("#task-version", v["version_id"])
    expect(page.locator("#version-hint")).to_have_attribute("data-status", "draft")
    expect(page.locator("#version-hint")).to_contain_text("annotated in place")
    page.check('input[name="filter-mode"][value="empty"]')
    page.select_option("#task-order", "random")
    page.fill("#task-seed", "5")
    page.fill("#task-clip-length", "2")
    page.click("#new-task-create")
    expect(page.locator("#new-task-modal")).to_have_count(0)

    card = page.locator(".task-card", has_text=f"empties {unique}")
    expect(card.locator(".task-version")).to_contain_text(f"{ds['name']} / draft {unique}")  # no child version
    task_id = card.get_attribute("data-task-id")
    task = ok(api.get(f"/api/v1/tasks/{task_id}"))
    assert task["annotated_version_id"] == task["source_version_id"] == v["version_id"]
    assert task["selection"]["mode"] == "empty"
    assert task["iteration"] == {"order": "random", "random_seed": 5, "limit": 0, "clip_length": 2}
    deadline = time.monotonic() + 15
    while (p := api.get(f"/api/v1/tasks/{task_id}/progress")).status_code != 200 or p.json()["total"] != 3:
        assert time.monotonic() < deadline, p.text  # the three frames without ROIs
        time.sleep(0.1)

    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    info = page.locator("#task-info")
    expect(info.locator(".info-source-version")).to_contain_text(f"draft {unique} (draft, 4 frames)")
    expect(info.locator(".info-annotated-version")).to_contain_text(f"draft {unique} (draft, 4 frames)")
    expect(info.locator(".info-filters")).to_have_text("Empty frames")
    expect(info.locator(".info-order")).to_have_text("random (seed 5)")
    expect(info.locator(".info-repetition")).to_have_text("each frame once")
    expect(info.locator(".info-clip-length")).to_have_text("2")
    expect(info.locator(".info-progress")).to_have_text("0/3")
    page.click("#task-info-close")

    card.locator(".task-menu-button").click()
    card.locator(".menu-complete").click()
    expect(card).to_have_count(0)
    page.click("#status-toggle [data-value=completed]")
    card.locator(".task-menu-button").click()
    card.locator(".menu-reopen").click()  # back to Active: it leaves the Completed list
    expect(card).to_have_count(0)
    page.click("#status-toggle [data-value=active]")
    expect(card.locator(".task-status")).to_have_text("active")

    # Completed again and its version published: Reopen is refused, and the card says what to do instead.
    ok(api.post(f"/api/v1/tasks/{task_id}/complete"))
    ok(api.post(f"/api/v1/versions/{v['version_id']}/publish"))
    page.click("#status-toggle [data-value=completed]")
    card.locator(".task-menu-button").click()
    card.locator(".menu-reopen").click()
    expect(card.locator(".task-error")).to_have_text(
        re.compile(r"cannot be reopened: start a new task on that version")
    )
    expect(card.locator(".task-status")).to_have_text("completed")
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
