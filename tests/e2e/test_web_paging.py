"""The Annotations page pages through the task list in Debian's Chromium: it shows the first page and "Load more"
appends the next ones (cursor paging of ListTasks) until every task is listed once, in the chosen order."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, expect

from annostream_cli.stack import LocalStack

from .web_browser import new_page, ok, published_dataset

pytestmark = pytest.mark.e2e


def test_load_more_lists_every_task_once_page_by_page(browser: Browser, system: LocalStack, unique: str) -> None:
    user = f"pg-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds, published = published_dataset(api, frames=1)
    names = [f"t{i} {unique}" for i in range(5)]
    for name in names:
        ok(api.post("/api/v1/tasks", json={"name": name, "dataset_version_id": published["version_id"]}), 201)
    deadline = time.monotonic() + 15  # every task planned (1 frame), as the list's progress says
    planned = {"done": 0, "total": 1, "known": True, "plan_pending": False, "in_review": 0, "accepted": 0}
    while any(t["progress"] != planned for t in ok(api.get("/api/v1/tasks", params={"scope": "mine"}))["tasks"]):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    page = new_page(browser, system.url, user)
    # the cards take their progress and version names from the list: no request per card (nor per dataset)
    card_reads: list[str] = []
    per_card = r"/api/v1/(tasks/[^/?]+|datasets/[^/?]+/versions)$"
    page.on("request", lambda r: card_reads.append(r.url) if re.search(per_card, r.url) else None)
    page.goto("/?page_size=2")  # small pages, so five tasks take three
    page.select_option("#dataset-filter", ds["dataset_id"])
    cards = page.locator(".task-card .task-name")
    expect(cards).to_have_text(names[::-1][:2])  # RECENT: newest first
    expect(page.locator("#task-count")).to_have_text("2 of 5 tasks")
    page.click("#load-more")
    expect(cards).to_have_text(names[::-1][:4])
    page.click("#load-more")
    expect(cards).to_have_text(names[::-1])
    expect(page.locator("#task-count")).to_have_text("5 of 5 tasks")
    expect(page.locator("#load-more")).to_have_count(0)  # the last page has no cursor
    expect(page.locator(".task-card .task-progress")).to_have_text(["0/1 frames"] * 5)
    expect(page.locator(".task-card .task-version").first).to_contain_text(f"{ds['name']} / {names[-1]}")
    assert card_reads == []

    page.click("#sort-toggle [data-value=name]")  # new view options start from the first page again
    expect(cards).to_have_text(names[:2])
    page.click("#load-more")
    page.click("#load-more")
    expect(cards).to_have_text(names)

    card = page.locator(".task-card", has_text=names[2])  # completing a task takes it out of the loaded list
    card.locator(".task-menu-button").click()
    card.locator(".menu-complete").click()
    expect(cards).to_have_text(names[:2] + names[3:])
    expect(page.locator("#task-count")).to_have_text("4 of 4 tasks")
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()


def test_recent_lists_the_last_changed_task_first_as_the_cards_show_the_update_time(
    browser: Browser, system: LocalStack, unique: str
) -> None:
    user = f"rc-{unique}"
    api = httpx.Client(base_url=system.url, headers={"X-Annostream-User": user}, timeout=30)
    ds, published = published_dataset(api, frames=1)
    names = [f"r{i} {unique}" for i in range(3)]
    tasks = [
        ok(api.post("/api/v1/tasks", json={"name": n, "dataset_version_id": published["version_id"]}), 201)
        for n in names
    ]
    ok(api.post(f"/api/v1/tasks/{tasks[0]['task_id']}/complete"))  # the oldest task changes last
    ok(api.post(f"/api/v1/tasks/{tasks[0]['task_id']}/reopen"))
    page = new_page(browser, system.url, user)
    page.goto("/")
    page.select_option("#dataset-filter", ds["dataset_id"])
    expect(page.locator(".task-card .task-name")).to_have_text([names[0], names[2], names[1]])
    updated = [c.get_attribute("title") or "" for c in page.locator(".task-card .task-updated").all()]
    assert updated == sorted(updated, reverse=True)  # the times the cards show, newest first
    assert page.errors == []  # type: ignore[attr-defined]
    api.close()
