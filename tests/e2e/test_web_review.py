"""Review in Debian's Chromium: an annotator and a reviewer in two browser contexts — the annotator finishes a
frame, the reviewer pins a comment on it and rejects it, the annotator sees the reason and the comment in the
editor, resolves it and fixes the frame, the reviewer accepts both frames; the figures in the task's Info match."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import SCENE, drag, new_page, ok, stage_point, wait_until_annotatable

pytestmark = pytest.mark.e2e


def test_a_reviewer_rejects_with_a_pinned_comment_the_annotator_fixes_and_the_reviewer_accepts(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    lead = f"lead-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": lead}, timeout=30)
    ds = ok(api.post("/api/v1/datasets", json={"name": f"rv-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}), 201)
    src = [{"id": "cam", "uri": SCENE, "width": 640, "height": 480}]
    frames = [{"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src} for i in range(2)]
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    body = {"name": f"review {unique}", "dataset_version_id": v["version_id"], "review": {"mode": "all"}}
    task = ok(api.post("/api/v1/tasks", json=body), 201)  # reviewed from its first frame: no second call
    wait_until_annotatable(api, task, 2)
    tid = task["task_id"]

    anna = new_page(browser, system.url, f"anna-{unique}")
    anna.goto(f"/tasks/{tid}/annotate")
    expect(anna.locator("#frame-id")).to_have_text("f0")
    anna.click("#mode-rectangle")
    drag(anna, (100, 100), (140, 130))
    anna.keyboard.press("ArrowRight")  # saves f0, finishes it, leases f1
    expect(anna.locator("#frame-id")).to_have_text("f1")

    rex = new_page(browser, system.url, f"rex-{unique}")
    rex.context.add_init_script("localStorage.setItem('annostream.role', 'reviewer')")  # dev mode's role
    rex.goto(f"/tasks/{tid}/review")
    expect(rex.locator("#frame-id")).to_have_text("f0")
    expect(rex.locator("#review-annotator")).to_have_text(f"anna-{unique}")
    rex.locator("#review-title").click()
    rex.keyboard.press("c")  # the comment tool: the next click on the frame pins the comment there
    rex.mouse.click(*stage_point(rex, 300, 200))
    rex.fill("#comment-text", "the car has no box")
    rex.click("#comment-add")
    expect(rex.locator("#review-pins g.pin")).to_have_count(1)
    expect(rex.locator(".thread .comment-text")).to_have_text("the car has no box")
    rex.locator("#review-title").click()
    rex.keyboard.press("x")
    rex.fill("#reject-reason", "box too small")
    rex.click("#reject-confirm")
    expect(rex.locator("#review-empty")).to_be_visible()  # f1 is not finished yet

    anna.keyboard.press("ArrowRight")  # finishes f1; the rejected f0 comes back to her
    expect(anna.locator("#frame-id")).to_have_text("f0")
    expect(anna.locator("#review-rejected")).to_contain_text("box too small")
    expect(anna.locator("#review-notes .comment-text")).to_have_text("the car has no box")
    anna.locator("#review-notes .resolve").click()
    expect(anna.locator("#review-notes .thread.resolved")).to_have_count(1)
    anna.click("#mode-rectangle")
    drag(anna, (220, 300), (430, 400))
    anna.keyboard.press("ArrowRight")  # saves and finishes the fix: f0 goes back to review
    expect(anna.locator("#editor-empty")).to_be_visible()

    rex.click("#review-next")
    frame_id = rex.locator("#frame-id")
    expect(frame_id).not_to_have_text("")
    first = frame_id.inner_text()
    rex.locator("#review-title").click()
    rex.keyboard.press("a")
    expect(rex.locator("#review-status")).to_contain_text(f"Frame {first} accepted")
    expect(frame_id).not_to_have_text(first)
    expect(frame_id).not_to_have_text("")
    rex.click("#review-undo")  # the accept is undone: the frame is back on screen, leased to rex again
    expect(frame_id).to_have_text(first)
    expect(rex.locator("#review-status")).to_contain_text(f"Undid the decision on {first}")
    rex.locator("#review-title").click()
    rex.keyboard.press("a")
    expect(rex.locator("#review-status")).to_contain_text(f"Frame {first} accepted")
    expect(frame_id).not_to_have_text(first)
    expect(frame_id).not_to_have_text("")
    second = frame_id.inner_text()
    rex.locator("#review-title").click()
    rex.keyboard.press("a")
    expect(rex.locator("#review-empty")).to_be_visible()
    assert sorted([first, second]) == ["f0", "f1"]

    q = ok(api.get(f"/api/v1/tasks/{tid}/quality"))
    assert (q["task"]["accepted"], q["task"]["rejected"], q["task"]["open_comments"]) == (2, 1, 0)
    lead_page = new_page(browser, system.url, lead)
    lead_page.goto("/")
    card = lead_page.locator(".task-card", has_text=f"review {unique}")
    expect(card.locator(".task-stages")).to_have_text("2 accepted")  # progress by stage
    card.locator(".task-menu-button").click()
    card.locator(".menu-info").click()
    row = lead_page.locator(f'#quality tr[data-annotator="anna-{unique}"]')
    expect(row.locator(".q-accepted")).to_have_text("2")
    expect(row.locator(".q-rejected")).to_have_text("1")
    expect(row.locator(".q-rate")).to_have_text("67 %")
    for page in (anna, rex, lead_page):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_the_role_picker_my_reviews_filter_and_history_follow_a_task_created_with_review(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    # A team of its own: "my reviews" lists every task of the team with a frame waiting for the reviewer, and other
    # tests of the session (in any order) leave such tasks in the default team.
    lead, team = f"lead-{unique}", f"rp-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": lead, "X-Annostream-Team": team}, timeout=30)
    ds = ok(api.post("/api/v1/datasets", json={"name": f"rp-{uuid.uuid4().hex[:8]}"}), 201)
    v = ok(api.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}), 201)
    src = [{"id": "cam", "uri": SCENE, "width": 640, "height": 480}]
    frames = [{"id": f"f{i}", "context_id": "c", "timestamp": i, "sources": src} for i in range(2)]
    ok(api.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": frames}))
    quiet = ok(api.post("/api/v1/tasks", json={"name": f"quiet {unique}", "dataset_version_id": v["version_id"]}), 201)

    lead_page = new_page(browser, system.url, lead, team)
    lead_page.goto("/")
    lead_page.click("#new-annotation")  # NEW ANNOTATION with review: the settings travel with the task
    lead_page.fill("#task-name", f"checked {unique}")
    lead_page.select_option("#task-dataset", ds["dataset_id"])
    lead_page.select_option("#task-version", v["version_id"])
    lead_page.select_option("#review-mode", "all")
    lead_page.click("#new-task-create")
    card = lead_page.locator(".task-card", has_text=f"checked {unique}")
    expect(card).to_be_visible()
    tid = card.get_attribute("data-task-id") or ""
    wait_until_annotatable(api, ok(api.get(f"/api/v1/tasks/{tid}")), 2)
    assert ok(api.get(f"/api/v1/tasks/{tid}/review-settings"))["mode"] == "all"
    card.locator(".task-menu-button").click()
    expect(card.locator(".menu-complete")).to_be_visible()  # the owner (annotator role) may close their task
    expect(card.locator(".menu-review")).to_have_count(0)  # an annotator does not review

    anna = new_page(browser, system.url, f"anna-{unique}", team)
    anna.goto(f"/tasks/{tid}/annotate")
    expect(anna.locator("#frame-id")).to_have_text("f0")
    anna.click("#mode-rectangle")
    drag(anna, (100, 100), (140, 130))
    expect(anna.locator("g.roi.roi-rectangle")).to_have_count(1)  # drawn before it moves on
    anna.keyboard.press("ArrowRight")  # saves f0 and finishes it: to review at once
    expect(anna.locator("#frame-id")).to_have_text("f1")

    rex = new_page(browser, system.url, f"rex-{unique}", team)
    rex.goto("/")
    picker = rex.locator("#role-picker")
    expect(picker).to_have_value("annotator")
    expect(picker.locator("option")).to_have_text(["annotator", "reviewer", "admin"])  # the policy's roles
    rex.select_option("#role-picker", "reviewer")
    rex.reload()
    expect(picker).to_have_value("reviewer")  # kept (localStorage annostream.role)
    checked = rex.locator(f'.task-card[data-task-id="{tid}"]')
    checked.locator(".task-menu-button").click()
    expect(checked.locator(".menu-review")).to_be_visible()
    expect(checked.locator(".menu-complete")).to_have_count(0)  # a reviewer may not close a task (no manage)
    expect(checked.locator(".menu-delete")).to_have_count(0)
    rex.keyboard.press("Escape")
    expect(rex.locator(f'.task-card[data-task-id="{quiet["task_id"]}"]')).to_be_visible()
    rex.click("#my-reviews-toggle")
    expect(rex.locator("#my-reviews-toggle")).to_have_attribute("aria-pressed", "true")
    expect(rex.locator(".task-card")).to_have_count(1)  # only the task with a frame waiting for him
    expect(checked).to_be_visible()
    checked.locator(".task-menu-button").click()
    checked.locator(".menu-review").click()
    expect(rex.locator("#frame-id")).to_have_text("f0")
    rex.locator("#review-title").click()
    rex.keyboard.press("x")
    rex.fill("#reject-reason", "box too small")
    rex.click("#reject-confirm")
    expect(rex.locator("#review-empty")).to_be_visible()

    anna.keyboard.press("ArrowRight")  # finishes f1; the rejected f0 comes back to her
    expect(anna.locator("#frame-id")).to_have_text("f0")
    anna.locator("#history-panel summary").click()
    rejected = anna.locator("#history-entries .history-rejected")
    expect(rejected).to_have_count(1)
    expect(rejected.locator(".history-actor")).to_have_text(f"rex-{unique}")
    expect(rejected.locator(".history-what")).to_have_text("rejected it: box too small")
    kinds = anna.locator("#history-entries .history-entry")
    expect(kinds.first).to_have_attribute("data-kind", "rejected")  # newest first, beside her edits
    expect(anna.locator("#history-entries .history-requested .history-actor")).to_have_text(f"anna-{unique}")
    expect(anna.locator("#history-entries .history-edit .history-actor").first).to_have_text(f"anna-{unique}")
    expect(anna.locator("#history-entries .history-undo")).to_have_count(0)  # not her decision
    for page in (anna, rex, lead_page):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
