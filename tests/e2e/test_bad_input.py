"""Bad input on each slice endpoint: a 4xx naming the field, never a 500, nothing written."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from annostream_cli.stack import LocalStack
from annostream_kernel.limits import MAX_REQUEST_BYTES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def client(system: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.url, headers={"X-Annostream-User": "bad-input"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def draft(client: httpx.Client) -> dict[str, Any]:
    import uuid

    ds = client.post("/api/v1/datasets", json={"name": f"bad-{uuid.uuid4().hex[:8]}"}).json()
    v = client.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
    frame = {"id": "f1", "sources": [{"uri": "file:///a.jpg", "width": 10, "height": 10}]}
    assert client.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).status_code == 200
    return {"dataset": ds, "version": v}


CASES = [
    # (method, path template, body or raw, status, field)
    ("post", "/api/v1/datasets", {}, 422, "name"),
    ("post", "/api/v1/datasets", {"name": 5}, 422, "name"),
    ("post", "/api/v1/datasets", {"name": "x", "extra": 1}, 422, "extra"),
    ("post", "/api/v1/datasets/nope/versions", {"name": "v"}, 404, "dataset_id"),
    ("post", "/api/v1/datasets/{dataset}/versions", {"name": ""}, 422, "name"),
    (
        "post",
        "/api/v1/datasets/{dataset}/versions",
        {"name": "c", "parent_version_id": "{version}"},
        409,
        "parent_version_id",
    ),
    ("get", "/api/v1/versions/nope", None, 404, "version_id"),
    (
        "post",
        "/api/v1/versions/nope/frames",
        {"frames": [{"id": "a", "sources": [{"uri": "u", "width": 1, "height": 1}]}]},
        404,
        "version_id",
    ),
    ("post", "/api/v1/versions/{version}/frames", {"frames": []}, 400, "frames"),
    (
        "post",
        "/api/v1/versions/{version}/frames",
        {"frames": [{"id": "b", "sources": [{"uri": "u", "width": "w", "height": 1}]}]},
        400,
        "frames[0].sources.0.width",
    ),
    ("post", "/api/v1/versions/{version}/frames", b"{not json", 400, "frames"),
    ("post", "/api/v1/versions/{version}/frames", '{"frames": [{"id": "é"}]}'.encode("latin-1"), 400, "frames"),
    # A body that is not UTF-8 (Latin-1 text, a gzip body with Content-Encoding the gateway does not take) was a 500.
    ("post", "/api/v1/versions/{version}/frames/f1/save", b'{"expected_version": 0, "c\xe9": []}', 400, "body"),
    ("post", "/api/v1/versions/{version}/frames/f1/save", gzip.compress(b'{"expected_version": 0}'), 400, "body"),
    (
        "post",
        "/api/v1/versions/{version}/frames",
        ("ndjson", b'{"id":"ok","sources":[{"uri":"u","width":1,"height":1}]}\n{"id":""}'),
        400,
        "line 2.id",
    ),
    ("post", "/api/v1/versions/nope/publish", None, 404, "version_id"),
    ("post", "/api/v1/tasks", {"dataset_version_id": "x"}, 422, "name"),
    ("post", "/api/v1/tasks", {"name": "t", "dataset_version_id": "nope"}, 404, "dataset_version_id"),
    (
        "post",
        "/api/v1/tasks",
        {"name": "t", "dataset_version_id": "{version}", "iteration": {"order": "zigzag"}},
        422,
        "iteration.order",
    ),
    (
        "post",
        "/api/v1/tasks",
        {"name": "t", "dataset_version_id": "{version}", "iteration": {"limit": -1}},
        422,
        "iteration.limit",
    ),
    ("get", "/api/v1/tasks/nope", None, 404, "task_id"),
    ("get", "/api/v1/tasks?page_token=zzz", None, 400, "page_token"),
    ("post", "/api/v1/tasks/nope/next-frame", None, 404, "task_id"),
    ("get", "/api/v1/versions/{version}/frames/nope", None, 404, "frame.frame_id"),
    ("post", "/api/v1/versions/{version}/frames/f1/save", {"expected_version": 0, "commands": []}, 422, "commands"),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {"commands": [{"create_roi": {"roi": {"type": "rectangle", "points": [[0, 0], [5, 5]]}}}]},
        422,
        "expected_version",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {"expected_version": 0, "commands": [{"create_roi": {"roi": {"type": "hexagon", "points": [[0, 0]]}}}]},
        422,
        "commands.0.create_roi.roi.type",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {
            "expected_version": 0,
            "commands": [{"create_roi": {"roi": {"type": "rectangle", "points": [[0, 0], [500, 5]]}}}],
        },
        400,
        "commands[0].create_roi.roi.points[1]",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {"expected_version": 0, "commands": [{}]},
        400,
        "commands[0]",
    ),
    (
        "post",
        "/api/v1/versions/{version}/frames/f1/save",
        {
            "expected_version": 7,
            "commands": [{"create_roi": {"roi": {"type": "rectangle", "points": [[0, 0], [5, 5]]}}}],
        },
        400,
        "expected_version",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"), CASES, ids=[f"{c[0]} {c[1]} -> {c[3]} {c[4]}" for c in CASES]
)
def test_bad_input_gets_a_clear_4xx(
    client: httpx.Client, draft: dict[str, Any], method: str, path: str, body: Any, status: int, field: str
) -> None:
    ids = {"dataset": draft["dataset"]["dataset_id"], "version": draft["version"]["version_id"]}
    url = path.format(**ids)
    kwargs: dict[str, Any] = {}
    if isinstance(body, tuple):
        kwargs = {"content": body[1], "headers": {"content-type": "application/x-ndjson"}}
    elif isinstance(body, bytes):
        kwargs = {"content": body, "headers": {"content-type": "application/json"}}
    elif body is not None:
        kwargs = {"json": {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}}

    def _wait_for_frame() -> None:
        for _ in range(100):
            if client.get(f"/api/v1/versions/{ids['version']}/frames/f1").status_code == 200:
                return
        raise AssertionError("frame never became known")

    if "/frames/f1" in url:
        _wait_for_frame()
    resp = client.request(method, url, **kwargs)
    assert resp.status_code == status, resp.text
    err = resp.json()
    assert err["field"] == field, err
    assert field.split(".")[0].split("[")[0] in err["message"], err
    frame = client.get(f"/api/v1/versions/{ids['version']}/frames/f1")
    if frame.status_code == 200:
        assert frame.json()["version"] == 0  # nothing was written by a rejected request


# --- Issue 13: bad input at the gateway's edge (edge.py) and in the typed request models (schemas.py). ---
# Each case is refused with a 4xx naming the field and stores nothing: the team's datasets, tasks, the draft's
# frames and its frame's history read back the same before and after.

NUL, LONE = "a\x00b", "a\ud800b"
ROI = {"type": "rectangle", "points": [[0, 0], [5, 5]]}


def _save(*commands: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"expected_version": 0, "commands": list(commands), **extra}


def _create(**roi: Any) -> dict[str, Any]:
    return {"create_roi": {"roi": {**ROI, **roi}}}


def _nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        doc = {"a": doc}
    return doc


def _raw_save(number: str) -> str:
    """A save's JSON text with `number` written as its expected_version (what json.dumps would not write)."""
    return json.dumps(_save(_create())).replace('"expected_version": 0', f'"expected_version": {number}')


