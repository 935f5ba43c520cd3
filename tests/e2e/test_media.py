"""The gateway serves a local frame source from a media root, only as a source of a frame the caller may read,
and refuses anything outside the roots."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from annostream_cli.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_local_media_are_served_only_from_the_media_roots_as_sources_of_readable_frames(
    system: LocalStack, tmp_path: Path, unique: str
) -> None:
    root = Path(system.env["ANNOSTREAM_MEDIA_ROOTS"])
    (root / "cam").mkdir(exist_ok=True)
    (root / "cam" / "f1.png").write_bytes(b"\x89PNG\r\n\x1a\n fake")
    (root / "cam" / "other.png").write_bytes(b"\x89PNG\r\n\x1a\n other")
    (tmp_path / "secret.txt").write_text("no")
    cases = [
        (f"file://{root}/../{tmp_path.name}/secret.txt", 403),
        (f"file://{tmp_path}/secret.txt", 403),
        (f"file://{root}/cam/none.png", 404),
        ("https://example.com/x.png", 400),
    ]
    good = f"file://{root}/cam/f1.png"
    sources = [{"id": f"s{i}", "uri": uri, "width": 10, "height": 10} for i, (uri, _) in enumerate(cases)]
    team = {"X-Annostream-Team": f"media-{unique}"}
    with httpx.Client(base_url=system.url, timeout=10, headers=team) as c:
        ds = c.post("/api/v1/datasets", json={"name": "media"}).json()
        v = c.post(f"/api/v1/datasets/{ds['dataset_id']}/versions", json={"name": "v"}).json()
        frame = {"id": "f1", "sources": [{"id": "cam", "uri": good, "width": 10, "height": 10}, *sources]}
        assert c.post(f"/api/v1/versions/{v['version_id']}/frames", json={"frames": [frame]}).status_code == 200
        at = {"version_id": v["version_id"], "frame_id": "f1"}
        deadline = time.monotonic() + 30
        while c.get(f"/api/v1/versions/{v['version_id']}/frames/f1").status_code != 200:  # the frame reaches
            assert time.monotonic() < deadline, "the annotation service never learned of the frame"  # annotation
            time.sleep(0.1)

        def get(uri: str, **headers: str) -> httpx.Response:
            return c.get("/api/v1/media", params={"uri": uri, **at}, headers=headers)

        ok = get(good)
        assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
        assert ok.content.startswith(b"\x89PNG")
        for uri, status in cases:
            r = get(uri)
            assert r.status_code == status, (uri, r.text)
            assert r.json()["field"] == "uri"
        # a file of the media root that is not a source of this frame, and another team's frame: not found
        not_a_source = get(f"file://{root}/cam/other.png")
        assert not_a_source.status_code == 404 and not_a_source.json()["field"] == "uri"
        other_team = get(good, **{"X-Annostream-Team": f"other-{unique}"})
        assert other_team.status_code == 404 and other_team.json()["field"] == "frame.version_id"
