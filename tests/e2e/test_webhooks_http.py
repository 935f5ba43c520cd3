"""Webhooks through the gateway, against real HTTP receivers on loopback: signed CloudEvents, order per frame,
at-least-once across a receiver outage, team scoping, dead-lettering and re-sending, the address policy."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack

from ..webhook_receiver import Received, Receiver, verify

pytestmark = pytest.mark.e2e
SECRET = "test-secret-0123456789abcdef"


def _client(system: LocalStack, team: str, role: str = "admin", user: str = "lead") -> httpx.Client:
    headers = {"X-Annostream-User": user, "X-Annostream-Team": team, "X-Annostream-Role": role}
    return httpx.Client(base_url=system.url, headers=headers, timeout=30)


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture
def team_a(system: LocalStack) -> Iterator[httpx.Client]:
    with _client(system, f"wa-{uuid.uuid4().hex[:8]}") as c:
        yield c


def _frames_version(c: httpx.Client, frames: list[str]) -> tuple[str, str]:
    """A dataset with one Draft version holding `frames`, each readable by the annotation service."""
    ds = _ok(c.post("/api/v1/datasets", json={"name": f"hooks-{uuid.uuid4().hex[:6]}"}), 201)
    v = _ok(c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v1"}), 201)
    body = {"frames": [{"id": f, "sources": [{"uri": f"s3://b/{f}.jpg", "width": 64, "height": 48}]} for f in frames]}
    _ok(c.post(f"/api/v1/versions/{v['version_id']}/frames", json=body))
    for f in frames:
        deadline = time.monotonic() + 30
        while c.get(f"/api/v1/versions/{v['version_id']}/frames/{f}").status_code != 200:
            assert time.monotonic() < deadline, "the annotation service never learned the frame"
            time.sleep(0.05)
    return ds["dataset_id"], v["version_id"]


def _save(c: httpx.Client, version_id: str, frame: str, version: int, *commands: dict[str, Any]) -> dict[str, Any]:
    url = f"/api/v1/versions/{version_id}/frames/{frame}/save"
    return _ok(c.post(url, json={"expected_version": version, "commands": list(commands)}))


def _edit(c: httpx.Client, version_id: str, frames: list[str], rounds: int) -> list[str]:
    """Draw a box on each frame, then move it `rounds` times, frames interleaved; the event ids of every save."""
    ids: list[str] = []
    at = dict.fromkeys(frames, 0)
    for f in frames:
        roi = {"roi_id": "r", "type": "rectangle", "points": [[1, 1], [9, 9]], "labels": ["car"]}
        got = _save(c, version_id, f, at[f], {"create_roi": {"roi": roi}})
        at[f], ids = got["frame"]["version"], ids + got["event_ids"]
    for _ in range(rounds):
        for f in frames:
            got = _save(c, version_id, f, at[f], {"move_roi": {"roi_id": "r", "dx": 1, "dy": 0}})
            at[f], ids = got["frame"]["version"], ids + got["event_ids"]
    return ids


def _register(c: httpx.Client, url: str, **body: Any) -> dict[str, Any]:
    return _ok(c.post("/api/v1/webhooks", json={"url": url, "secret": SECRET, **body}), 201)


def _ids(received: list[Received]) -> set[str]:
    return {r.event["id"] for r in received}


def _first_arrivals(received: list[Received]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for r in received:
        if r.event["id"] not in seen:
            seen.add(r.event["id"])
            out.append(r.event)
    return out


def _deliveries(c: httpx.Client, webhook_id: str, state: str | None = None) -> list[dict[str, Any]]:
    params = {"state": state} if state else {}
    return _ok(c.get(f"/api/v1/webhooks/{webhook_id}/deliveries", params=params))["deliveries"]


def test_a_webhook_gets_its_teams_events_as_signed_cloudevents_in_order_per_frame_and_never_another_teams(
    system: LocalStack, team_a: httpx.Client, receiver: Receiver
) -> None:
    other = Receiver().start()
    try:
        with _client(system, f"wb-{uuid.uuid4().hex[:8]}") as team_b:
            hook = _register(team_a, receiver.url, description="all of team A")
            assert hook["secret"] == SECRET and hook["secret_hint"] == SECRET[-4:] and hook["enabled"]
            _register(team_b, other.url)
            dataset_id, version_id = _frames_version(team_a, ["f1", "f2"])
            saved = _edit(team_a, version_id, ["f1", "f2"], rounds=4)
            b_dataset, b_version = _frames_version(team_b, ["g1"])
            b_saved = _edit(team_b, b_version, ["g1"], rounds=1)

            got = receiver.wait_for(lambda rs: set(saved) <= _ids(rs))
            other.wait_for(lambda rs: set(b_saved) <= _ids(rs))
            time.sleep(0.5)  # anything misrouted would have arrived by now
            got, got_b = list(receiver.received), list(other.received)
    finally:
        other.stop()

    for r in got:
        assert verify(SECRET, r.headers, r.body), r.headers
        assert r.headers["content-type"].startswith("application/cloudevents+json")
        assert r.headers["annostream-event-id"] == r.event["id"]
        assert r.headers["annostream-webhook-id"] == hook["webhook_id"]
    assert not verify("another-secret-0123456789", got[0].headers, got[0].body)
    assert not verify(SECRET, got[0].headers, got[0].body + b" ")

    events = _first_arrivals(got)
    types = {e["type"] for e in events}
    assert {
        "annostream.datasets.v1.DatasetCreated",
        "annostream.datasets.v1.VersionCreated",
        "annostream.datasets.v1.FramesImported",
        "annostream.annotation.v1.RoiCreated",
        "annostream.annotation.v1.RoiMoved",
        "annostream.annotation.v1.FrameSaved",
    } <= types
    moved = next(e for e in events if e["type"] == "annostream.annotation.v1.RoiMoved")
    assert moved["specversion"] == "1.0" and moved["source"] == "/annostream/annotation"
    assert moved["subject"] == f"frame:{version_id}:f1" or moved["subject"] == f"frame:{version_id}:f2"
    assert moved["datacontenttype"] == "application/json" and moved["data"]["roi_id"] == "r"
    assert moved["data"]["dx"] == 1 and moved["actor"] == "lead" and isinstance(moved["streamversion"], int)
    assert datetime.fromisoformat(moved["time"].replace("Z", "+00:00")).tzinfo is not None
    assert moved["natssubject"].startswith(f"annostream.annotation.v1.{dataset_id}.{version_id}.")

    for stream in {e["subject"] for e in events}:
        versions = [e["streamversion"] for e in events if e["subject"] == stream]
        assert versions == sorted(versions), (stream, versions)  # first arrivals follow the stream's order
    frame_events = [e for e in events if e["subject"] == f"frame:{version_id}:f1"]
    assert [e["streamversion"] for e in frame_events] == list(range(1, 6))  # created, then 4 moves

    assert not set(b_saved) & _ids(got), "team B's events reached team A's webhook"
    assert all(b_dataset not in e["natssubject"] and b_version not in e["natssubject"] for e in events)
    assert not set(saved) & _ids(got_b), "team A's events reached team B's webhook"
    assert all(dataset_id not in r.event["natssubject"] for r in got_b)

    listed = _deliveries(team_a, hook["webhook_id"], "delivered")
    assert {d["event_id"] for d in listed} >= set(saved[-5:])
    one = listed[0]
    assert one["attempts"] == 1 and one["last_status"] == 204 and one["last_error"] == "" and one["completed_at"]


def test_a_receiver_that_is_down_for_a_while_gets_every_event_at_least_once_when_it_is_back(
    team_a: httpx.Client, receiver: Receiver
) -> None:
    dataset_id, version_id = _frames_version(team_a, ["f1", "f2", "f3"])
    hook = _register(team_a, receiver.url, subject_filter=f"annostream.annotation.v1.{dataset_id}.>")
    first = _edit(team_a, version_id, ["f1"], rounds=1)
    receiver.wait_for(lambda rs: set(first) <= _ids(rs))

    receiver.stop()  # connections refused from now on
    down_at = time.monotonic()
    during = _edit(team_a, version_id, ["f2", "f3"], rounds=3)
    deadline = time.monotonic() + 10
    while not any(d["attempts"] > 1 for d in _deliveries(team_a, hook["webhook_id"], "pending")):
        assert time.monotonic() < deadline, "no delivery was retried while the receiver was down"
        time.sleep(0.05)
    time.sleep(max(0.0, 1.5 - (time.monotonic() - down_at)))
    receiver.start()

    got = receiver.wait_for(lambda rs: set(first + during) <= _ids(rs))
    assert all(verify(SECRET, r.headers, r.body) for r in got)
    events = _first_arrivals(got)
    for frame in ("f2", "f3"):
        versions = [e["streamversion"] for e in events if e["subject"] == f"frame:{version_id}:{frame}"]
        assert versions == list(range(1, 5)), (frame, versions)
    deadline = time.monotonic() + 10
    while _deliveries(team_a, hook["webhook_id"], "pending"):  # received; the service records it right after
        assert time.monotonic() < deadline, _deliveries(team_a, hook["webhook_id"], "pending")
        time.sleep(0.05)
    retried = [d for d in _deliveries(team_a, hook["webhook_id"]) if d["attempts"] > 1]
    assert retried and all(d["state"] == "delivered" for d in retried)
    assert all("ConnectError" in d["last_error"] or d["last_error"] == "" for d in retried)
    assert not _deliveries(team_a, hook["webhook_id"], "dead")


def test_a_failing_receiver_dead_letters_after_the_last_attempt_and_a_resend_delivers_it(
    team_a: httpx.Client, receiver: Receiver
) -> None:
    _, version_id = _frames_version(team_a, ["f1"])
    hook = _register(team_a, receiver.url, event_types=["RoiCreated"])
    receiver.status = 500
    [event_id] = _edit(team_a, version_id, ["f1"], rounds=0)

    deadline = time.monotonic() + 30
    while not (dead := _deliveries(team_a, hook["webhook_id"], "dead")):
        assert time.monotonic() < deadline, _deliveries(team_a, hook["webhook_id"])
        time.sleep(0.1)
    [d] = dead
    assert d["event_id"] == event_id and d["event_type"] == "RoiCreated"
    assert d["attempts"] == 8 and d["last_status"] == 500 and d["last_error"].startswith("HTTP 500")
    assert len([r for r in receiver.received if r.event["id"] == event_id]) == 8
    assert [r.headers["annostream-delivery-attempt"] for r in receiver.received] == [str(i) for i in range(1, 9)]

    receiver.status = 200
    resent = _ok(team_a.post(f"/api/v1/webhooks/{hook['webhook_id']}/deliveries/{d['delivery_id']}/resend"), 202)
    assert resent["state"] == "pending" and resent["attempts"] == 0
    receiver.wait_for(lambda rs: len(rs) == 9)
    deadline = time.monotonic() + 10
    while (now := _deliveries(team_a, hook["webhook_id"])[0])["state"] != "delivered":
        assert time.monotonic() < deadline, now
        time.sleep(0.05)
    assert now["attempts"] == 1 and now["last_status"] == 200 and receiver.received[-1].event["id"] == event_id
    again = team_a.post(f"/api/v1/webhooks/{hook['webhook_id']}/deliveries/{d['delivery_id']}/resend")
    assert again.status_code == 202  # a delivered one may be sent again too


def test_webhooks_are_team_scoped_and_need_the_administer_permission(
    system: LocalStack, team_a: httpx.Client, receiver: Receiver
) -> None:
    hook = _register(team_a, receiver.url)
    team = team_a.headers["X-Annostream-Team"]
    with _client(system, team, role="annotator") as annotator, _client(system, f"wc-{uuid.uuid4().hex[:6]}") as other:
        refused = annotator.post("/api/v1/webhooks", json={"url": receiver.url})
        assert refused.status_code == 403 and refused.json()["details"]["permission"] == "administer"
        assert annotator.get(f"/api/v1/webhooks/{hook['webhook_id']}").status_code == 403
        assert annotator.get("/api/v1/webhooks").status_code == 403
        missing = other.get(f"/api/v1/webhooks/{hook['webhook_id']}")
        unknown = other.get("/api/v1/webhooks/wh_unknown")
        assert missing.status_code == unknown.status_code == 404
        assert missing.json()["message"] == unknown.json()["message"].replace("wh_unknown", hook["webhook_id"])
        assert other.delete(f"/api/v1/webhooks/{hook['webhook_id']}").status_code == 404
        assert _ok(other.get("/api/v1/webhooks"))["webhooks"] == []
    listed = _ok(team_a.get("/api/v1/webhooks"))["webhooks"]
    assert [w["webhook_id"] for w in listed] == [hook["webhook_id"]] and "secret" not in listed[0]

    changed = _ok(
        team_a.patch(f"/api/v1/webhooks/{hook['webhook_id']}", json={"enabled": False, "event_types": ["RoiMoved"]})
    )
    assert changed["enabled"] is False and changed["event_types"] == ["RoiMoved"] and changed["url"] == receiver.url
    assert team_a.delete(f"/api/v1/webhooks/{hook['webhook_id']}").status_code == 204
    assert team_a.get(f"/api/v1/webhooks/{hook['webhook_id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"url": "http://10.1.2.3/hook"}, 400, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, 400, "url"),
        ({"url": "http://[::1]:8080/hook"}, 400, "url"),
        ({"url": "http://192.168.0.10/hook"}, 400, "url"),
        ({"url": "http://[::ffff:10.0.0.1]/hook"}, 400, "url"),
        ({"url": "ftp://example.com/hook"}, 400, "url"),
        ({"url": "http://user:pw@127.0.0.1/hook"}, 400, "url"),
        ({"url": "http://127.0.0.1/hook", "secret": "short"}, 422, "secret"),  # the schema states the secret's length
        ({"url": "http://127.0.0.1/hook", "event_types": ["RoiCreated", "NoSuchEvent"]}, 400, "event_types[1]"),
        ({"url": "http://127.0.0.1/hook", "subject_filter": "annostream.>.x"}, 400, "subject_filter"),
    ],
)
def test_registration_refuses_private_targets_and_bad_fields_naming_the_field_and_stores_nothing(
    team_a: httpx.Client, body: dict[str, Any], status: int, field: str
) -> None:
    resp = team_a.post("/api/v1/webhooks", json=body)
    assert resp.status_code == status, resp.text
    assert resp.json()["field"] == field and resp.json()["error"] == "INVALID_ARGUMENT"
    assert _ok(team_a.get("/api/v1/webhooks"))["webhooks"] == []