def _frame(**extra: Any) -> dict[str, Any]:
    return {"id": "new", "sources": [{"uri": "file:///n.jpg", "width": 8, "height": 8}], **extra}


def _task(**extra: Any) -> dict[str, Any]:
    return {"name": "t", "dataset_version_id": "{version}", **extra}


def _meta(metadata: dict[str, Any]) -> dict[str, Any]:
    return {"set_frame_metadata": {"metadata": metadata}}


SAVE, IMPORT, TASKS = "/api/v1/versions/{version}/frames/f1/save", "/api/v1/versions/{version}/frames", "/api/v1/tasks"
EXPORT = "/api/v1/versions/{version}/export?format=jsonl"
REVERT = "/api/v1/versions/{version}/frames/f1/revert"
ROI_AT = "commands[0].create_roi.roi"
POLYGON = _create(type="polygon", points=[[i % 9, i % 7] for i in range(100_000)])
EDGE_CASES = [
    # (name, method, path, body (JSON, JSON text, or None), status, the field or the start of the field's path)
    ("NUL in a label", "post", SAVE, _save(_create(labels=["car", NUL])), 400, f"{ROI_AT}.labels[1]"),
    ("NUL in a roi_id", "post", SAVE, _save(_create(roi_id=NUL)), 400, f"{ROI_AT}.roi_id"),
    ("NUL in a metadata key", "post", SAVE, _save(_create(metadata={NUL: 1})), 400, f"{ROI_AT}.metadata"),
    ("NUL in a metadata value", "post", SAVE, _save(_create(metadata={"k": NUL})), 400, f"{ROI_AT}.metadata.k"),
    ("NUL in an idempotency key", "post", SAVE, _save(_create(), idempotency_key=NUL), 400, "idempotency_key"),
    ("NUL in a task_id", "post", SAVE, _save(_create(), task_id=NUL), 400, "task_id"),
    ("NUL in a dataset name", "post", "/api/v1/datasets", {"name": NUL}, 400, "name"),
    ("NUL in a frame id on import", "post", IMPORT, {"frames": [_frame(id=NUL)]}, 400, "frames[0].id"),
    ("NUL in import metadata", "post", IMPORT, {"frames": [_frame(metadata={"k": NUL})]}, 400, "frames[0].metadata.k"),
    # An empty metadata key was stored, but no frame filter can name it (meta."" is refused): refused on write.
    ("an empty ROI metadata key", "post", SAVE, _save(_create(metadata={"": 1})), 400, f"{ROI_AT}.metadata"),
    (
        "an empty frame metadata key",
        "post",
        SAVE,
        _save(_meta({"a": [{"": 1}]})),
        400,
        "commands[0].set_frame_metadata.metadata.a[0]",
    ),
    (
        "an empty import metadata key",
        "post",
        IMPORT,
        {"frames": [_frame(metadata={"a": {"": 1}})]},
        400,
        "frames[0].metadata.a",
    ),
    (
        "NUL in a source uri",
        "post",
        IMPORT,
        {"frames": [_frame(sources=[{"uri": NUL, "width": 1, "height": 1}])]},
        400,
        "frames[0].sources[0].uri",
    ),
    ("NUL in ?dataset_id", "get", "/api/v1/tasks?dataset_id=%00", None, 400, "dataset_id"),
    (
        "NUL in a path frame id",
        "post",
        "/api/v1/versions/{version}/frames/a%00b/save",
        _save(_create()),
        400,
        "frame_id",
    ),
    ("NUL in the media uri", "get", "/api/v1/media?uri=file:///a%00b.jpg", None, 400, "uri"),
    ("lone surrogate in a label", "post", SAVE, _save(_create(labels=[LONE])), 400, f"{ROI_AT}.labels[0]"),
    # A control character or line break in a label or a source's URI would be stored, then break every export that
    # writes it as text: VOC XML (U+0001 is not XML), YOLO data.yaml (U+007F is not YAML), labelmap.txt (a line each).
    ("a control character in a label", "post", SAVE, _save(_create(labels=["a\x01b"])), 400, f"{ROI_AT}.labels[0]"),
    ("DEL in a label", "post", SAVE, _save(_create(labels=["car", "\x7f"])), 400, f"{ROI_AT}.labels[1]"),
    (
        "a line break in a frame label",
        "post",
        SAVE,
        _save({"add_frame_label": {"label": "day\nnight"}}),
        400,
        "commands[0].add_frame_label.label",
    ),
    (
        "a line separator in an imported ROI's label",
        "post",
        IMPORT,
        {"frames": [_frame(rois=[{**ROI, "labels": ["a\u2028b"]}])]},
        400,
        "frames[0].rois[0].labels[0]",
    ),
    ("a tab in an imported frame label", "post", IMPORT, {"frames": [_frame(frame_labels=["a\tb"])]}, 400, "frames[0]"),
    (
        "a control character in a source uri",
        "post",
        IMPORT,
        {"frames": [_frame(sources=[{"uri": "file:///a\x01.jpg", "width": 1, "height": 1}])]},
        400,
        "frames[0].sources[0].uri",
    ),
    ("a line break in a task's label_set", "post", TASKS, _task(label_set=["a\nb"]), 400, "label_set[0]"),
    ("a control character in default_labels", "post", TASKS, _task(default_labels=["\x1b[31m"]), 400, "default_labels"),
    ("lone surrogate in a roi_id", "post", SAVE, _save(_create(roi_id=LONE)), 400, f"{ROI_AT}.roi_id"),
    ("lone surrogate in default_labels", "post", TASKS, _task(default_labels=[LONE]), 400, "default_labels[0]"),
    (
        "expected_version past 64 bits",
        "post",
        SAVE,
        _save(_create()) | {"expected_version": 2**64},
        400,
        "expected_version",
    ),
    (
        "random_seed past 64 bits",
        "post",
        TASKS,
        _task(iteration={"random_seed": -(2**70)}),
        400,
        "iteration.random_seed",
    ),
    ("to_version past 64 bits", "post", REVERT, {"to_version": 10**30, "expected_version": 0}, 400, "to_version"),
    ("an integer of 5,000 digits", "post", SAVE, _raw_save("5" * 5000), 400, "expected_version"),
    ("limit past uint32", "post", TASKS, _task(iteration={"limit": 2**32}), 422, "iteration.limit"),
    ("a boolean for an integer", "post", TASKS, _task(iteration={"limit": True}), 422, "iteration.limit"),
    (
        "NaN in metadata",
        "post",
        SAVE,
        _save(_meta({"x": float("nan")})),
        400,
        "commands[0].set_frame_metadata.metadata.x",
    ),
    ("Infinity in metadata", "post", SAVE, _save(_create(metadata={"x": float("-inf")})), 400, f"{ROI_AT}.metadata.x"),
    ("1e999 for a number", "post", SAVE, _raw_save("1e999"), 400, "expected_version"),
    (
        "metadata nested 500 levels",
        "post",
        SAVE,
        _save(_meta(_nested(500))),
        400,
        "commands[0].set_frame_metadata.metadata",
    ),
    (
        "metadata nested 20 levels",
        "post",
        SAVE,
        _save(_meta(_nested(20))),
        422,
        "commands.0.set_frame_metadata.metadata",
    ),
    ("JSON nested 100,000 levels", "post", SAVE, "[" * 100_000 + "]" * 100_000, 400, "body"),
    # Text after the JSON, or JSON cut short, named the character offset as the field ("field": "37").
    ("JSON with text after it", "post", SAVE, '{"expected_version": 0, "commands": []} xyz', 422, "body"),
    ("JSON cut short", "post", "/api/v1/datasets", '{"name": ', 422, "body"),
    # An export's filters are query parameters: a refused one is named as such, not as the gRPC selection's path.
    ("an export frame query that does not parse", "get", EXPORT + "&filter=meta.x%3E%3E", None, 400, "filter"),
    (
        "an export source query that does not parse",
        "get",
        EXPORT + "&source_filter=source.width%3Eabc",
        None,
        400,
        "source_filter",
    ),
    ("an export label expression that does not parse", "get", EXPORT + "&labels=a%20AND%20(", None, 400, "labels"),
    ("a path id over 16 KB", "get", "/api/v1/versions/" + "v" * 16_500, None, 400, "version_id"),
    ("a frame id over the id limit", "get", "/api/v1/versions/{version}/frames/" + "f" * 600, None, 400, "frame_id"),
    ("a 100,000-point polygon", "post", SAVE, _save(POLYGON), 422, "commands.0.create_roi.roi.points"),
    (
        "a time past year 9999 in UTC",
        "get",
        "/api/v1/versions/{version}/frames/f1/at?time=9999-12-31T23:59:59-14:00",
        None,
        400,
        "time",
    ),
    (
        "a time before year 1 in UTC",
        "get",
        "/api/v1/versions/{version}/frames/f1/at?time=0001-01-01T00:00:00%2B14:00",
        None,
        400,
        "time",
    ),
]


@pytest.fixture(scope="module")
def team(system: LocalStack) -> Iterator[httpx.Client]:
    import uuid

    headers = {"X-Annostream-User": "bad-input", "X-Annostream-Team": f"bad-{uuid.uuid4().hex[:8]}"}
    with httpx.Client(base_url=system.url, headers=headers, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def scene(team: httpx.Client) -> dict[str, str]:
    """The team's one dataset with a Draft version holding frame f1, known to the annotation service."""
    ds = team.post("/api/v1/datasets", json={"name": "bad-input"}).json()
    v = team.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
    frame = {"id": "f1", "sources": [{"uri": "file:///a.jpg", "width": 10, "height": 10}]}
    assert team.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).status_code == 200
    for _ in range(200):
        if team.get(f"/api/v1/versions/{v['version_id']}/frames/f1").status_code == 200:
            return {"dataset": ds["dataset_id"], "version": v["version_id"]}
    raise AssertionError("the annotation service never learned frame f1")


def stored(team: httpx.Client, scene: dict[str, str]) -> dict[str, Any]:
    """What the team has: datasets, tasks, the draft's frames and frame f1's history (read back)."""
    v = scene["version"]
    return {
        "datasets": team.get("/api/v1/datasets").json()["total"],
        "tasks": team.get("/api/v1/tasks").json()["total"],
        "frames": team.get(f"/api/v1/versions/{v}/frames").json()["total"],
        "f1": team.get(f"/api/v1/versions/{v}/frames/f1/events").json()["current_version"],
    }


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and "{" in value:
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "status", "field"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES]
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    team: httpx.Client,
    scene: dict[str, str],
    name: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str,
) -> None:
    before = stored(team, scene)
    kwargs: dict[str, Any] = {}
    if body is not None:  # JSON text as it is; json.dumps's ASCII escapes carry NUL and lone surrogates
        text = body if isinstance(body, str) else json.dumps(_fill(body, scene))
        kwargs = {"content": text, "headers": {"content-type": "application/json"}}
    resp = team.request(method, path.format(**scene), **kwargs)
    assert resp.status_code == status, resp.text
    err = resp.json()
    assert set(err) == {"error", "message", "field", "details"}, err
    assert err["field"].startswith(field), err
    assert field.split(".")[0].split("[")[0] in err["message"], err
    assert stored(team, scene) == before


def test_an_import_refused_by_the_body_model_names_the_field_once(team: httpx.Client, scene: dict[str, str]) -> None:
    # Was "frames[0].timestamp: frames[0]: timestamp: Input should be a valid integer".
    resp = team.post(IMPORT.format(**scene), json={"frames": [_frame(id="ts", timestamp="yesterday")]})
    assert resp.status_code == 400 and resp.json()["field"] == "frames[0].timestamp", resp.text
    assert resp.json()["message"].startswith("frames[0].timestamp: Input should be"), resp.text
    assert resp.json()["message"].count("frames[0]") == 1, resp.text


def test_a_body_over_the_limit_is_refused_with_413_naming_the_limit(team: httpx.Client, scene: dict[str, str]) -> None:
    before = stored(team, scene)
    frames = [_frame(id=f"big-{i}", metadata={"pad": "x" * 60_000}) for i in range(MAX_REQUEST_BYTES // 60_000 + 2)]
    body = json.dumps({"frames": frames}).encode()
    assert len(body) > MAX_REQUEST_BYTES
    url = f"/api/v1/versions/{scene['version']}/frames"
    sized = team.post(url, content=body, headers={"content-type": "application/json"})
    chunked = team.post(url, content=iter([body[i : i + 65_536] for i in range(0, len(body), 65_536)]))
    for resp in (sized, chunked):
        assert resp.status_code == 413, resp.text
        assert resp.json()["error"] == "PAYLOAD_TOO_LARGE"
        assert str(MAX_REQUEST_BYTES) in resp.json()["message"]
        assert resp.json()["details"] == {"limit": MAX_REQUEST_BYTES}
    assert (
        "transfer-encoding" not in sized.request.headers and chunked.request.headers["transfer-encoding"] == "chunked"
    )
    assert stored(team, scene) == before


def test_a_100k_point_polygon_saved_three_times_is_refused_each_time_and_the_frame_stays_readable(
    team: httpx.Client, scene: dict[str, str]
) -> None:
    url = f"/api/v1/versions/{scene['version']}/frames/f1"
    for _ in range(3):
        resp = team.post(f"{url}/save", json=_save(POLYGON))
        assert resp.status_code == 422 and resp.json()["field"] == "commands.0.create_roi.roi.points", resp.text
    assert team.get(url).json()["version"] == 0
    assert team.get(f"{url}/events").json() == {"events": [], "current_version": 0, "more": False}


def test_bodies_of_4_to_16_mib_are_stored_and_read_back_through_the_services(
    team: httpx.Client, scene: dict[str, str]
) -> None:
    # gRPC's default message limit is 4 MiB: the gateway's channels carry the kernel's sizes (limits.py), so a body
    # the edge accepts gets an answer of the services (here 200), never a 503 from the transport.
    v = team.post(f"/api/v1/datasets/{scene['dataset']}/versions", json={"name": "large"}).json()["version_id"]
    frames = [_frame(id=f"large-{i}", metadata={"pad": "x" * 60_000}) for i in range(170)]
    body = json.dumps({"frames": frames}).encode()
    assert 8 * 2**20 < len(body) < MAX_REQUEST_BYTES
    resp = team.post(f"/api/v1/versions/{v}/frames", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 200 and resp.json()["imported"] == 170, resp.text[:500]
    url = f"/api/v1/versions/{v}/frames/large-0"
    for _ in range(200):
        if team.get(url).status_code == 200:
            break
    polygons = [
        _create(type="polygon", points=[[i % 7 + 0.123456789, i % 5 + 0.987654321] for i in range(10_000)])
    ] * 24
    save = json.dumps(_save(*polygons)).encode()
    assert 4 * 2**20 < len(save) < MAX_REQUEST_BYTES
    saved = team.post(f"{url}/save", content=save, headers={"content-type": "application/json"})
    assert saved.status_code == 200, saved.text[:500]
    assert len(saved.json()["frame"]["rois"]) == 24 and len(saved.json()["event_ids"]) == 24
    got = team.get(url)
    assert got.status_code == 200 and len(got.json()["rois"]) == 24
    assert got.json()["version"] == saved.json()["version"] > 0
    assert team.get(f"/api/v1/versions/{v}/frames?page_size=500").json()["total"] == 170


def test_an_identity_header_that_grpc_metadata_cannot_carry_is_refused(team: httpx.Client) -> None:
    for name, value in [
        ("X-Annostream-User", "café".encode()),
        ("X-Correlation-Id", b"a\tb"),
        ("X-Annostream-Team", b"\xff"),
    ]:
        resp = team.get("/api/v1/datasets", headers={name: value})
        assert resp.status_code == 400 and resp.json()["field"] == name, resp.text


def test_a_wrong_method_is_405_with_allow_and_an_unknown_api_path_is_404(team: httpx.Client) -> None:
    wrong = team.put("/api/v1/datasets")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, POST", wrong.text
    assert wrong.json()["error"] == "METHOD_NOT_ALLOWED"
    get_on_post = team.get("/api/v1/tasks/t1/complete")
    assert get_on_post.status_code == 405 and get_on_post.headers["allow"] == "POST"
    unknown = team.post("/api/v1/no-such-thing")
    assert unknown.status_code == 404 and set(unknown.json()) == {"error", "message", "field", "details"}


def test_nul_in_the_metadata_of_a_json_lines_import_is_refused_naming_the_line(
    team: httpx.Client, scene: dict[str, str]
) -> None:
    before = stored(team, scene)
    lines = [json.dumps(_frame(id="ok")), json.dumps(_frame(id="bad", metadata={"k": NUL}))]
    resp = team.post(
        f"/api/v1/versions/{scene['version']}/frames",
        content="\n".join(lines),
        headers={"content-type": "application/x-ndjson"},
    )
    assert resp.status_code == 400 and resp.json()["field"] == "line 2.metadata.k", resp.text
    assert stored(team, scene) == before
